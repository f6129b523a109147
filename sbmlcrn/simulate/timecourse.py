"""Time courses: one model from t = 0 sampled on a grid, in segments that can be resumed.

:func:`simulate` integrates a model and samples it; :func:`simulate_segments` does the same and
hands the caller the complete model state after every segment as plain values
(:class:`SegmentState`), and can start from such a state (how a training checkpoint is
resumed); :func:`simulate_batch` runs an event-free model from many initial states.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from sbmlcrn.errors import SimulationError
from sbmlcrn.simulate._runner import (
    Tolerances,
    adams_then_bdf,
    captured_output,
    configure_cvode,
    model_ids,
    runner,
)

__all__ = [
    "SegmentCallback",
    "SegmentProgress",
    "SegmentState",
    "SimulationResult",
    "segment_bounds",
    "simulate",
    "simulate_batch",
    "simulate_segments",
]


@dataclass(frozen=True)
class SimulationResult:
    """Sampled trajectories and the final state of one simulation.

    Attributes
    ----------
    times
        Output times (read-only array).
    columns
        Read-only mapping from species id to its sampled concentrations (aligned with ``times``).
    final
        Read-only mapping from every species and parameter id to its value at the end time.
    """

    times: np.ndarray
    columns: Mapping[str, np.ndarray]
    final: Mapping[str, float]
    solver_messages: tuple[str, ...] = field(default=(), repr=False)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.columns[key]


@dataclass(frozen=True)
class SegmentState:
    """The complete state of a model after one segment of :func:`simulate_segments`.

    Attributes
    ----------
    segment
        The index of the segment just completed (0 is the first).
    time
        The model time at its end.
    stiff
        Whether the run integrates with BDF (True) or Adams (False).
    species
        Every floating species id, in model order.
    amounts
        Their amounts (float array aligned with ``species``).
    parameters
        Every global parameter id, in model order.
    values
        Their values (float array aligned with ``parameters``): the gates, clock counters and
        trigger times the events changed.
    """

    segment: int
    time: float
    stiff: bool
    species: tuple[str, ...]
    amounts: np.ndarray
    parameters: tuple[str, ...]
    values: np.ndarray


#: ``progress(t, end_time, rows)``: called after each segment of a :func:`simulate` run with
#: the segment's sampled rows (``"time"`` and every sampled species id → values).
SegmentProgress = Callable[[float, float, Mapping[str, np.ndarray]], None]

#: ``after_segment(state, rows)``: called after each segment of :func:`simulate_segments` with
#: the model state and the segment's new rows (``time`` and the sampled species, read-only).
SegmentCallback = Callable[[SegmentState, np.ndarray], None]


def simulate(
    sbml: str,
    times: Sequence[float] | np.ndarray,
    *,
    species: Sequence[str] | None = None,
    tolerances: Tolerances | None = None,
    breakpoints: Sequence[float] = (),
    progress: SegmentProgress | None = None,
) -> SimulationResult:
    """Simulate SBML text from t = 0 and sample it at ``times``.

    Parameters
    ----------
    sbml
        An SBML document as text.
    times
        Increasing output times; the first must be 0 and the last is the end time.
    species
        Species ids to sample (default: every floating species).
    tolerances
        Integrator settings (default :class:`Tolerances`).
    breakpoints
        Output times (members of ``times``) at which the integration is split so that
        ``progress`` can report; choose times where no event fires. The model state carries
        over on the same loaded model, so the trajectory is the same as without breakpoints
        (tested: bit-identical).
    progress
        Called as ``progress(t, end_time, rows)`` after each segment, ``rows`` mapping
        ``"time"`` and each sampled species id to the values sampled in that segment.

    Returns
    -------
    SimulationResult
        Trajectories at ``times`` and the final values of all species and global parameters.

    Raises
    ------
    SimulationError
        If the model cannot be loaded or CVODE fails (convergence, too many steps).
    """
    return simulate_segments(
        sbml,
        times,
        species=species,
        tolerances=tolerances,
        breakpoints=breakpoints,
        progress=progress,
    )


def simulate_segments(
    sbml: str,
    times: Sequence[float] | np.ndarray,
    *,
    species: Sequence[str] | None = None,
    tolerances: Tolerances | None = None,
    breakpoints: Sequence[float] = (),
    progress: SegmentProgress | None = None,
    start: SegmentState | None = None,
    rows: Sequence[np.ndarray] = (),
    after_segment: SegmentCallback | None = None,
) -> SimulationResult:
    """:func:`simulate`, handing out the model state after every segment and resuming from one.

    The segments are those of :func:`simulate` (``times`` split at ``breakpoints``). After
    segment ``k``, ``after_segment(state, new_rows)`` receives the complete state
    (:class:`SegmentState`) and the rows it added to the result (all of segment 0's; a later
    segment's without its first row, which repeats the previous segment's last). Given such a
    ``start`` and the ``rows`` of segments ``0 … start.segment``, the run loads a new instance,
    restores the state and continues with the next segment, with the method the interrupted
    run used; RoadRunner restarts CVODE at every segment anyway, so the result is the
    uninterrupted run's (measured: bit-identical). If Adams fails after a resumed start, BDF
    integrates again from t = 0, as the uninterrupted run would have.

    Parameters
    ----------
    sbml, times, species, tolerances, breakpoints, progress
        As for :func:`simulate`.
    start
        The state after an earlier run's segment ``start.segment`` (None: start at t = 0).
    rows
        The rows of segments ``0 … start.segment``, as ``after_segment`` received them.
    after_segment
        Called after each segment (before ``progress``); its exceptions propagate.

    Returns
    -------
    SimulationResult
        As for :func:`simulate`.

    Raises
    ------
    SimulationError
        If the model cannot be loaded or integrated, or ``start`` is not a state of this
        model with its rows.
    """
    tol = tolerances or Tolerances()
    grid, bounds = segment_bounds(times, breakpoints)
    if start is not None:
        _check_start(sbml, start, rows)
    messages: list[str] = []
    resume = start

    def run(stiff: bool) -> SimulationResult:
        with runner(sbml) as rr:
            configure_cvode(rr, tol, stiff)
            model = rr.model
            ids = list(species) if species is not None else list(model.getFloatingSpeciesIds())
            selections = ["time", *(f"[{s}]" for s in ids)]
            done: list[np.ndarray] = []
            first = 0
            if resume is not None:
                _restore(rr, resume)
                done, first = list(rows), resume.segment + 1

            def after(k: int, piece: np.ndarray) -> None:
                if after_segment is not None:
                    after_segment(_state(model, k, stiff), piece if k == 0 else piece[1:])
                if progress is not None:
                    cols = {"time": piece[:, 0], **{s: piece[:, j] for j, s in enumerate(ids, 1)}}
                    progress(float(piece[-1, 0]), float(grid[-1]), MappingProxyType(cols))

            pieces = _integrate(rr, grid, bounds, selections, messages, first=first, after=after)
            return _result(model, ids, grid, [*done, *pieces], messages)

    def restart() -> None:
        nonlocal resume
        resume = None  # as the uninterrupted run: BDF from t = 0

    if resume is not None and (tol.stiff is not None or resume.stiff):
        return run(resume.stiff)
    return adams_then_bdf(run, tol, messages, restart=restart)


def segment_bounds(
    times: Sequence[float] | np.ndarray, breakpoints: Sequence[float]
) -> tuple[np.ndarray, list[int]]:
    """The output grid and the grid indices where segments start and end.

    Raises
    ------
    SimulationError
        ``times`` is not increasing from 0 with 2 or more points, or a breakpoint is not one
        of them.
    """
    grid = np.asarray(times, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or grid[0] != 0.0 or np.any(np.diff(grid) <= 0):
        raise SimulationError(
            "The times parameter of simulate must be increasing, start at 0 and have 2 or more "
            f"points. Got {grid.size} points instead."
        )
    cuts = sorted({int(np.searchsorted(grid, b)) for b in breakpoints if 0 < b < grid[-1]})
    if any(grid[i] not in breakpoints for i in cuts):
        raise SimulationError("The breakpoints parameter of simulate must be output times.")
    return grid, [0, *cuts, grid.size - 1]


def _check_start(sbml: str, start: SegmentState, rows: Sequence[np.ndarray]) -> None:
    """Refuse a start state of another model or without its rows (before any attempt: the
    Adams→BDF fallback must not turn this into a run from t = 0)."""
    if (start.species, start.parameters) != model_ids(sbml):
        raise SimulationError(
            "The start parameter of simulate_segments must be a state of the simulated model. "
            "Got one with other species or parameters instead."
        )
    if len(rows) != start.segment + 1:
        raise SimulationError(
            f"The rows parameter of simulate_segments must hold {start.segment + 1} segments "
            f"(through start.segment). Got {len(rows)} instead."
        )


def _restore(rr: Any, state: SegmentState) -> None:
    """Set the model's time, species amounts and parameter values to ``state`` (not those an
    assignment rule computes, such as the observables ``theta_<col>`` and ``loss``: RoadRunner
    refuses to set them, and their rules give them again from the state)."""
    model = rr.model
    model.setTime(state.time)
    model.setFloatingSpeciesAmounts(state.amounts)
    ruled = set(rr.getAssignmentRuleIds())
    keep = [i for i, pid in enumerate(state.parameters) if pid not in ruled]
    model.setGlobalParameterValues(keep, np.asarray(state.values, dtype=float)[keep])


def _state(model: Any, segment: int, stiff: bool) -> SegmentState:
    """The model's complete state after ``segment``, as plain values."""
    return SegmentState(
        segment=segment,
        time=float(model.getTime()),
        stiff=stiff,
        species=tuple(model.getFloatingSpeciesIds()),
        amounts=np.array(model.getFloatingSpeciesAmounts(), dtype=float),
        parameters=tuple(model.getGlobalParameterIds()),
        values=np.array(model.getGlobalParameterValues(), dtype=float),
    )


