"""Robustness studies: molecular noise, perturbed rate constants, and the chemical clock.

``sbmlcrn robustness noise CIRCUIT --molecules 10,100,1000,10000 --runs R``
    Trains ``R`` stochastic replicas per molecule count (:mod:`sbmlcrn.training.stochastic`:
    Gillespie,
    phase by phase, seeds ``0 … R−1``) in parallel processes and reports mean ± standard
    deviation of the learned parameters and of the test metric against the deterministic run;
    the report also measures how late RoadRunner's Gillespie integrator fires the one SBML
    model's time events (the problem the phase-by-phase driver removes) and, with
    ``--naive-runs``, what the naive event-driven Gillespie run learns.
``sbmlcrn robustness rates CIRCUIT --sigma 0.05,0.1,0.2 --runs R``
    Every reaction gets its own rate constant, multiplied by an independent log-normal factor
    ``exp(σ Z)`` (median 1), and the circuit trains deterministically; the test metric is
    computed with the *same* perturbed forward reactions (the inference network is the
    forward phase of the same chemistry). A one-at-a-time central difference
    ``∂ metric / ∂ ln k`` (step 0.1) per reaction and per rate-constant group ranks the
    reactions by how much they matter.
``sbmlcrn robustness clock CIRCUIT``
    The event-free chemical clock (:mod:`sbmlcrn.circuits.chemclock`) against the
    event-gated circuit for several clock shapes: parameter deviation, test metric, and the
    extra species, reactions and molecularity.

Each writes ``report.md``, ``results.json`` and plots into ``--out``. Default data: the
authors' linear-regression run (41 / 101 samples), the authors' linear-classification task
(101 training samples, seed 0; 400 test samples, seed 1), and for the nonlinear circuits the
``sbmlcrn reproduce`` tasks and settings (``poly-exact``, ``xor-quad``, ``iris``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.circuits.chemclock import ChemicalClockConfig, with_chemical_clock
from sbmlcrn.circuits.linear import LinearCircuit, LinearConfig
from sbmlcrn.circuits.nonlinear import NonlinearCircuit, NonlinearConfig
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network, Parameter
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.io.sbml import to_sbml, write_atomic
from sbmlcrn.simulate import simulate
from sbmlcrn.training.stochastic import (
    compile_circuit,
    drive,
    event_timing,
    events_gillespie_theta,
)

__all__ = [
    "REPRODUCE_DIRS",
    "StudyData",
    "check_study_out",
    "clock_study",
    "cmd_robustness",
    "cmd_train_variant",
    "default_study_data",
    "noise_study",
    "per_reaction_network",
    "rates_study",
    "reproduce_sections",
    "save_chemical_run",
    "train_chemical",
    "write_clock_report",
    "write_noise_report",
    "write_rates_report",
]

Config = LinearConfig | NonlinearConfig
Circuit = LinearCircuit | NonlinearCircuit

#: Files a study directory may hold (a directory holding anything else is not overwritten).
STUDY_FILES = frozenset(
    {
        "report.md",
        "results.json",
        "noise.png",
        "noise_parameters.png",
        "rates.png",
        "sensitivity.png",
        "clock.png",
        "clock_gates.png",
    }
)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class StudyData:
    """A circuit, its training and test data and its hyper-parameters."""

    circuit: str
    train: Dataset
    test: Dataset
    config: Config
    label: str

    @property
    def metric(self) -> str:
        """``mse`` (regression) or ``accuracy``."""
        return "mse" if self.circuit.endswith("regression") else "accuracy"

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "accuracy"


def default_study_data(
    circuit: str,
    *,
    data: str | os.PathLike[str] | None = None,
    test: str | os.PathLike[str] | None = None,
    target: str = "y",
    config: Config | None = None,
) -> StudyData:
    """The data of a study: the user's CSV files, or the built-in defaults (module docstring)."""
    from sbmlcrn.core.data import (
        authors_linear_classification,
        authors_linear_regression,
        make_task,
        read_csv,
    )
    from sbmlcrn.training.pipeline import circuit_kind, circuit_task, default_config

    circuit_task(circuit)
    if data is not None:
        if test is None:
            raise InputError("--data needs --test: the studies compare test metrics.")
        train = read_csv(data, target=target, min_rows=2)
        tst = read_csv(test, target=target)
        return StudyData(circuit, train, tst, config or default_config(circuit), str(data))
    if circuit == "linear-regression":
        train, tst = authors_linear_regression()
        return StudyData(circuit, train, tst, config or LinearConfig(), "authors' linreg run")
    if circuit == "linear-classification":
        train = authors_linear_classification(n=101, seed=0)
        tst = authors_linear_classification(n=400, seed=1)
        return StudyData(circuit, train, tst, config or LinearConfig(), "x1 + 2 x2 > 2")
    from sbmlcrn.studies.reproduce import EXPERIMENTS

    slug = {
        "nonlinear-regression": "poly-exact",
        "nonlinear-classification": "xor-quad",
        "nonlinear-multiclass": "iris",
    }[circuit]
    exp = next(e for e in EXPERIMENTS if e.slug == slug)
    task = make_task(exp.task, 0)
    cfg = config or exp.config
    assert circuit_kind(circuit) == "nonlinear"
    return StudyData(circuit, task.train, task.test, cfg, f"{exp.task} (reproduce {slug})")


# --------------------------------------------------------------------------- metrics


def _trained(sd: StudyData, compiled: Circuit, theta: np.ndarray):
    from sbmlcrn.training.pipeline import TrainedModel

    return TrainedModel(
        sd.circuit,
        compiled.features,
        compiled.config,
        compiled.feature_map,
        dict(zip(compiled.parameter_names, map(float, theta), strict=True)),
        getattr(compiled, "classes", ()),
    )


def _metric(
    sd: StudyData,
    compiled: Circuit,
    theta: np.ndarray,
    factors: Mapping[str, float] | None = None,
) -> float:
    from sbmlcrn.training.pipeline import evaluate, predict

    model = _trained(sd, compiled, theta)
    net = per_reaction_network(model.inference_network(), factors) if factors else None
    preds = predict(model, sd.test.x, network=net)
    return float(evaluate(model.task, preds, sd.test, compiled.config)[sd.metric])


def _deterministic(sd: StudyData) -> dict[str, Any]:
    """The ordinary event-gated, deterministic run (checked against the reference)."""
    from sbmlcrn.training.pipeline import train

    run = train(sd.circuit, sd.train, test=sd.test, config=sd.config)
    assert run.test is not None
    return {
        "theta": [float(v) for v in run.parameters.values()],
        "names": list(run.parameters),
        "metric": float(run.test[sd.metric]),
        "max_abs_deviation_vs_reference": run.max_abs_deviation,
        "network": run.circuit.network.stats(),
    }


