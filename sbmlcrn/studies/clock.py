"""The chemical clock against event gates: the study of the clock's shapes.

``sbmlcrn robustness clock CIRCUIT`` compares the event-free chemical clock
(:mod:`sbmlcrn.circuits.chemclock`) with the event-gated circuit for several clock shapes:
parameter deviation, test metric, and the extra species, reactions and molecularity.
``sbmlcrn train --clock chemical`` trains with it (:func:`sbmlcrn.training.pipeline.train`
with ``clock="chemical"``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sbmlcrn.circuits.chemclock import ChemicalClockConfig
from sbmlcrn.circuits.registry import compile_circuit, reference_run
from sbmlcrn.errors import SbmlcrnError
from sbmlcrn.studies.common import (
    Circuit,
    StudyData,
    StudyResult,
    config_dict,
    run_jobs,
    study_metric,
)
from sbmlcrn.training.engines import run_engine
from sbmlcrn.training.transforms import TrainingModel, prepare

__all__ = ["ClockResult", "clock_study"]


@dataclass(frozen=True)
class ClockResult(StudyResult):
    """What :func:`clock_study` measured (``to_dict()``: the study's ``results.json``).

    Attributes
    ----------
    circuit, data, metric, config
        The circuit, the label of its data, the test metric and the training settings.
    events
        The event-gated run: ``theta`` and ``metric``.
    rows
        One row per clock shape: ``config``, ``theta``, ``train_loss``, ``metric``, ``info``,
        ``max_rel_deviation``, ``metric_change`` (or ``error``).
    seconds
        Wall time.
    """

    study: ClassVar[str] = "clock"

    circuit: str
    data: str
    metric: str
    config: dict[str, Any]
    events: dict[str, Any]
    rows: list[dict[str, Any]]
    seconds: float


def _clock_run(base: Circuit, cfg: ChemicalClockConfig | None) -> tuple[TrainingModel, dict]:
    """Train ``base`` with a chemical clock of shape ``cfg`` by the training pipeline's own
    transform and engine (no reference check: the clock approximates the event gates)."""
    model = prepare(base, clock="chemical", clock_config=cfg)
    res = run_engine("events", model)
    loss = 0.5 * np.mean(np.sum(res.errors**2, axis=2), axis=1)
    return model, {"theta": res.theta, "trajectory": res.trajectory, "train_loss": loss}


def _clock_job(sd: StudyData, cfg: ChemicalClockConfig | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    base = compile_circuit(sd.circuit, sd.train, sd.config)
    if cfg is None:
        theta = reference_run(base).theta
        return {
            "label": "events",
            "theta": theta.tolist(),
            "metric": study_metric(sd, base, theta),
        }
    label = f"ring {cfg.species}, floor {cfg.floor:g}, {'rearm' if cfg.rearm else 'free'}"
    try:
        model, res = _clock_run(base, cfg)
        metric = study_metric(sd, model.circuit, res["theta"])
    except SbmlcrnError as exc:
        return {"label": f"{label}: failed ({exc})", "error": str(exc), "config": _cc(cfg)}
    return {
        "label": f"{label}: {sd.metric} {metric:.4g}",
        "config": _cc(cfg),
        "theta": res["theta"].tolist(),
        "train_loss": res["train_loss"].tolist(),
        "metric": metric,
        "info": model.sections["clock"],
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
) -> ClockResult:
    """Chemical clock vs event gates for several clock shapes (default: rings of 3 and 4,
    floors 1e-2 … 1e-5, re-armed and free-running).

    Parameters
    ----------
    sd
        The circuit, its data and settings.
    shapes
        The clock shapes to compare with the event-gated run.
    workers
        Worker processes (default: one per CPU).
    progress
        Called with a status line per finished run.
    """
    t0 = time.perf_counter()
    if shapes is None:
        shapes = [
            ChemicalClockConfig(species=n, floor=f, rearm=r)
            for n in (3, 4)
            for f in (1e-2, 1e-3, 1e-4, 1e-5)
            for r in (True, False)
        ]
    jobs: list[tuple] = [(sd, None)] + [(sd, cfg) for cfg in shapes]
    results = run_jobs(jobs, _clock_job, workers, progress)
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
    return ClockResult(
        circuit=sd.circuit,
        data=sd.label,
        metric=sd.metric,
        config=config_dict(sd.config),
        events={"theta": events["theta"], "metric": events["metric"]},
        rows=rows,
        seconds=time.perf_counter() - t0,
    )