def _integrate(
    rr: Any,
    grid: np.ndarray,
    bounds: Sequence[int],
    selections: Sequence[str],
    messages: list[str],
    *,
    first: int = 0,
    after: Callable[[int, np.ndarray], None] | None = None,
) -> list[np.ndarray]:
    """Integrate segment ``first`` … last of ``grid`` (split at ``bounds``) on one loaded
    model; ``after(k, rows)`` runs after segment ``k``. Returns the rows of every
    integrated segment (the first row of a segment after the first dropped: it repeats the
    previous segment's last). RoadRunner errors become :class:`SimulationError`."""
    pieces: list[np.ndarray] = []
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        if k < first:
            continue
        try:
            with captured_output(messages):
                piece = np.array(rr.simulate(times=grid[lo : hi + 1], selections=selections))
        except Exception as exc:  # RoadRunner raises plain RuntimeError
            detail = f" ({messages[-1]})" if messages else ""
            raise SimulationError(
                f"RoadRunner failed to integrate the model: {exc}{detail}"
            ) from exc
        piece.setflags(write=False)  # callbacks see the rows, they cannot change the result
        pieces.append(piece if k == 0 else piece[1:])
        if after is not None:
            after(k, piece)  # its exceptions are its own, not integration failures
    return pieces


def _result(
    model: Any,
    ids: Sequence[str],
    grid: np.ndarray,
    pieces: Sequence[np.ndarray],
    messages: list[str],
) -> SimulationResult:
    """A :class:`SimulationResult` from the sampled rows and the model's final state."""
    data = np.array(np.vstack(pieces), dtype=float)
    if data.shape != (grid.size, len(ids) + 1) or not np.all(np.isfinite(data)):
        raise SimulationError("RoadRunner returned a non-finite or incomplete trajectory.")
    cols = {}
    for j, sid in enumerate(ids, start=1):
        col = data[:, j].copy()
        col.setflags(write=False)
        cols[sid] = col
    species = model.getFloatingSpeciesIds()
    params = model.getGlobalParameterIds()
    final = dict(zip(species, map(float, model.getFloatingSpeciesConcentrations()), strict=True))
    final |= dict(zip(params, map(float, model.getGlobalParameterValues()), strict=True))
    t = data[:, 0].copy()
    t.setflags(write=False)
    return SimulationResult(
        times=t,
        columns=MappingProxyType(cols),
        final=MappingProxyType(final),
        solver_messages=tuple(messages),
    )


