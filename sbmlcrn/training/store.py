"""Run directories: :func:`save_run` writes one atomically, :func:`load_run` reads it back.

A run directory holds ``model.xml`` (the training model), ``model.ant``, ``result.json`` (the
run record) and plots; a ``phases`` run too large for its event model holds the event-free
network as ``model.xml`` and its loads as ``schedule.csv``
(:func:`sbmlcrn.training.transforms.event_free_form`). The directory is written into a
temporary sibling first and swapped in as ``out`` as a whole only when everything is written,
so an interrupted or failed save leaves the previous run (or nothing) complete and untouched,
never a mix. The save holds the lock of ``out`` (:mod:`sbmlcrn.io.outlock`), so two saves to
one directory never interleave.
"""

from __future__ import annotations

import dataclasses
import platform
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import antimony
import libsbml
import numpy as np

from sbmlcrn._version import __version__
from sbmlcrn.circuits.linear import FeatureMap
from sbmlcrn.circuits.registry import Config
from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import atomic_output_dir, check_output_dir
from sbmlcrn.io.outlock import output_lock
from sbmlcrn.io.record import (
    RECORD_FILE,
    RunRecord,
    creation_date,
    invalid_record,
    read_record,
    record_config,
    write_record,
)
from sbmlcrn.simulate import roadrunner_version
from sbmlcrn.training.model import TrainedModel, effective_model
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.schedule import schedule
from sbmlcrn.training.transforms import FORM_SECTION, SCHEDULE_FILE

if TYPE_CHECKING:
    from sbmlcrn.training.plots import PlotWorker

__all__ = [
    "RUN_FILES",
    "check_out_dir",
    "load_model",
    "load_run",
    "record_of",
    "save_run",
    "software_versions",
]

#: The files :func:`save_run` writes; a directory holding anything else is not replaced.
RUN_FILES = frozenset(
    {
        "model.xml",
        "model.ant",
        "result.json",
        "loss.png",
        "decision.png",
        "predictions.png",
        SCHEDULE_FILE,
    }
)

#: Rows of ``schedule.csv`` formatted per write (bounds the text held in memory).
_CSV_CHUNK = 10_000


class _Sections(dict[str, Any]):
    """The sections of a run loaded from disk whose ``model.xml`` is event-free: a plain dict
    (what ``result.json`` records) that also carries the text of its ``schedule.csv``, so the
    run re-saves with it (:func:`record_of` copies the dict, not the text)."""

    schedule_csv: str | None = None


def software_versions() -> dict[str, str]:
    """Versions of sbmlcrn and the simulation stack."""
    return {
        "sbmlcrn": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "libroadrunner": roadrunner_version(),
        "antimony": str(getattr(antimony, "__version__", "unknown")),
        "python-libsbml": libsbml.getLibSBMLDottedVersion(),
    }


def _config_dict(cfg: Config) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


def record_of(
    run: TrainingRun,
    sections: Mapping[str, Any] | None = None,
    *,
    timings: Mapping[str, float] | None = None,
) -> RunRecord:
    """The run record (``result.json``) of ``run``, with extra ``sections`` after its own
    (and ``timings`` instead of the run's own, if given)."""
    model = run.model
    return RunRecord(
        circuit=run.circuit_name,
        task=run.task,
        inputs=tuple(model.features),
        target=run.target,
        parameters=dict(run.parameters),
        parameter_species={k: tuple(v) for k, v in run.parameter_species.items()},
        error_species=run.error_species,
        training_end_time=run.training_end_time,
        reference_parameters=dict(run.reference_parameters),
        max_abs_deviation=run.max_abs_deviation,
        train_loss=tuple(float(v) for v in run.train_loss),
        reference_train_loss=tuple(float(v) for v in run.reference_train_loss),
        test=dict(run.test) if run.test is not None else None,
        effective_model=effective_model(model),
        classes=tuple(model.classes),
        class_labels=tuple(model.class_labels) or None,
        config=_config_dict(model.config),
        feature_map=model.feature_map.to_dict(),
        network=dict(run.network_stats),
        schedule=dict(run.schedule),
        engine=run.engine,
        timings=dict(run.timings if timings is None else timings),
        software=dict(run.software) if run.software is not None else software_versions(),
        created=run.created or creation_date(),
        sections=dict(run.sections) | dict(sections or {}),
    )