def _pool(jobs: list[tuple], fn: Callable, workers: int | None, progress) -> list[Any]:
    say = progress or (lambda _m: None)
    n_workers = max(1, min(workers or len(os.sched_getaffinity(0)), len(jobs)))
    out: list[Any] = []
    t0 = time.perf_counter()
    if n_workers == 1:
        for job in jobs:
            out.append(fn(*job))
            say(f"[{len(out)}/{len(jobs)}, {time.perf_counter() - t0:.0f} s] {out[-1]['label']}")
        return out
    import multiprocessing as mp

    with ProcessPoolExecutor(n_workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(fn, *job) for job in jobs]
        for fut in futures:
            out.append(fut.result())
            say(f"[{len(out)}/{len(jobs)}, {time.perf_counter() - t0:.0f} s] {out[-1]['label']}")
    return out


# --------------------------------------------------------------------------- noise


def _noise_job(sd: StudyData, molecules: int, seed: int, method: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    compiled = compile_circuit(sd.circuit, sd.train, sd.config)
    label = f"{method} N={molecules} seed {seed}"
    try:
        if method == "driver":
            res = drive(compiled, molecules=molecules, seed=seed)
            theta = res.theta
        else:
            theta = events_gillespie_theta(compiled, molecules, seed=seed)
        metric = _metric(sd, compiled, theta)
    except SbmlcrnError as exc:
        return {
            "label": f"{label}: {exc}",
            "molecules": molecules,
            "seed": seed,
            "method": method,
            "error": str(exc),
        }
    return {
        "label": f"{label}: {sd.metric} {metric:.4g}",
        "molecules": molecules,
        "seed": seed,
        "method": method,
        "theta": [float(v) for v in theta],
        "metric": metric,
        "seconds": time.perf_counter() - t0,
    }


def _timing_job(sd: StudyData, molecules: int, seed: int) -> dict[str, Any]:
    cfg = dataclasses.replace(sd.config, epochs=1)
    compiled = compile_circuit(sd.circuit, sd.train, cfg)
    out = event_timing(compiled, molecules, seed=seed)
    out["label"] = f"event timing N={molecules}"
    return out


def _summary(values: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return {"mean": math.nan, "std": math.nan, "n": 0}
    return {
        "mean": float(np.mean(arr)),
        "std": float(np.std(arr, ddof=1)) if arr.size > 1 else 0.0,
        "n": int(arr.size),
    }


def noise_study(
    sd: StudyData,
    molecules: Sequence[int],
    runs: int,
    *,
    naive_runs: int = 0,
    timing: bool = True,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Stochastic training at every molecule count, ``runs`` seeds each (module docstring).

    ``naive_runs`` seeds per count also run the one SBML model with its events under
    RoadRunner's Gillespie integrator; ``timing`` measures its event delays (one epoch).
    """
    if runs < 1:
        raise InputError(f"--runs must be at least 1. Got {runs}.")
    if not molecules or any(int(n) < 1 for n in molecules):
        raise InputError(f"--molecules must list positive integers. Got {molecules!r}.")
    t0 = time.perf_counter()
    det = _deterministic(sd)
    jobs: list[tuple] = [(sd, int(n), s, "driver") for n in molecules for s in range(runs)]
    jobs += [(sd, int(n), s, "events") for n in molecules for s in range(naive_runs)]
    results = _pool(jobs, _noise_job, workers, progress)
    timings = []
    if timing:
        timings = _pool([(sd, int(n), 0) for n in molecules], _timing_job, workers, progress)
        for t in timings:
            t.pop("label", None)
    rows = []
    for n in molecules:
        for method in ("driver", "events"):
            mine = [r for r in results if r["molecules"] == n and r["method"] == method]
            if not mine:
                continue
            ok = [r for r in mine if "error" not in r]
            thetas = np.array([r["theta"] for r in ok]) if ok else np.empty((0, len(det["theta"])))
            metrics = [r["metric"] for r in ok]
            m = _summary(metrics)
            rel = [abs(v / det["metric"] - 1.0) for v in metrics] if det["metric"] else []
            rows.append(
                {
                    "molecules": int(n),
                    "method": method,
                    "runs": len(mine),
                    "failed": len(mine) - len(ok),
                    "theta_mean": thetas.mean(axis=0).tolist() if ok else [],
                    "theta_std": thetas.std(axis=0, ddof=1).tolist() if len(ok) > 1 else [],
                    "theta_rmse_vs_det": float(
                        np.sqrt(np.mean((thetas - np.array(det["theta"])) ** 2))
                    )
                    if ok
                    else math.nan,
                    "metric": m,
                    "metric_ratio": m["mean"] / det["metric"] if det["metric"] else math.nan,
                    "metric_ratio_se": m["std"] / math.sqrt(max(m["n"], 1)) / det["metric"]
                    if det["metric"]
                    else math.nan,
                    "within_5pct": float(np.mean(np.array(rel) <= 0.05)) if rel else math.nan,
                    "seconds_per_run": float(np.mean([r["seconds"] for r in ok]))
                    if ok
                    else math.nan,
                }
            )
    return {
        "study": "noise",
        "circuit": sd.circuit,
        "data": sd.label,
        "metric": sd.metric,
        "config": _config(sd.config),
        "deterministic": det,
        "molecules": [int(n) for n in molecules],
        "runs": runs,
        "naive_runs": naive_runs,
        "rows": rows,
        "timing": timings,
        "runs_detail": [{k: v for k, v in r.items() if k != "label"} for r in results],
        "seconds": time.perf_counter() - t0,
    }


# --------------------------------------------------------------------------- rates


def per_reaction_network(network: Network, factors: Mapping[str, float] | None = None) -> Network:
    """``network`` with one rate constant per reaction, ``kr_<reaction id>``, multiplied by
    ``factors[reaction id]`` (default 1). With every factor 1 the dynamics are unchanged."""
    factors = dict(factors or {})
    unknown = sorted(set(factors) - {r.id for r in network.reactions})
    if unknown:
        raise InputError(f"No reactions {unknown[:5]} in network {network.id!r}.")
    values = {p.id: p.value for p in network.parameters}
    used = {r.rate for r in network.reactions}
    params = [p for p in network.parameters if p.id not in used]
    reactions = []
    for r in network.reactions:
        pid = f"kr_{r.id}"
        params.append(Parameter(pid, values[r.rate] * float(factors.get(r.id, 1.0))))
        reactions.append(dataclasses.replace(r, rate=pid))
    return dataclasses.replace(network, parameters=tuple(params), reactions=tuple(reactions))


def _train_perturbed(sd: StudyData, compiled: Circuit, factors: Mapping[str, float]) -> np.ndarray:
    net = per_reaction_network(compiled.network, factors)
    ps = compiled.parameter_species
    sim = simulate(
        to_sbml(net),
        [0.0, compiled.clock.end_time],
        species=[s for pair in ps.values() for s in pair],
    )
    return np.array([sim.final[p] - sim.final[m] for p, m in ps.values()])


def _compile(sd: StudyData, clock: str, clock_config: ChemicalClockConfig | None):
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
        inference_ids = {r.id for r in _trained(sd, compiled, theta).inference_network().reactions}
        metric = _metric(
            sd, compiled, theta, {k: v for k, v in factors.items() if k in inference_ids}
        )
        nominal = _metric(sd, compiled, theta)
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
) -> dict[str, Any]:
    """Log-normal rate perturbations and per-reaction sensitivities (module docstring)."""
    if runs < 1:
        raise InputError(f"--runs must be at least 1. Got {runs}.")
    if not sigmas or any(not (s > 0 and math.isfinite(s)) for s in sigmas):
        raise InputError(f"--sigma must list positive numbers. Got {sigmas!r}.")
    t0 = time.perf_counter()
    compiled = _compile(sd, clock, clock_config)
    reactions = [r.id for r in compiled.network.reactions]
    groups: dict[str, list[str]] = {}
    for r in compiled.network.reactions:
        groups.setdefault(r.rate, []).append(r.id)
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
        for g, ids in groups.items():
            jobs.append((sd, f"group {g} +", dict.fromkeys(ids, up), clock, clock_config))
            jobs.append((sd, f"group {g} -", dict.fromkeys(ids, down), clock, clock_config))
    results = {r["key"]: r for r in _pool(jobs, _rates_job, workers, progress)}
    nominal = results["nominal"]
    if "error" in nominal:
        raise SbmlcrnError(f"The unperturbed circuit failed: {nominal['error']}")
    m0 = nominal["metric"]
    ensemble = []
    for sigma in sigmas:
        mine = [results[f"sigma={sigma:g} run {k}"] for k in range(runs)]
        ok = [r for r in mine if "error" not in r]
        vals = np.array([r["metric"] for r in ok])
        theta = np.array([r["theta"] for r in ok]) if ok else np.empty((0, 0))
        worse = (vals - m0) * (-1.0 if sd.higher_is_better else 1.0)
        ensemble.append(
            {
                "sigma": float(sigma),
                "runs": runs,
                "failed": len(mine) - len(ok),
                "metric": _summary(vals),
                "metric_median": float(np.median(vals)) if ok else math.nan,
                "metric_q05": float(np.quantile(vals, 0.05)) if ok else math.nan,
                "metric_q95": float(np.quantile(vals, 0.95)) if ok else math.nan,
                "metric_values": vals.tolist(),
                "metric_nominal_inference": _summary([r["metric_nominal_inference"] for r in ok]),
                "within_5pct_of_nominal": float(np.mean(worse <= 0.05 * abs(m0))) if ok else 0.0,
                "theta_std": theta.std(axis=0, ddof=1).tolist() if len(ok) > 1 else [],
            }
        )

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
    group_ranking = []
    if sensitivity:
        for rid in reactions:
            s = central(f"oat {rid}")
            rate = next(r.rate for r in compiled.network.reactions if r.id == rid)
            ranking.append({"reaction": rid, "rate_group": rate, **(s or {"failed": True})})
        for g, ids in groups.items():
            s = central(f"group {g}")
            group_ranking.append({"group": g, "reactions": len(ids), **(s or {"failed": True})})

        def key(row: dict[str, Any]) -> float:
            return -abs(row.get("d_metric_d_lnk", math.inf))

        ranking.sort(key=key)
        group_ranking.sort(key=key)
    return {
        "study": "rates",
        "circuit": sd.circuit,
        "clock": clock,
        "data": sd.label,
        "metric": sd.metric,
        "config": _config(sd.config),
        "nominal": {"metric": m0, "theta": nominal["theta"]},
        "sigmas": [float(s) for s in sigmas],
        "runs": runs,
        "seed": seed,
        "step": step,
        "reactions": len(reactions),
        "ensemble": ensemble,
        "ranking": ranking,
        "group_ranking": group_ranking,
        "seconds": time.perf_counter() - t0,
    }


# --------------------------------------------------------------------------- chemical clock


def _clock_run(sd: StudyData, compiled: Circuit, clock) -> dict[str, Any]:
    """Simulate a chemical-clock circuit; parameters, per-epoch loss, trajectory."""
    ps = compiled.parameter_species
    errs = compiled.error_species
    n = compiled.clock.n_samples
    period = compiled.clock.period
    fwd_peak, bwd_peak = clock.peak_times()[0], clock.peak_times()[-1]
    cycles = compiled.clock.cycles
    err_times = [c * period + bwd_peak for c in range(cycles)]
    epoch_times = [e * n * period + fwd_peak for e in range(compiled.config.epochs)]
    end = compiled.clock.end_time
    grid = np.unique(np.array([0.0, *epoch_times, *err_times, end]))
    watched = [s for pair in (*ps.values(), *errs) for s in pair]
    sim = simulate(to_sbml(compiled.network), grid, species=watched)

    def signed(pair: tuple[str, str], times: list[float]) -> np.ndarray:
        rows = np.searchsorted(sim.times, times)
        return sim[pair[0]][rows] - sim[pair[1]][rows]

    theta = np.array([sim.final[p] - sim.final[m] for p, m in ps.values()])
    traj = np.column_stack([signed(pair, epoch_times) for pair in ps.values()])
    traj = np.vstack([traj, theta])
    errors = np.stack(
        [signed(pair, err_times).reshape(compiled.config.epochs, n) for pair in errs], axis=2
    )
    loss = 0.5 * np.mean(np.sum(errors**2, axis=2), axis=1)
    return {"theta": theta, "trajectory": traj, "train_loss": loss}


def train_chemical(
    circuit_name: str,
    data: Dataset,
    *,
    test: Dataset | None = None,
    config: Config | None = None,
    clock_config: ChemicalClockConfig | None = None,
    progress: Callable[[str], None] | None = None,
):
    """Train ``circuit_name`` with the chemical clock (``--clock chemical``).

    Returns ``(run, info)``: a :class:`~sbmlcrn.training.pipeline.TrainingRun` whose ``sbml`` is the
    chemical-clock model and whose ``max_abs_deviation`` is the difference from the reference
    SGD (which the event-gated model matches to ~1e-11: so this is the clock's approximation),
    and a dict describing the clock.
    """
    from sbmlcrn.training.pipeline import finish_run, reference_run

    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    base = compile_circuit(circuit_name, data, config)
    compiled, clock = with_chemical_clock(base, clock_config)
    sbml = to_sbml(compiled.network)
    from sbmlcrn.io.sbml import to_antimony

    antimony = to_antimony(compiled.network)
    build = time.perf_counter() - t0
    say(
        f"training {circuit_name} with a chemical clock ({clock.config.species}-species ring, "
        f"floor {clock.config.floor:g}, {'re-armed' if clock.config.rearm else 'free-running'}"
        f"): {len(data)} samples x {compiled.config.epochs} epochs, to t = "
        f"{compiled.clock.end_time:g}"
    )
    t1 = time.perf_counter()
    ref = reference_run(compiled)
    sd = StudyData(circuit_name, data, test or data, compiled.config, "")
    res = _clock_run(sd, compiled, clock)
    sim_s = time.perf_counter() - t1
    theta = res["theta"]
    learned = dict(zip(compiled.parameter_names, map(float, theta), strict=True))
    deviation = float(np.max(np.abs(theta - ref.theta)))
    timings = {"build_s": build, "simulate_s": sim_s}
    run = finish_run(
        circuit_name,
        compiled,
        sbml=sbml,
        antimony=antimony,
        learned=learned,
        trajectory=res["trajectory"],
        train_loss=res["train_loss"],
        reference=ref,
        deviation=deviation,
        data=data,
        test=test,
        timings=timings,
    )
    return run, _clock_info(clock, base.network, compiled.network)


def _clock_info(clock, events_net: Network, chem_net: Network) -> dict[str, Any]:
    a, b = events_net.stats(), chem_net.stats()
    return {
        "kind": "chemical",
        "ring_species": clock.config.species,
        "floor": clock.config.floor,
        "total": clock.config.total,
        "rearm": clock.config.rearm,
        "k_clk": clock.rate,
        "start": list(clock.start),
        "gate_species": [clock.ids[s] for s in clock.phase_species],
        "gate_integrals": [clock.integrals[s] for s in clock.phase_species],
        "gate_windows_half_max": [list(w) for w in clock.windows],
        "gate_overlap": clock.overlap,
        "event_gated_network": a,
        "chemical_network": b,
        "extra_species": b["species"] - a["species"],
        "extra_reactions": b["reactions"] - a["reactions"],
    }


def save_chemical_run(run, info: Mapping[str, Any], out: str | Path, *, plots: bool = True):
    """:func:`sbmlcrn.training.pipeline.save_run`, then ``result.json`` gains a ``clock``
    section."""
    from sbmlcrn.training.pipeline import save_run

    return save_run(run, out, plots=plots, sections={"clock": dict(info)})


def _clock_job(sd: StudyData, cfg: ChemicalClockConfig | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    base = compile_circuit(sd.circuit, sd.train, sd.config)
    if cfg is None:
        from sbmlcrn.training.pipeline import reference_run

        theta = reference_run(base).theta
        return {"label": "events", "theta": theta.tolist(), "metric": _metric(sd, base, theta)}
    label = f"ring {cfg.species}, floor {cfg.floor:g}, {'rearm' if cfg.rearm else 'free'}"
    try:
        compiled, clock = with_chemical_clock(base, cfg)
        res = _clock_run(sd, compiled, clock)
        metric = _metric(sd, compiled, res["theta"])
    except SbmlcrnError as exc:
        return {"label": f"{label}: failed ({exc})", "error": str(exc), "config": _cc(cfg)}
    return {
        "label": f"{label}: {sd.metric} {metric:.4g}",
        "config": _cc(cfg),
        "theta": res["theta"].tolist(),
        "train_loss": res["train_loss"].tolist(),
        "metric": metric,
        "info": _clock_info(clock, base.network, compiled.network),
        "seconds": time.perf_counter() - t0,
    }


def _cc(cfg: ChemicalClockConfig) -> dict[str, Any]:
    return dataclasses.asdict(cfg)


def clock_study(
    sd: StudyData,
    *,
    shapes: Sequence[ChemicalClockConfig] | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Chemical clock vs event gates for several clock shapes (default: rings of 3 and 4,
    floors 1e-2 … 1e-5, re-armed and free-running)."""
    t0 = time.perf_counter()
    if shapes is None:
        shapes = [
            ChemicalClockConfig(species=n, floor=f, rearm=r)
            for n in (3, 4)
            for f in (1e-2, 1e-3, 1e-4, 1e-5)
            for r in (True, False)
        ]
    jobs: list[tuple] = [(sd, None)] + [(sd, cfg) for cfg in shapes]
    results = _pool(jobs, _clock_job, workers, progress)
    events = results[0]
    ref = np.array(events["theta"])
    scale = max(1.0, float(np.max(np.abs(ref))))
    rows = []
    for r in results[1:]:
        row = {k: v for k, v in r.items() if k != "label"}
        if "theta" in r:
            row["max_rel_deviation"] = float(np.max(np.abs(np.array(r["theta"]) - ref)) / scale)
            row["metric_change"] = r["metric"] - events["metric"]
        rows.append(row)
    return {
        "study": "clock",
        "circuit": sd.circuit,
        "data": sd.label,
        "metric": sd.metric,
        "config": _config(sd.config),
        "events": {"theta": events["theta"], "metric": events["metric"]},
        "rows": rows,
        "seconds": time.perf_counter() - t0,
    }


# --------------------------------------------------------------------------- reports


def _config(cfg: Config) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


def check_study_out(out: str | Path) -> Path:
    """Refuse an ``--out`` that exists and holds anything but a previous study's files."""
    target = Path(out).resolve()
    if target.exists():
        if not target.is_dir():
            raise InputError(f"--out {out}: exists and is not a directory.")
        extra = sorted(p.name for p in target.iterdir() if p.name not in STUDY_FILES)
        if extra:
            raise InputError(
                f"--out {out}: exists and holds other files than a robustness study "
                f"({', '.join(extra[:3])}); choose another path."
            )
    return target


def _fmt(v: float, metric: str = "") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if metric == "accuracy":
        return f"{100 * v:.2f} %"
    return f"{v:.4g}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _write(out: Path, name: str, text: str) -> None:
    write_atomic(out / name, text)


def write_noise_report(result: Mapping[str, Any], out: str | Path, *, plots: bool = True) -> Path:
    """``report.md``, ``results.json``, ``noise.png`` and ``noise_parameters.png``."""
    target = check_study_out(out)
    target.mkdir(parents=True, exist_ok=True)
    det = result["deterministic"]
    metric = result["metric"]
    names = det["names"]
    rows = []
    for r in result["rows"]:
        std = r["theta_std"] or [0.0] * len(r["theta_mean"])
        th = ", ".join(f"{m:.4f} ± {s:.4f}" for m, s in zip(r["theta_mean"], std, strict=True))
        m = r["metric"]
        rows.append(
            [
                str(r["molecules"]),
                "driver" if r["method"] == "driver" else "events (naive)",
                f"{m['n']}" + (f" ({r['failed']} failed)" if r["failed"] else ""),
                f"{_fmt(m['mean'], metric)} ± {_fmt(m['std'], metric)}",
                f"{r['metric_ratio']:.4f} ± {r['metric_ratio_se']:.4f}",
                f"{100 * r['within_5pct']:.0f} %",
                f"({th})",
                f"{r['theta_rmse_vs_det']:.2e}",
                f"{r['seconds_per_run']:.1f}",
            ]
        )
    lines = [
        f"# Stochastic training: {result['circuit']} ({result['data']})",
        "",
        "Each replica trains the circuit's network with RoadRunner's Gillespie integrator at a "
        "volume where one unit of concentration is N molecules, driven phase by phase to the "
        "exact event times (`sbmlcrn.training.stochastic`); the test metric is the deterministic "
        "inference network's with the learned parameters. Seeds 0 … R−1.",
        "",
        "Deterministic (event-gated, CVODE) run: θ = "
        f"({', '.join(f'{v:.4f}' for v in det['theta'])}) for ({', '.join(names)}), "
        f"test {metric} = {_fmt(det['metric'], metric)}.",
        "",
        _table(
            [
                "N per unit",
                "method",
                "runs",
                f"test {metric} mean ± std",
                "ratio to deterministic (± s.e.)",
                "runs within 5 %",
                "θ mean ± std",
                "θ RMSE vs det",
                "s / run",
            ],
            rows,
        ),
        "",
    ]
    if plots:
        _plot_noise(result, target)
        lines += ["![metric vs molecules](noise.png)", "", "![parameters](noise_parameters.png)"]
    if result.get("timing"):
        lines += [
            "",
            "## Time events under RoadRunner's Gillespie integrator",
            "",
            "The one SBML model (events included) simulated with Gillespie, one epoch, seed 0. "
            "RoadRunner tests triggers only after a reaction fires, so every event is late by the "
            "waiting time to the next reaction, and the reaction that crosses a phase boundary "
            "was drawn with the previous phase's propensities. With few molecules a phase can "
            "pass without any reaction: two triggers then become due at the same reaction, "
            "the order in which RoadRunner applies such simultaneous events is not fixed by the "
            "integrator's seed (repeated runs with the same seed gave different numbers of "
            "loads: these runs are not reproducible), and an event whose "
            "rescheduled trigger time is already past never fires again — the clock loses that "
            "phase for the rest of the run (no more loads, or no more updates). The "
            "phase-by-phase driver has none of this: its boundaries are the exact event times "
            "and it is reproducible for a given seed.",
            "",
        ]
        trows = []
        for t in result["timing"]:
            for p in t["phases"]:
                trows.append(
                    [
                        str(t["molecules"]),
                        p["phase"],
                        f"{p['fired']} / {p['scheduled']}",
                        f"{p['mean_delay']:.3g}",
                        f"{p['max_delay']:.3g}",
                        f"{100 * p['mean_delay_fraction']:.2f} %",
                        str(t["reactions_fired"]),
                    ]
                )
        lines.append(
            _table(
                [
                    "N per unit",
                    "event of phase",
                    "fired / scheduled",
                    "mean delay",
                    "max delay",
                    "mean delay / phase length",
                    "reactions fired",
                ],
                trows,
            )
        )
        msgs = sorted({m for t in result["timing"] for m in t.get("roadrunner_messages", [])})
        if msgs:
            text = re.sub(r"\x1b\[[0-9;]*m|\[[0-9;]*m", "", msgs[0]).strip()
            lines += ["", f"RoadRunner's own warning: `{text[:240]}`"]
    lines += ["", f"Wall time {result['seconds']:.0f} s."]
    _write(target, "report.md", "\n".join(lines) + "\n")
    _write(target, "results.json", json.dumps(_jsonable(result), indent=2) + "\n")
    return target


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _plot_noise(result: Mapping[str, Any], out: Path) -> None:
    from sbmlcrn.training.plots import _pyplot

    plt = _pyplot()
    det = result["deterministic"]
    metric = result["metric"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    detail = [r for r in result.get("runs_detail", []) if "metric" in r]
    for k, (method, style, label) in enumerate(
        (
            ("driver", "o-", "Gillespie, phase-by-phase driver"),
            ("events", "s--", "Gillespie on the one SBML model (events)"),
        )
    ):
        rows = [r for r in result["rows"] if r["method"] == method and r["metric"]["n"]]
        if not rows:
            continue
        shift = 1.0 + 0.06 * (k - 0.5)
        x = [r["molecules"] * shift for r in rows]
        line = ax.plot(
            x, [r["metric"]["mean"] for r in rows], style, label=f"{label}: mean of runs"
        )[0]
        runs = [r for r in detail if r["method"] == method]
        ax.scatter(
            [r["molecules"] * shift for r in runs],
            [r["metric"] for r in runs],
            s=10,
            alpha=0.5,
            color=line.get_color(),
        )
    ax.axhline(det["metric"], color="k", lw=1, label="deterministic")
    if metric == "mse":
        ax.axhspan(det["metric"] * 0.95, det["metric"] * 1.05, color="0.85", label="± 5 %")
    ax.set_xscale("log")
    if metric == "mse":
        ax.set_yscale("log")
    ax.set_xlabel("molecules per unit of concentration (dots: single runs)")
    ax.set_ylabel(f"test {metric}")
    ax.set_title(f"{result['circuit']}: learning with few molecules")
    ax.legend(fontsize="small")
    fig.savefig(out / "noise.png", dpi=110)
    plt.close(fig)
    names = det["names"]
    rows = [r for r in result["rows"] if r["method"] == "driver" and r["theta_mean"]]
    fig, axes = plt.subplots(
        1, len(names), figsize=(3.2 * len(names), 3.2), constrained_layout=True, squeeze=False
    )
    for j, (ax, name) in enumerate(zip(axes[0], names, strict=True)):
        x = [r["molecules"] for r in rows]
        ax.errorbar(
            x,
            [r["theta_mean"][j] for r in rows],
            yerr=[(r["theta_std"] or [0.0] * len(names))[j] for r in rows],
            fmt="o-",
            capsize=3,
        )
        ax.axhline(det["theta"][j], color="k", lw=1)
        ax.set_xscale("log")
        ax.set_title(f"θ[{name}]")
        ax.set_xlabel("molecules per unit")
    fig.savefig(out / "noise_parameters.png", dpi=110)
    plt.close(fig)


def write_rates_report(result: Mapping[str, Any], out: str | Path, *, plots: bool = True) -> Path:
    """``report.md``, ``results.json``, ``rates.png`` and ``sensitivity.png``."""
    target = check_study_out(out)
    target.mkdir(parents=True, exist_ok=True)
    metric = result["metric"]
    m0 = result["nominal"]["metric"]
    rows = []
    for e in result["ensemble"]:
        m = e["metric"]
        rows.append(
            [
                f"{e['sigma']:g}",
                f"{m['n']}" + (f" ({e['failed']} failed)" if e["failed"] else ""),
                f"{_fmt(m['mean'], metric)} ± {_fmt(m['std'], metric)}",
                f"{_fmt(e['metric_median'], metric)}",
                f"{_fmt(e['metric_q05'], metric)} … {_fmt(e['metric_q95'], metric)}",
                f"{100 * e['within_5pct_of_nominal']:.0f} %",
                f"{_fmt(e['metric_nominal_inference']['mean'], metric)}",
            ]
        )
    lines = [
        f"# Rate-constant perturbation: {result['circuit']} ({result['data']}, "
        f"{result['clock']} clock)",
        "",
        "Every reaction has its own rate constant, multiplied by an independent factor "
        "exp(σ Z), Z ~ N(0, 1), and the circuit trains deterministically (one SBML model, "
        "CVODE). The test metric uses the same perturbed forward reactions for inference; the "
        "last column evaluates the learned parameters with the unperturbed inference network "
        f"instead. Unperturbed: test {metric} = {_fmt(m0, metric)}; {result['reactions']} "
        "reactions.",
        "",
        _table(
            [
                "σ",
                "runs",
                f"test {metric} mean ± std",
                "median",
                "5 % … 95 %",
                "within 5 % of unperturbed",
                "mean with unperturbed inference",
            ],
            rows,
        ),
        "",
    ]
    if result["group_ranking"]:
        lines += [
            f"## Sensitivity (one at a time, central difference, step {result['step']:g} in ln k)",
            "",
            "Per rate-constant group (all reactions sharing the nominal rate constant moved "
            "together):",
            "",
            _table(
                ["group", "reactions", f"∂{metric}/∂ln k", "relative", "max |∂θ/∂ln k|"],
                [
                    [
                        g["group"],
                        str(g["reactions"]),
                        f"{g.get('d_metric_d_lnk', math.nan):+.3g}",
                        f"{g.get('relative', math.nan):+.3g}",
                        f"{g.get('d_theta_d_lnk_max', math.nan):.3g}",
                    ]
                    for g in result["group_ranking"]
                ],
            ),
            "",
            "Per reaction (the 12 largest; `results.json` has all):",
            "",
            _table(
                ["rank", "reaction", "group", f"∂{metric}/∂ln k", "relative", "max |∂θ/∂ln k|"],
                [
                    [
                        str(i + 1),
                        r["reaction"],
                        r["rate_group"],
                        f"{r.get('d_metric_d_lnk', math.nan):+.3g}",
                        f"{r.get('relative', math.nan):+.3g}",
                        f"{r.get('d_theta_d_lnk_max', math.nan):.3g}",
                    ]
                    for i, r in enumerate(result["ranking"][:12])
                ],
            ),
        ]
    if plots:
        _plot_rates(result, target)
        lines += ["", "![metric distribution](rates.png)"]
        if result["ranking"]:
            lines += ["", "![sensitivity](sensitivity.png)"]
    lines += ["", f"Wall time {result['seconds']:.0f} s."]
    _write(target, "report.md", "\n".join(lines) + "\n")
    _write(target, "results.json", json.dumps(_jsonable(result), indent=2) + "\n")
    return target


def _plot_rates(result: Mapping[str, Any], out: Path) -> None:
    from sbmlcrn.training.plots import _pyplot

    plt = _pyplot()
    metric = result["metric"]
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    data = [e["metric_values"] for e in result["ensemble"]]
    ax.boxplot(data, tick_labels=[f"{e['sigma']:g}" for e in result["ensemble"]])
    for i, vals in enumerate(data, start=1):
        ax.scatter(np.full(len(vals), i) + np.linspace(-0.15, 0.15, len(vals)), vals, s=8)
    ax.axhline(result["nominal"]["metric"], color="k", lw=1, label="unperturbed")
    ax.set_xlabel("σ of ln(rate factor)")
    ax.set_ylabel(f"test {metric}")
    ax.set_title(f"{result['circuit']}: perturbed rate constants")
    ax.legend(fontsize="small")
    fig.savefig(out / "rates.png", dpi=110)
    plt.close(fig)
    ranking = [r for r in result["ranking"] if "d_metric_d_lnk" in r][:20]
    if not ranking:
        return
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(ranking) + 1.2), constrained_layout=True)
    ax.barh(
        [r["reaction"] for r in ranking][::-1],
        [r["d_metric_d_lnk"] for r in ranking][::-1],
        color="#1f5fa8",
    )
    ax.set_xlabel(f"∂ test {metric} / ∂ ln k (one at a time)")
    ax.set_title("most influential reactions")
    fig.savefig(out / "sensitivity.png", dpi=110)
    plt.close(fig)


def write_clock_report(
    result: Mapping[str, Any], out: str | Path, sd: StudyData | None = None, *, plots: bool = True
) -> Path:
    """``report.md``, ``results.json``, ``clock.png`` and ``clock_gates.png``."""
    target = check_study_out(out)
    target.mkdir(parents=True, exist_ok=True)
    metric = result["metric"]
    rows = []
    for r in result["rows"]:
        c = r["config"]
        if "error" in r:
            rows.append(
                [
                    str(c["species"]),
                    f"{c['floor']:g}",
                    "yes" if c["rearm"] else "no",
                    "failed",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        info = r["info"]
        rows.append(
            [
                str(c["species"]),
                f"{c['floor']:g}",
                "yes" if c["rearm"] else "no",
                f"{r['max_rel_deviation']:.2e}",
                _fmt(r["metric"], metric),
                f"{r['metric_change']:+.2e}",
                f"{info['gate_overlap']:.1e}",
                f"+{info['extra_species']} / +{info['extra_reactions']}",
                f"{info['chemical_network']['max_molecularity']}",
            ]
        )
    ev = result["events"]
    net = next((r["info"] for r in result["rows"] if "info" in r), None)
    lines = [
        f"# Chemical clock vs event gates: {result['circuit']} ({result['data']})",
        "",
        "The gates of the forward and backward phases are clock species of a rock-paper-"
        "scissors ring inside the network (`sbmlcrn.circuits.chemclock`); events only load "
        "the samples (and, when re-armed, reset the clock species to the cycle-start state). "
        "Deviation: max |θ_clock − θ_events| / max(1, |θ|) after the whole run.",
        "",
        f"Event-gated: test {metric} = {_fmt(ev['metric'], metric)}"
        + (
            f"; {net['event_gated_network']['species']} species, "
            f"{net['event_gated_network']['reactions']} reactions, "
            f"{net['event_gated_network']['events']} events, molecularity "
            f"{net['event_gated_network']['max_molecularity']} (chemical clock: "
            f"{net['chemical_network']['events']} events)."
            if net
            else "."
        ),
        "",
        _table(
            [
                "ring",
                "floor δ/S",
                "re-armed",
                "max rel. deviation",
                f"test {metric}",
                "change",
                "gate overlap",
                "extra species / reactions",
                "molecularity",
            ],
            rows,
        ),
    ]
    if plots:
        _plot_clock(result, target, sd)
        lines += ["", "![deviation](clock.png)"]
        if sd is not None:
            lines += ["", "![gates](clock_gates.png)"]
    lines += ["", f"Wall time {result['seconds']:.0f} s."]
    _write(target, "report.md", "\n".join(lines) + "\n")
    _write(target, "results.json", json.dumps(_jsonable(result), indent=2) + "\n")
    return target


def _plot_clock(result: Mapping[str, Any], out: Path, sd: StudyData | None) -> None:
    from sbmlcrn.training.plots import _pyplot

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    for n in sorted({r["config"]["species"] for r in result["rows"]}):
        for rearm, style in ((True, "o-"), (False, "s--")):
            rows = [
                r
                for r in result["rows"]
                if r["config"]["species"] == n and r["config"]["rearm"] == rearm and "theta" in r
            ]
            if rows:
                ax.plot(
                    [r["config"]["floor"] for r in rows],
                    [max(r["max_rel_deviation"], 1e-16) for r in rows],
                    style,
                    label=f"{n}-species ring, {'re-armed' if rearm else 'free-running'}",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("clock floor δ/S (smaller: squarer gates)")
    ax.set_ylabel("max relative deviation of θ from event gates")
    ax.set_title(f"{result['circuit']}: chemical clock vs events")
    ax.legend(fontsize="small")
    fig.savefig(out / "clock.png", dpi=110)
    plt.close(fig)
    if sd is None:
        return
    from sbmlcrn.circuits.chemclock import calibrate

    compiled = compile_circuit(sd.circuit, sd.train, sd.config)
    period = compiled.clock.period
    fig, axes = plt.subplots(2, 1, figsize=(7, 5), constrained_layout=True, sharex=True)
    for ax, n in zip(axes, (4, 3), strict=True):
        ck = calibrate(ChemicalClockConfig(species=n), period)
        t = np.concatenate([ck.times, ck.times + period])
        for i in range(n):
            y = np.concatenate([ck.trajectory[:, i], ck.trajectory[:, i]])
            role = {
                ck.phase_species[0]: " (forward gate)",
                ck.phase_species[-1]: " (backward gate)",
            }
            ax.plot(t, y, label=f"clk{i + 1}{role.get(i, '')}")
        T = compiled.clock.phases[0].duration
        for c in range(2):
            ax.axvspan(c * period, c * period + T, color="#d8e6f5", zorder=0)
            ax.axvline(c * period, color="k", lw=0.8, ls=":")
        ax.set_ylabel("concentration")
        ax.set_title(f"{n}-species ring, floor 1e-4 (shaded: event-gated forward phase)")
        ax.legend(fontsize="x-small", loc="upper right")
    axes[-1].set_xlabel("time (two cycles; dotted: load events)")
    fig.savefig(out / "clock_gates.png", dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------- command line


def _floats(option: str, text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InputError(
            f"{option} must be a comma-separated list of numbers. Got {text!r}."
        ) from None
    if not values or any(not (math.isfinite(v) and v > 0) for v in values):
        raise InputError(f"{option} must list positive numbers. Got {text!r}.")
    return values


def cmd_train_variant(args: Any, config: Config, progress: Callable[[str], None] | None) -> int:
    """``sbmlcrn train --stochastic`` / ``--clock chemical`` (called by the command line)."""
    from sbmlcrn.core.data import read_csv
    from sbmlcrn.training.pipeline import check_out_dir, circuit_task
    from sbmlcrn.training.stochastic import save_stochastic_run, train_stochastic

    circuit_task(args.circuit)
    check_out_dir(args.out)
    if args.molecules is not None and not args.stochastic:
        raise InputError("--molecules applies to stochastic training; add --stochastic.")
    if args.stochastic and args.clock != "events":
        raise InputError(
            "--stochastic drives the event schedule phase by phase; it cannot be combined "
            "with --clock chemical."
        )
    data = read_csv(args.data, target=args.target, min_rows=2)
    test = read_csv(args.test, target=args.target) if args.test is not None else None
    if args.stochastic:
        molecules = 10_000 if args.molecules is None else args.molecules
        if args.ssa_seed < 0:
            raise InputError(f"--ssa-seed must be >= 0. Got {args.ssa_seed}.")
        run, info = train_stochastic(
            args.circuit,
            data,
            molecules=molecules,
            seed=args.ssa_seed,
            test=test,
            config=config,
            progress=progress,
        )
        out = save_stochastic_run(run, info, args.out)
        what = f"stochastically ({molecules} molecules per unit, SSA seed {args.ssa_seed})"
        dev = "max |CRN - deterministic reference| (noise)"
    else:
        cc = ChemicalClockConfig(
            species=args.clock_species, floor=args.clock_floor, rearm=not args.free_running
        )
        run, info = train_chemical(
            args.circuit, data, test=test, config=config, clock_config=cc, progress=progress
        )
        out = save_chemical_run(run, info, args.out)
        what = (
            f"with a chemical clock ({cc.species}-species ring, floor {cc.floor:g}, "
            f"{'re-armed at each load' if cc.rearm else 'free-running'}; "
            f"+{info['extra_species']} species, +{info['extra_reactions']} reactions)"
        )
        dev = "max |CRN - reference|"
    from sbmlcrn.cli import print_training_summary

    print_training_summary(args.circuit, run, len(data), out, how=what, deviation=dev)
    return 0


def cmd_robustness(args: Any, progress: Callable[[str], None] | None) -> int:
    """``sbmlcrn robustness noise|rates|clock CIRCUIT`` (called by the command line)."""
    from sbmlcrn.training.pipeline import circuit_task, default_config
    from sbmlcrn.training.stochastic import molecule_counts

    circuit_task(args.circuit)
    check_study_out(args.out)
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1. Got {args.workers}.")
    if args.runs < 1:
        raise InputError(f"--runs must be at least 1. Got {args.runs}.")
    sd = default_study_data(
        args.circuit,
        data=args.data,
        test=args.test,
        target=args.target,
        config=default_config(args.circuit) if args.data is not None else None,
    )
    changes: dict[str, Any] = {}
    if args.epochs is not None:
        changes["epochs"] = args.epochs
    if args.annihilation is not None:
        changes["annihilation"] = args.annihilation
    if changes:
        sd = dataclasses.replace(sd, config=dataclasses.replace(sd.config, **changes))
    metric = sd.metric
    if args.action == "noise":
        counts = molecule_counts(args.molecules)
        res = noise_study(
            sd,
            counts,
            args.runs,
            naive_runs=args.naive_runs,
            timing=not args.no_timing,
            workers=args.workers,
            progress=progress,
        )
        out = write_noise_report(res, args.out)
        det = res["deterministic"]["metric"]
        print(f"{args.circuit}: deterministic test {metric} {det:.6g}")
        for r in res["rows"]:
            m = r["metric"]
            print(
                f"  N = {r['molecules']:>6} {r['method']:>6}: test {metric} {m['mean']:.6g} "
                f"± {m['std']:.3g} ({m['n']} runs), ratio {r['metric_ratio']:.4f}"
            )
    elif args.action == "rates":
        sigmas = _floats("--sigma", args.sigma)
        res = rates_study(
            sd,
            sigmas,
            args.runs,
            seed=args.seed,
            sensitivity=not args.no_sensitivity,
            clock=args.clock,
            workers=args.workers,
            progress=progress,
        )
        out = write_rates_report(res, args.out)
        print(f"{args.circuit}: unperturbed test {metric} {res['nominal']['metric']:.6g}")
        for e in res["ensemble"]:
            m = e["metric"]
            print(f"  sigma {e['sigma']:g}: test {metric} {m['mean']:.6g} ± {m['std']:.3g}")
        for r in res["group_ranking"]:
            print(f"  d{metric}/dln k[{r['group']}] = {r.get('d_metric_d_lnk', math.nan):+.3g}")
    else:
        res = clock_study(sd, workers=args.workers, progress=progress)
        out = write_clock_report(res, args.out, sd)
        print(f"{args.circuit}: event-gated test {metric} {res['events']['metric']:.6g}")
        for r in res["rows"]:
            c = r["config"]
            tag = f"ring {c['species']}, floor {c['floor']:g}, {'rearm' if c['rearm'] else 'free'}"
            if "error" in r:
                print(f"  {tag}: failed")
            else:
                print(
                    f"  {tag}: max rel. deviation {r['max_rel_deviation']:.2e}, "
                    f"test {metric} {r['metric']:.6g}"
                )
    print(f"wrote {out}/report.md")
    return 0


# --------------------------------------------------------------------------- reproduce hook

#: Sub-directories :func:`reproduce_sections` writes into a ``sbmlcrn reproduce --out``.
REPRODUCE_DIRS = ("robustness-noise", "robustness-rates", "robustness-clock")


def reproduce_sections(
    out: str | Path,
    *,
    quick: bool = False,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Run the three studies on the linear-regression row into ``out/robustness-*`` and
    return the markdown section that links them (for ``sbmlcrn reproduce --out``).

    Full: molecules 10 … 10,000 with 4 seeds, σ = 0.05, 0.1, 0.2 with 10 runs, every clock
    shape (about 10 minutes on 2 cores). ``quick``: 5 epochs, molecules 100 and 1,000 with 2
    seeds, 2 runs per σ without the sensitivity ranking, two clock shapes.
    """
    target = Path(out)
    sd = default_study_data("linear-regression")
    if quick:
        sd = dataclasses.replace(sd, config=dataclasses.replace(sd.config, epochs=5))
    noise = noise_study(
        sd,
        (100, 1000) if quick else (10, 100, 1000, 10_000),
        2 if quick else 4,
        timing=True,
        workers=workers,
        progress=progress,
    )
    write_noise_report(noise, target / REPRODUCE_DIRS[0])
    rates = rates_study(
        sd,
        (0.05, 0.1, 0.2),
        2 if quick else 10,
        sensitivity=not quick,
        workers=workers,
        progress=progress,
    )
    write_rates_report(rates, target / REPRODUCE_DIRS[1])
    shapes = [ChemicalClockConfig(species=4), ChemicalClockConfig(species=3)] if quick else None
    clock = clock_study(sd, shapes=shapes, workers=workers, progress=progress)
    write_clock_report(clock, target / REPRODUCE_DIRS[2], sd)
    det = noise["deterministic"]["metric"]
    lines = ["", "## Chemistry as it really is (linear regression)", ""]
    for r in noise["rows"]:
        if r["method"] == "driver":
            m = r["metric"]
            lines.append(
                f"- {r['molecules']} molecules per unit: test MSE {m['mean']:.4f} ± "
                f"{m['std']:.4f} ({m['n']} runs; deterministic {det:.4f}, ratio "
                f"{r['metric_ratio']:.3f})"
            )
    for e in rates["ensemble"]:
        m = e["metric"]
        lines.append(
            f"- rate constants × exp(σZ), σ = {e['sigma']:g}: test MSE "
            f"{m['mean']:.4f} ± {m['std']:.4f} ({m['n']} runs)"
        )
    best = min(
        (r for r in clock["rows"] if "max_rel_deviation" in r),
        key=lambda r: r["max_rel_deviation"],
        default=None,
    )
    if best is not None:
        c = best["config"]
        lines.append(
            f"- chemical clock ({c['species']}-species ring, floor {c['floor']:g}): parameters "
            f"within {best['max_rel_deviation']:.1e} of the event-gated run, "
            f"+{best['info']['extra_species']} species, +{best['info']['extra_reactions']} "
            "reactions"
        )
    lines += [
        "",
        f"Reports: [noise]({REPRODUCE_DIRS[0]}/report.md), "
        f"[rates]({REPRODUCE_DIRS[1]}/report.md), [clock]({REPRODUCE_DIRS[2]}/report.md).",
        "",
        f"![noise]({REPRODUCE_DIRS[0]}/noise.png)",
        "",
        f"![rates]({REPRODUCE_DIRS[1]}/rates.png)",
        "",
        f"![clock]({REPRODUCE_DIRS[2]}/clock.png)",
    ]
    return lines