def simulate_batch(
    sbml: str,
    end_time: float,
    initial: Mapping[str, np.ndarray],
    outputs: Sequence[str],
    *,
    tolerances: Tolerances | None = None,
) -> dict[str, np.ndarray]:
    """Simulate one event-free model many times from different initial concentrations.

    The model is loaded once; for sample ``k`` every species in ``initial`` starts at
    ``initial[sid][k]`` (the others at the model's initial values), the model is integrated
    from 0 to ``end_time`` and the final concentrations of ``outputs`` are recorded.

    Parameters
    ----------
    sbml
        An SBML document as text, without events.
    end_time
        The time every sample is integrated to.
    initial
        Species id → its initial concentration in every sample (equal-length arrays).
    outputs
        Species whose final concentrations are returned.
    tolerances
        Integrator settings (``stiff=None``: the integrator's default method).

    Returns
    -------
    dict[str, numpy.ndarray]
        Output species id → its final concentration in every sample (read-only arrays).

    Raises
    ------
    SimulationError
        If the model cannot be loaded or integrated, or the sample arrays differ in length.
    """
    tol = tolerances or Tolerances()
    lengths = {len(v) for v in initial.values()}
    if len(lengths) != 1:
        raise SimulationError("The initial parameter of simulate_batch needs equal-length arrays.")
    n = lengths.pop()
    with runner(sbml) as rr:
        configure_cvode(rr, tol, tol.stiff)
        out = {sid: np.empty(n) for sid in outputs}
        # Setting ``init(...)`` values makes RoadRunner regenerate its initial-value code (~12 ms a
        # call); writing the state vector and integrating from t = 0 is ~200x faster and the same.
        ids = list(rr.model.getFloatingSpeciesIds())
        base = np.array(rr.model.getFloatingSpeciesConcentrations(), dtype=float)
        unknown = [sid for sid in (*initial, *outputs) if sid not in ids]
        if unknown:
            raise SimulationError(f"simulate_batch: the model has no species {unknown}.")
        columns = [(ids.index(sid), np.asarray(v, dtype=float)) for sid, v in initial.items()]
        messages: list[str] = []
        try:
            with captured_output(messages):
                for k in range(n):
                    state = base.copy()
                    for j, values in columns:
                        state[j] = values[k]
                    rr.model.setFloatingSpeciesConcentrations(state)
                    rr.simulate(0.0, float(end_time), 2)
                    for sid in outputs:
                        out[sid][k] = rr.getValue(f"[{sid}]")
        except Exception as exc:
            raise SimulationError(f"RoadRunner failed to integrate the model: {exc}") from exc
        for values in out.values():
            if not np.all(np.isfinite(values)):
                raise SimulationError("RoadRunner returned a non-finite output.")
            values.setflags(write=False)
        return out