def check_out_dir(out: str | Path) -> Path:
    """Refuse an output path that :func:`save_run` must not write or replace.

    ``out`` may not exist yet (its nearest existing ancestor must be a directory), may be an
    empty directory, or may be a previous run holding only the files of a run.
    """
    return check_output_dir(
        out, files=RUN_FILES, marker="result.json", what="a previous sbmlcrn run"
    )


def save_run(
    run: TrainingRun,
    out: str | Path,
    *,
    plots: bool | PlotWorker = True,
    sections: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model.xml``, ``model.ant``, ``result.json`` and plots into directory ``out``.

    Files go to a temporary sibling directory first, which replaces ``out`` as a whole only
    when everything is written (:func:`sbmlcrn.io.atomic.atomic_output_dir`), under the lock of
    ``out`` (another process saving or training to it: InputError). An existing ``out`` is
    replaced only if it is empty or holds a previous run (a ``result.json``); any other
    existing path is refused. ``sections`` adds top-level entries to ``result.json`` besides
    the run's own (``stochastic``, ``clock``).
    Plots need the data, so a run loaded from disk is saved without them. ``plots`` may be a
    started :class:`~sbmlcrn.training.plots.PlotWorker`, which draws them in its own process
    (the same files).

    A fresh run's record gains timings: ``plots_s`` (drawing the plots), ``save_s`` (the rest
    of the save before the record is written) and ``total_s`` (from the start of training to
    the record); the record is written last, so they cover everything but its own write.
    """
    with output_lock(out):
        target = check_out_dir(out)
        t0 = time.perf_counter()
        timings = dict(run.timings)
        plots_s = 0.0
        with atomic_output_dir(target, files=RUN_FILES, marker="result.json") as tmp:
            (tmp / "model.xml").write_text(run.sbml, encoding="utf-8")
            (tmp / "model.ant").write_text(run.antimony, encoding="utf-8")
            if FORM_SECTION in run.sections:
                _write_schedule(run, tmp / SCHEDULE_FILE)
            jobs = _plot_jobs(run, tmp) if plots is not False else []
            if jobs:
                t1 = time.perf_counter()
                _draw(run, jobs, plots)
                plots_s = time.perf_counter() - t1
            elif not isinstance(plots, bool):
                plots.close()
            if run.started is not None:
                if jobs:
                    timings["plots_s"] = plots_s
                timings["save_s"] = time.perf_counter() - t0 - plots_s
                timings["total_s"] = time.perf_counter() - run.started
            record = record_of(run, sections, timings=timings)
            write_record(record, tmp)
    return target


def _write_schedule(run: TrainingRun, path: Path) -> None:
    """Write the loads of an event-free run (``schedule.csv``): a header of the loaded
    species, then one row per cycle of an epoch (shortest round-trip decimals), streamed in
    chunks; a run loaded from disk writes the text it was read with."""
    text = getattr(run.sections, "schedule_csv", None)
    if run.circuit is None and text is None:
        raise InputError(
            f"The run must keep its {SCHEDULE_FILE} to be saved: its model.xml is the "
            "event-free network, whose loads were read from disk with the run "
            "(sbmlcrn.load_run) and are gone from this copy; copy the run directory instead."
        )
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        if run.circuit is None:
            fh.write(str(text))
            return
        loads = schedule(run.circuit).loads
        fh.write(",".join(loads) + "\n")
        table = np.column_stack([np.asarray(v, dtype=float) for v in loads.values()])
        for lo in range(0, len(table), _CSV_CHUNK):
            rows = table[lo : lo + _CSV_CHUNK].tolist()
            fh.write("".join(",".join(map(repr, row)) + "\n" for row in rows))


def _plot_jobs(run: TrainingRun, where: Path) -> list[tuple[str, Path]]:
    """The plots of a fresh run (none for a run loaded from disk): ``(plot, path)`` pairs."""
    if run.reference is None or run.parameter_trajectory is None:
        return []
    jobs = [("loss", where / "loss.png")]
    if run.task in ("classification", "multiclass") and len(run.features) == 2:
        jobs.append(("decision", where / "decision.png"))
    if run.task == "regression" and run.test_predictions is not None:
        jobs.append(("predictions", where / "predictions.png"))
    return jobs


def _draw(run: TrainingRun, jobs: list[tuple[str, Path]], plots: bool | PlotWorker) -> None:
    """Draw ``jobs`` with the worker ``plots``, or here (``plots=True``)."""
    if isinstance(plots, bool):
        from sbmlcrn.training.plots import draw_plots  # matplotlib

        draw_plots(run, jobs)
    else:
        plots.draw(run, jobs)


def _model_of(record: RunRecord, where: Path) -> TrainedModel:
    """The trained model of a record (:func:`read_record` has checked every entry)."""
    try:
        feature_map = FeatureMap.from_dict(dict(record.feature_map))
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise invalid_record(where, f"the 'feature_map' entry is refused: {exc}") from None
    return TrainedModel(
        circuit=record.circuit,
        features=tuple(record.inputs),
        config=record_config(record, where),
        feature_map=feature_map,
        parameters=dict(record.parameters),
        classes=tuple(record.classes),
        class_labels=tuple(record.class_labels or ()),
    )


def _record(run_dir: str | Path) -> tuple[RunRecord, Path]:
    path = Path(run_dir) / RECORD_FILE
    if not path.is_file():
        raise InputError(f"{run_dir}: not a training run directory (no result.json).")
    return read_record(run_dir), path


def load_model(run_dir: str | Path) -> TrainedModel:
    """Read the trained model of a run directory written by :func:`save_run`."""
    record, path = _record(run_dir)
    return _model_of(record, path)


def load_run(run_dir: str | Path) -> TrainingRun:
    """Read a run directory written by :func:`save_run` (or ``sbmlcrn train --out``).

    Parameters
    ----------
    run_dir
        The directory holding ``result.json``, ``model.xml`` and ``model.ant``.

    Returns
    -------
    TrainingRun
        The run as recorded: it predicts, reports and re-saves like the run that wrote it;
        what existed only in memory (the compiled circuit, the reference run, the data) is None.

    Raises
    ------
    InputError
        If ``run_dir`` is not a run directory, its record is damaged or its model unreadable.
    """
    record, path = _record(run_dir)
    model = _model_of(record, path)
    sections: dict[str, Any] = dict(record.sections)
    names = ["model.xml", "model.ant"]
    if FORM_SECTION in sections:
        sections = _Sections(sections)
        names.append(SCHEDULE_FILE)
    texts = []
    for name in names:
        try:
            texts.append((Path(run_dir) / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{Path(run_dir) / name}: cannot be read ({exc}).") from exc
    if isinstance(sections, _Sections):
        sections.schedule_csv = texts[2]
    return TrainingRun(
        circuit_name=record.circuit,
        model=model,
        sbml=texts[0],
        antimony=texts[1],
        parameters=dict(record.parameters),
        parameter_species=dict(record.parameter_species),
        error_species=record.error_species,
        training_end_time=record.training_end_time,
        train_loss=np.asarray(record.train_loss, dtype=float),
        reference_parameters=dict(record.reference_parameters),
        reference_train_loss=np.asarray(record.reference_train_loss, dtype=float),
        max_abs_deviation=record.max_abs_deviation,
        test=record.test,
        engine=record.engine,
        timings=dict(record.timings),
        sections=sections,
        target=record.target,
        network_stats=dict(record.network),
        schedule=dict(record.schedule),
        software=dict(record.software),
        created=record.created,
    )
