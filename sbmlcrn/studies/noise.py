"""Molecular noise: stochastic training at several molecule counts against the deterministic run.

``sbmlcrn robustness noise CIRCUIT --molecules 10,100,1000,10000 --runs R`` trains ``R``
stochastic replicas per molecule count (:mod:`sbmlcrn.training.stochastic`: Gillespie, phase by
phase, seeds ``0 … R−1``) in parallel processes and reports mean ± standard deviation of the
learned parameters and of the test metric against the deterministic run; the report also
measures how late RoadRunner's Gillespie integrator fires the one SBML model's time events
(the problem the phase-by-phase driver removes) and, with ``--naive-runs``, what the naive
event-driven Gillespie run learns.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sbmlcrn.circuits.registry import compile_circuit
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.studies.common import (
    StudyData,
    StudyResult,
    config_dict,
    deterministic,
    run_jobs,
    study_metric,
    summary,
)
from sbmlcrn.training.driver import drive
from sbmlcrn.training.stochastic import event_timing, events_gillespie_theta

__all__ = ["NoiseResult", "noise_study"]


@dataclass(frozen=True)
class NoiseResult(StudyResult):
    """What :func:`noise_study` measured (``to_dict()``: the study's ``results.json``).

    Attributes
    ----------
    circuit, data, metric, config
        The circuit, the label of its data, the test metric (``mse`` or ``accuracy``) and the
        training settings (as in ``result.json``).
    deterministic
        The event-gated deterministic run: ``theta``, ``names``, ``metric``,
        ``max_abs_deviation_vs_reference``, ``network``.
    molecules, runs, naive_runs
        The molecule counts per unit, and the seeds per count (driver, naive events).
    rows
        One summary per molecule count and method (``driver`` or ``events``).
    timing
        The event delays of the one SBML model under Gillespie, per molecule count.
    runs_detail
        Every replica (``theta`` and ``metric``, or ``error``).
    seconds
        Wall time.
    """

    study: ClassVar[str] = "noise"

    circuit: str
    data: str
    metric: str
    config: dict[str, Any]
    deterministic: dict[str, Any]
    molecules: list[int]
    runs: int
    naive_runs: int
    rows: list[dict[str, Any]]
    timing: list[dict[str, Any]]
    runs_detail: list[dict[str, Any]]
    seconds: float


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
        metric = study_metric(sd, compiled, theta)
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


def _noise_row(
    n: int, method: str, mine: list[dict[str, Any]], det: dict[str, Any]
) -> dict[str, Any]:
    """The summary of one molecule count and method over its replicas ``mine``."""
    ok = [r for r in mine if "error" not in r]
    thetas = np.array([r["theta"] for r in ok]) if ok else np.empty((0, len(det["theta"])))
    metrics = [r["metric"] for r in ok]
    m = summary(metrics)
    rel = [abs(v / det["metric"] - 1.0) for v in metrics] if det["metric"] else []
    return {
        "molecules": int(n),
        "method": method,
        "runs": len(mine),
        "failed": len(mine) - len(ok),
        "theta_mean": thetas.mean(axis=0).tolist() if ok else [],
        "theta_std": thetas.std(axis=0, ddof=1).tolist() if len(ok) > 1 else [],
        "theta_rmse_vs_det": float(np.sqrt(np.mean((thetas - np.array(det["theta"])) ** 2)))
        if ok
        else math.nan,
        "metric": m,
        "metric_ratio": m["mean"] / det["metric"] if det["metric"] else math.nan,
        "metric_ratio_se": m["std"] / math.sqrt(max(m["n"], 1)) / det["metric"]
        if det["metric"]
        else math.nan,
        "within_5pct": float(np.mean(np.array(rel) <= 0.05)) if rel else math.nan,
        "seconds_per_run": float(np.mean([r["seconds"] for r in ok])) if ok else math.nan,
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
) -> NoiseResult:
    """Stochastic training at every molecule count, ``runs`` seeds each (module docstring).

    Parameters
    ----------
    sd
        The circuit, its data and settings.
    molecules
        Molecules per unit of concentration, one replica set per count.
    runs
        Seeds ``0 … runs−1`` per count, driven phase by phase.
    naive_runs
        Seeds per count that also run the one SBML model with its events under RoadRunner's
        Gillespie integrator.
    timing
        Measure the event delays of that model (one epoch, seed 0).
    workers
        Worker processes (default: one per CPU).
    progress
        Called with a status line per finished replica.
    """
    if runs < 1:
        raise InputError(f"--runs must be at least 1. Got {runs}.")
    if not molecules or any(int(n) < 1 for n in molecules):
        raise InputError(f"--molecules must list positive integers. Got {molecules!r}.")
    t0 = time.perf_counter()
    det = deterministic(sd)
    jobs: list[tuple] = [(sd, int(n), s, "driver") for n in molecules for s in range(runs)]
    jobs += [(sd, int(n), s, "events") for n in molecules for s in range(naive_runs)]
    results = run_jobs(jobs, _noise_job, workers, progress)
    timings = []
    if timing:
        timings = run_jobs([(sd, int(n), 0) for n in molecules], _timing_job, workers, progress)
        for t in timings:
            t.pop("label", None)
    rows = []
    for n in molecules:
        for method in ("driver", "events"):
            mine = [r for r in results if r["molecules"] == n and r["method"] == method]
            if mine:
                rows.append(_noise_row(n, method, mine, det))
    return NoiseResult(
        circuit=sd.circuit,
        data=sd.label,
        metric=sd.metric,
        config=config_dict(sd.config),
        deterministic=det,
        molecules=[int(n) for n in molecules],
        runs=runs,
        naive_runs=naive_runs,
        rows=rows,
        timing=timings,
        runs_detail=[{k: v for k, v in r.items() if k != "label"} for r in results],
        seconds=time.perf_counter() - t0,
    )
