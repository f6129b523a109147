"""Perturbed rate constants: log-normal rate noise and per-reaction sensitivities.

``sbmlcrn robustness rates CIRCUIT --sigma 0.05,0.1,0.2 --runs R``: every reaction gets its
own rate constant, multiplied by an independent log-normal factor ``exp(σ Z)`` (median 1), and
the circuit trains deterministically; the test metric is computed with the *same* perturbed
forward reactions (the inference network is the forward phase of the same chemistry). A
one-at-a-time central difference ``∂ metric / ∂ ln k`` (step 0.1) per reaction and per
rate-constant group ranks the reactions by how much they matter.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sbmlcrn.circuits.chemclock import ChemicalClockConfig, with_chemical_clock
from sbmlcrn.circuits.registry import compile_circuit
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import simulate
from sbmlcrn.studies.common import (
    Circuit,
    StudyData,
    StudyResult,
    config_dict,
    per_reaction_network,
    run_jobs,
    study_metric,
    summary,
    trained_model,
)

__all__ = ["RatesResult", "per_reaction_network", "rates_study"]


@dataclass(frozen=True)
class RatesResult(StudyResult):
    """What :func:`rates_study` measured (``to_dict()``: the study's ``results.json``).

    Attributes
    ----------
    circuit, clock, data, metric, config
        The circuit, its clock (``events`` or ``chemical``), the label of its data, the test
        metric and the training settings.
    nominal
        The unperturbed run: ``metric`` and ``theta``.
    sigmas, runs, seed, step
        The σ of ``ln`` of the factors, the runs per σ, the random seed and the step in
        ``ln k`` of the central differences.
    reactions
        Number of reactions (each with its own rate constant).
    ensemble
        One summary per σ.
    ranking, group_ranking
        The sensitivities per reaction and per rate-constant group, largest first (empty
        without the sensitivity analysis).
    seconds
        Wall time.
    """

    study: ClassVar[str] = "rates"

    circuit: str
    clock: str
    data: str
    metric: str
    config: dict[str, Any]
    nominal: dict[str, Any]
    sigmas: list[float]
    runs: int
    seed: int
    step: float
    reactions: int
    ensemble: list[dict[str, Any]]
    ranking: list[dict[str, Any]]
    group_ranking: list[dict[str, Any]]
    seconds: float


def _train_perturbed(sd: StudyData, compiled: Circuit, factors: Mapping[str, float]) -> np.ndarray:
    net = per_reaction_network(compiled.network, factors)
    ps = compiled.parameter_species
    sim = simulate(
        to_sbml(net),
        [0.0, compiled.clock.end_time],
        species=[s for pair in ps.values() for s in pair],
    )
    return np.array([sim.final[p] - sim.final[m] for p, m in ps.values()])


def _compile(sd: StudyData, clock: str, clock_config: ChemicalClockConfig | None) -> Circuit:
    compiled = compile_circuit(sd.circuit, sd.train, sd.config)
    if clock == "chemical":
        compiled, _ = with_chemical_clock(compiled, clock_config)
    return compiled


def _rates_job(
    sd: StudyData,
    label: str,
    factors: dict[str, float],
    clock: str = "events",
    clock_config: ChemicalClockConfig | None = None,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    compiled = _compile(sd, clock, clock_config)
    try:
        theta = _train_perturbed(sd, compiled, factors)
        if not np.all(np.isfinite(theta)) or np.max(np.abs(theta)) > 1e6:
            raise InputError("the learned parameters blew up")
        model = trained_model(sd, compiled, theta)
        inference_ids = {r.id for r in model.inference_network().reactions}
        metric = study_metric(
            sd, compiled, theta, {k: v for k, v in factors.items() if k in inference_ids}
        )
        nominal = study_metric(sd, compiled, theta)
    except SbmlcrnError as exc:
        return {"label": f"{label}: failed ({exc})"[:160], "key": label, "error": str(exc)}
    return {
        "label": f"{label}: {sd.metric} {metric:.4g}",
        "key": label,
        "theta": [float(v) for v in theta],
        "metric": metric,
        "metric_nominal_inference": nominal,
        "seconds": time.perf_counter() - t0,
    }


def _jobs(
    sd: StudyData,
    compiled: Circuit,
    sigmas: Sequence[float],
    runs: int,
    seed: int,
    step: float,
    sensitivity: bool,
    clock: str,
    clock_config: ChemicalClockConfig | None,
) -> list[tuple]:
    """The unperturbed run, ``runs`` random perturbations per σ, and the ± ``step``
    perturbations of each reaction and each rate-constant group."""
    reactions = [r.id for r in compiled.network.reactions]
    jobs: list[tuple] = [(sd, "nominal", {}, clock, clock_config)]
    for i, sigma in enumerate(sigmas):
        for k in range(runs):
            rng = np.random.default_rng([seed, i, k])
            f = np.exp(sigma * rng.standard_normal(len(reactions)))
            factors = dict(zip(reactions, map(float, f), strict=True))
            jobs.append((sd, f"sigma={sigma:g} run {k}", factors, clock, clock_config))
    if sensitivity:
        up, down = math.exp(step), math.exp(-step)
        for rid in reactions:
            jobs.append((sd, f"oat {rid} +", {rid: up}, clock, clock_config))
            jobs.append((sd, f"oat {rid} -", {rid: down}, clock, clock_config))
        for g, ids in _groups(compiled).items():
            jobs.append((sd, f"group {g} +", dict.fromkeys(ids, up), clock, clock_config))
            jobs.append((sd, f"group {g} -", dict.fromkeys(ids, down), clock, clock_config))
    return jobs


def _groups(compiled: Circuit) -> dict[str, list[str]]:
    """Nominal rate constant → the reactions sharing it."""
    groups: dict[str, list[str]] = {}
    for r in compiled.network.reactions:
        groups.setdefault(r.rate, []).append(r.id)
    return groups


def _ensemble(
    sd: StudyData, results: Mapping[str, dict[str, Any]], sigma: float, runs: int, m0: float
) -> dict[str, Any]:
    """The summary of the ``runs`` random perturbations at ``sigma``."""
    mine = [results[f"sigma={sigma:g} run {k}"] for k in range(runs)]
    ok = [r for r in mine if "error" not in r]
    vals = np.array([r["metric"] for r in ok])
    theta = np.array([r["theta"] for r in ok]) if ok else np.empty((0, 0))
    worse = (vals - m0) * (-1.0 if sd.higher_is_better else 1.0)
    return {
        "sigma": float(sigma),
        "runs": runs,
        "failed": len(mine) - len(ok),
        "metric": summary(vals),
        "metric_median": float(np.median(vals)) if ok else math.nan,
        "metric_q05": float(np.quantile(vals, 0.05)) if ok else math.nan,
        "metric_q95": float(np.quantile(vals, 0.95)) if ok else math.nan,
        "metric_values": vals.tolist(),
        "metric_nominal_inference": summary([r["metric_nominal_inference"] for r in ok]),
        "within_5pct_of_nominal": float(np.mean(worse <= 0.05 * abs(m0))) if ok else 0.0,
        "theta_std": theta.std(axis=0, ddof=1).tolist() if len(ok) > 1 else [],
    }


def _sensitivities(
    compiled: Circuit, results: Mapping[str, dict[str, Any]], step: float, m0: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The central differences per reaction and per group, each sorted largest first."""

    def central(key: str) -> dict[str, Any] | None:
        a, b = results.get(f"{key} +"), results.get(f"{key} -")
        if a is None or b is None or "error" in a or "error" in b:
            return None
        dm = (a["metric"] - b["metric"]) / (2 * step)
        dth = (np.array(a["theta"]) - np.array(b["theta"])) / (2 * step)
        return {
            "d_metric_d_lnk": float(dm),
            "relative": float(dm / m0) if m0 else math.nan,
            "d_theta_d_lnk_max": float(np.max(np.abs(dth))),
        }

    ranking = []
    for r in compiled.network.reactions:
        s = central(f"oat {r.id}")
        ranking.append({"reaction": r.id, "rate_group": r.rate, **(s or {"failed": True})})
    group_ranking = []
    for g, ids in _groups(compiled).items():
        s = central(f"group {g}")
        group_ranking.append({"group": g, "reactions": len(ids), **(s or {"failed": True})})

    def key(row: dict[str, Any]) -> float:
        return -abs(row.get("d_metric_d_lnk", math.inf))

    ranking.sort(key=key)
    group_ranking.sort(key=key)
    return ranking, group_ranking


def rates_study(
    sd: StudyData,
    sigmas: Sequence[float],
    runs: int,
    *,
    seed: int = 0,
    step: float = 0.1,
    sensitivity: bool = True,
    clock: str = "events",
    clock_config: ChemicalClockConfig | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> RatesResult:
    """Log-normal rate perturbations and per-reaction sensitivities (module docstring).

    Parameters
    ----------
    sd
        The circuit, its data and settings.
    sigmas
        Standard deviations of ``ln`` of the rate factors.
    runs
        Random perturbations per σ (seeded by ``seed``, the σ's index and the run).
    step
        Step in ``ln k`` of the one-at-a-time central differences.
    sensitivity
        Rank the reactions and the rate-constant groups by their central differences.
    clock, clock_config
        ``events`` or ``chemical`` (with the clock's shape).
    workers
        Worker processes (default: one per CPU).
    progress
        Called with a status line per finished run.
    """
    if runs < 1:
        raise InputError(f"--runs must be at least 1. Got {runs}.")
    if not sigmas or any(not (s > 0 and math.isfinite(s)) for s in sigmas):
        raise InputError(f"--sigma must list positive numbers. Got {sigmas!r}.")
    t0 = time.perf_counter()
    compiled = _compile(sd, clock, clock_config)
    jobs = _jobs(sd, compiled, sigmas, runs, seed, step, sensitivity, clock, clock_config)
    results = {r["key"]: r for r in run_jobs(jobs, _rates_job, workers, progress)}
    nominal = results["nominal"]
    if "error" in nominal:
        raise SbmlcrnError(f"The unperturbed circuit failed: {nominal['error']}")
    m0 = nominal["metric"]
    ensemble = [_ensemble(sd, results, sigma, runs, m0) for sigma in sigmas]
    ranking: list[dict[str, Any]] = []
    group_ranking: list[dict[str, Any]] = []
    if sensitivity:
        ranking, group_ranking = _sensitivities(compiled, results, step, m0)
    return RatesResult(
        circuit=sd.circuit,
        clock=clock,
        data=sd.label,
        metric=sd.metric,
        config=config_dict(sd.config),
        nominal={"metric": m0, "theta": nominal["theta"]},
        sigmas=[float(s) for s in sigmas],
        runs=runs,
        seed=seed,
        step=step,
        reactions=len(compiled.network.reactions),
        ensemble=ensemble,
        ranking=ranking,
        group_ranking=group_ranking,
        seconds=time.perf_counter() - t0,
    )
