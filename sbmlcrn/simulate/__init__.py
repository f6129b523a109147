"""The RoadRunner adapter: the only module of sbmlcrn that imports ``roadrunner``.

:func:`simulate` loads SBML text with the LLJIT backend (it compiles large models several
times faster than MCJIT), integrates it with CVODE at the requested tolerances and returns an
immutable :class:`SimulationResult`. Failures of loading or integrating are raised as
:class:`~sbmlcrn.errors.SimulationError`.

A new RoadRunner instance is made for every call: ``reset()`` keeps parameters that events
changed, so reusing an instance would silently start a second run from the first one's gates
and clock. The compiled code is reused: :func:`_runner` keeps one instance per SBML text
alive, and RoadRunner shares compiled models between live instances of the same text.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import itertools
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from sbmlcrn.errors import SimulationError

__all__ = [
    "PhaseRunResult",
    "SimulationResult",
    "Tolerances",
    "roadrunner_version",
    "simulate",
    "simulate_batch",
    "simulate_gillespie",
    "simulate_phases",
]


@dataclass(frozen=True)
class Tolerances:
    """CVODE settings; the defaults are tight enough for the exactness tests (≤ 1e-6).

    ``stiff``: True for BDF, False for Adams; None (default) tries Adams first and, if CVODE
    fails with it, integrates again from t = 0 with BDF. Decision: the training networks are
    not stiff at the default annihilation rate and Adams was 2–3× faster on them with equal or
    better agreement with the reference (measured: a 20-epoch linear classifier 1.5 s vs 3.8 s,
    a cubic XOR classifier 1.1 s vs 3.4 s); BDF remains the fallback for stiff settings.
    """

    relative: float = 1e-10
    absolute: float = 1e-12
    max_steps: int = 200_000
    stiff: bool | None = None

    def __post_init__(self) -> None:
        for name in ("relative", "absolute"):
            value = getattr(self, name)
            if not (isinstance(value, float | int) and 0 < value < 1):
                raise SimulationError(
                    f"The {name} parameter of Tolerances must be in (0, 1). Got {value!r} instead."
                )
        if self.max_steps < 1:
            raise SimulationError(
                f"The max_steps parameter of Tolerances must be >= 1. Got {self.max_steps!r}."
            )


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


class _Capture:
    """Capture what native code prints on file descriptors 1 and 2 into ``sink``.

    SUNDIALS prints CVODE warnings (e.g. "t + h = t on the next step") straight to the C
    streams, bypassing RoadRunner's logger; left alone they would interleave with a command's
    own output (``predict`` writes CSV to stdout). :meth:`paused` restores the real streams
    for a moment (a progress display inside a captured loop must reach the terminal).
    """

    def __init__(self, sink: list[str]) -> None:
        self._sink = sink
        self._tmp: Any = None
        self._saved: list[tuple[int, int]] = []

    @staticmethod
    def _flush() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()

    def _redirect(self) -> None:
        self._flush()
        for fd in (1, 2):
            self._saved.append((fd, os.dup(fd)))
            os.dup2(self._tmp.fileno(), fd)

    def _restore(self) -> None:
        self._flush()
        for fd, copy in self._saved:
            os.dup2(copy, fd)
            os.close(copy)
        self._saved.clear()

    def __enter__(self) -> _Capture:
        self._tmp = tempfile.TemporaryFile(mode="w+b")
        try:
            self._redirect()
        except BaseException:
            self._restore()
            self._tmp.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._restore()
            self._tmp.seek(0)
            text = self._tmp.read().decode("utf-8", errors="replace")
            self._sink.extend(line for line in text.splitlines() if line.strip())
        finally:
            self._tmp.close()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The real stdout and stderr for the duration of the block."""
        self._restore()
        try:
            yield
        finally:
            self._redirect()


def _captured_output(sink: list[str]) -> _Capture:
    """A context manager capturing native output on fds 1 and 2 into ``sink``."""
    return _Capture(sink)


def roadrunner_version() -> str:
    """Version string of the installed libRoadRunner."""
    import roadrunner

    return str(roadrunner.__version__)


_LOAD_LOCK = threading.Lock()
_CACHE_LOCK = threading.Lock()
#: One RoadRunner instance per SBML text (by SHA-256), least recently used first, kept alive so
#: that RoadRunner reuses its compiled code for new instances of the same text (see _runner).
_CACHE: collections.OrderedDict[str, Any] = collections.OrderedDict()
#: At most this many models are kept per process (see :func:`runner_cache_size`).
_CACHE_SIZE = 8


def runner_cache_size(size: int | None = None) -> int:
    """Get, or set with ``size``, how many compiled models a process keeps for reuse.

    ``0`` disables the cache (every simulation compiles its model again). Setting a smaller
    size evicts the least recently used models at once.
    """
    global _CACHE_SIZE
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise SimulationError(
                f"The size parameter of runner_cache_size must be an int >= 0. Got {size!r} "
                "instead."
            )
        with _CACHE_LOCK:
            _CACHE_SIZE = size
            _evict()
    return _CACHE_SIZE


def _evict() -> None:
    """Drop least recently used models beyond the size (caller holds ``_CACHE_LOCK``)."""
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)


def _load(sbml: str):
    """Load and compile ``sbml`` in a new RoadRunner instance.

    LLJIT compiles large models several times faster than MCJIT. Decisions, each measured on
    a 2,003-reaction network:

    - RoadRunner's Python wrapper is told not to create one Python attribute per model id
      (``ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES``): sbmlcrn never uses them and
      building them is superlinear in the model size (1.2–2 s of a 4.4–5.5 s load).
    - No code for changing *initial* values
      (``LOADSBMLOPTIONS_MUTABLE_INITIAL_CONDITIONS`` off): sbmlcrn never sets ``init(…)``
      values or resets a model (it loads a new instance instead), it sets only the current
      state, which stays settable; the load took 1.7–1.9 s instead of 3.9–4.1 s.

    These settings are global in RoadRunner, so they are set for this load only and the
    caller's values restored: a user's own ``te.loada`` model in the same process keeps its
    attributes and mutable initial conditions. The text is marked (:func:`_private`) so that
    RoadRunner never hands this compiled code to such a model. Loads are serialised by a lock
    (the settings are process-wide while it is held).
    """
    import roadrunner

    config = roadrunner.Config
    with _LOAD_LOCK:
        settings = {
            config.LLVM_BACKEND: config.LLJIT,
            config.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES: True,
            config.LOADSBMLOPTIONS_MUTABLE_INITIAL_CONDITIONS: False,
        }
        saved = [(key, config.getValue(key)) for key in settings]
        for key, value in settings.items():
            config.setValue(key, value)
        roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
        try:
            return roadrunner.RoadRunner(_private(sbml))
        except Exception as exc:  # roadrunner raises plain RuntimeError with the libSBML text
            raise SimulationError(f"RoadRunner could not load the model: {exc}") from exc
        finally:
            for key, value in saved:
                config.setValue(key, value)


#: Marks the text sbmlcrn compiles (see :func:`_private`).
_MARK = "<!-- compiled by sbmlcrn without mutable initial conditions -->"


def _private(sbml: str) -> str:
    """``sbml`` with a comment that gives sbmlcrn's compilations their own cache key.

    RoadRunner shares compiled code between all loads of the same SBML text in a process. Code
    compiled with sbmlcrn's settings (no mutable initial conditions) handed to a user's own
    ``RoadRunner(text)`` gave that instance garbage ``init(...)`` values and a ``reset()``
    that did not restore the initial state (measured, RoadRunner 2.10). The comment goes on
    the line of the XML declaration, so libSBML's line numbers in error messages are the
    file's.
    """
    if sbml.startswith("<?xml"):
        end = sbml.find("?>")
        if end > 0:
            return f"{sbml[: end + 2]}{_MARK}{sbml[end + 2 :]}"
    return f"{_MARK}{sbml}"


@contextlib.contextmanager
def _runner(sbml: str, *, cache: bool = True) -> Iterator[Any]:
    """A newly loaded RoadRunner instance for ``sbml``, its compiled code reused if possible.

    Every simulation gets a new instance, so no state of an earlier run can leak into it.
    Compilation is what costs, and RoadRunner shares a compiled model between instances of
    the same SBML text while one of them is alive (its own cache keeps less once the last one
    is gone). So the first instance of every model is kept alive in a per-process cache keyed by the
    SHA-256 of the SBML text (never by the model id: two models with the same id never share
    anything) and never simulated again. Measured on a 2,003-reaction network: a short
    simulation took 1.6 s the first time, 0.57 s again with this cache and 1.06 s with
    RoadRunner's own cache alone. The kept instance keeps the output of the one simulation it
    ran (small: the sampled rows); ``cache=False`` (Gillespie runs, whose output can be
    millions of rows) neither uses nor fills the cache.

    Decision: new instances rather than reusing one with ``resetToOrigin()`` or
    ``loadStateS()``. Both restore the values, but a reused instance integrated in segments
    (``simulate`` with breakpoints) fired the clock events differently from a new one: the
    learned parameters moved by 1e-3 (measured on a 12-sample linear regression, and 4e-3 on
    an XOR classifier), whereas a new instance gives bit-identical results.
    """
    key = hashlib.sha256(sbml.encode("utf-8")).hexdigest()
    with _CACHE_LOCK:
        cached = key in _CACHE
        if cached:
            _CACHE.move_to_end(key)
    rr = _load(sbml)
    if cache and not cached and _CACHE_SIZE > 0:
        with _CACHE_LOCK:
            _CACHE[key] = rr
            _evict()
    yield rr


#: ``progress(t, end_time, rows)``: called after each segment of a :func:`simulate` run with
#: the segment's sampled rows (``"time"`` and every sampled species id → values).
SegmentProgress = Callable[[float, float, Mapping[str, np.ndarray]], None]


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
    tol = tolerances or Tolerances()
    grid, bounds = _segment_bounds(times, breakpoints)
    messages: list[str] = []

    def run(stiff: bool) -> SimulationResult:
        with _runner(sbml) as rr:
            configure_cvode(rr, tol, stiff)
            ids = list(species) if species is not None else list(rr.model.getFloatingSpeciesIds())
            selections = ["time", *(f"[{s}]" for s in ids)]

            def after(_k: int, _rr: Any, piece: np.ndarray) -> None:
                if progress is not None:
                    rows = {"time": piece[:, 0], **{s: piece[:, j] for j, s in enumerate(ids, 1)}}
                    progress(float(piece[-1, 0]), float(grid[-1]), MappingProxyType(rows))

            pieces = integrate_segments(rr, grid, bounds, selections, messages, after=after)
            return collect_result(rr, ids, grid, pieces, messages)

    if tol.stiff is None:
        try:
            return run(False)
        except SimulationError:
            messages.clear()
            return run(True)
    return run(bool(tol.stiff))


def _segment_bounds(
    times: Sequence[float] | np.ndarray, breakpoints: Sequence[float]
) -> tuple[np.ndarray, list[int]]:
    """The output grid and the grid indices where segments start and end."""
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


def configure_cvode(rr: Any, tol: Tolerances, stiff: bool) -> None:
    """Set CVODE's tolerances, step limit and method (BDF if ``stiff``, else Adams)."""
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", float(tol.relative))
    integrator.setValue("absolute_tolerance", float(tol.absolute))
    integrator.setValue("maximum_num_steps", int(tol.max_steps))
    integrator.setValue("stiff", bool(stiff))


def integrate_segments(
    rr: Any,
    grid: np.ndarray,
    bounds: Sequence[int],
    selections: Sequence[str],
    messages: list[str],
    *,
    first: int = 0,
    after: Callable[[int, Any, np.ndarray], None] | None = None,
) -> list[np.ndarray]:
    """Integrate segment ``first`` … last of ``grid`` (split at ``bounds``) on one loaded
    model; ``after(k, rr, rows)`` runs after segment ``k``. Returns the rows of every
    integrated segment (the first row of a segment after the first dropped: it repeats the
    previous segment's last). RoadRunner errors become :class:`SimulationError`."""
    pieces: list[np.ndarray] = []
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        if k < first:
            continue
        try:
            with _captured_output(messages):
                piece = np.array(rr.simulate(times=grid[lo : hi + 1], selections=selections))
        except Exception as exc:  # RoadRunner raises plain RuntimeError
            detail = f" ({messages[-1]})" if messages else ""
            raise SimulationError(
                f"RoadRunner failed to integrate the model: {exc}{detail}"
            ) from exc
        piece.setflags(write=False)  # callbacks see the rows, they cannot change the result
        pieces.append(piece if k == 0 else piece[1:])
        if after is not None:
            after(k, rr, piece)  # its exceptions are its own, not integration failures
    return pieces


def collect_result(
    rr: Any, ids: Sequence[str], grid: np.ndarray, pieces: Sequence[np.ndarray], messages: list[str]
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
    model = rr.model
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
    with _runner(sbml) as rr:
        integrator = rr.getIntegrator()
        integrator.setValue("relative_tolerance", float(tol.relative))
        integrator.setValue("absolute_tolerance", float(tol.absolute))
        integrator.setValue("maximum_num_steps", int(tol.max_steps))
        if tol.stiff is not None:
            integrator.setValue("stiff", bool(tol.stiff))
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
            with _captured_output(messages):
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


# ---------------------------------------------------------------------------------------------
# Phase-by-phase driving (stochastic training) and Gillespie runs of a whole model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseRunResult:
    """What :func:`simulate_phases` observed.

    Attributes
    ----------
    ends
        End time of every phase (read-only array, one per phase).
    observed
        ``phases × len(observe)`` read-only array: the *amounts* of the observed species at the
        end of every phase (amounts equal concentrations in a compartment of size 1).
    final
        Read-only mapping from every species id (its amount) and global parameter id to its
        value at the end of the last phase.
    """

    ends: np.ndarray
    observed: np.ndarray
    final: Mapping[str, float]
    solver_messages: tuple[str, ...] = field(default=(), repr=False)


def simulate_phases(
    sbml: str,
    phases: Sequence[tuple[float, float, Mapping[str, float]]],
    *,
    observe: Sequence[str] = (),
    method: str = "cvode",
    seed: int | None = None,
    tolerances: Tolerances | None = None,
    initial_amounts: Mapping[str, float] | None = None,
    after_phase: Callable[[int, np.ndarray], Callable[[], None] | None] | None = None,
) -> PhaseRunResult:
    """Drive one loaded model through a schedule of phases, stopping at each phase boundary.

    The model is loaded once. For every phase ``(start, end, assignments)`` the driver sets
    the assigned species *amounts* and global parameter values (what a time event at
    ``start`` would assign: gates, loaded data, cleared transients — never values computed
    from species), then integrates exactly from ``start`` to ``end``. Use it on an event-free
    model: the boundaries are then exact whatever the integrator, which RoadRunner's Gillespie
    integrator cannot give a model with time events (it applies them only after the first
    reaction that fires past the trigger time).

    Parameters
    ----------
    sbml
        An SBML document as text (normally without events).
    phases
        ``(start, end, assignments)`` in increasing time order, ``start < end`` and every
        ``start`` at or after the previous ``end``.
    observe
        Species whose amounts are recorded at the end of every phase.
    method
        ``"cvode"`` (deterministic, :class:`Tolerances`) or ``"gillespie"`` (the direct-method
        SSA; amounts must then be whole numbers of molecules).
    seed
        Seed of the Gillespie integrator's random stream, set once before the first phase: the
        same seed and schedule give the same run.
    tolerances
        CVODE settings (``stiff=None``: Adams, and BDF from the start if Adams fails).
    initial_amounts
        Species amounts set before the first phase (others keep the model's initial values).
    after_phase
        Called as ``after_phase(k, amounts)`` after phase ``k`` with the observed amounts at
        its end (a read-only view). Native output is captured while the phases run; if it
        returns a callable, that is called with the real stdout and stderr restored (to show
        progress: restoring them costs ~10 µs, too much to do after every phase).

    Raises
    ------
    SimulationError
        If the model cannot be loaded or integrated, an id is unknown, or the phases are not
        increasing.
    """
    if method not in ("cvode", "gillespie"):
        raise SimulationError(
            "The method parameter of simulate_phases must be 'cvode' or 'gillespie'. "
            f"Got {method!r}."
        )
    last = -np.inf
    for start, end, _ in phases:
        if not (start >= last and end > start):
            raise SimulationError(
                "The phases parameter of simulate_phases must be increasing, each with start < "
                f"end. Got a phase ({start!r}, {end!r}) after one ending at {last!r}."
            )
        last = end
    tol = tolerances or Tolerances()
    messages: list[str] = []

    def run(stiff: bool) -> PhaseRunResult:
        with _runner(sbml) as rr:
            if method == "gillespie":
                rr.setIntegrator("gillespie")
                integrator = rr.getIntegrator()
                integrator.setValue("variable_step_size", False)
                integrator.setValue("seed", int(seed if seed is not None else 0))
            else:
                integrator = rr.getIntegrator()
                integrator.setValue("relative_tolerance", float(tol.relative))
                integrator.setValue("absolute_tolerance", float(tol.absolute))
                integrator.setValue("maximum_num_steps", int(tol.max_steps))
                integrator.setValue("stiff", stiff)
            model = rr.model
            species = {sid: i for i, sid in enumerate(model.getFloatingSpeciesIds())}
            params = {pid: i for i, pid in enumerate(model.getGlobalParameterIds())}
            unknown = [s for s in (*observe, *(initial_amounts or {})) if s not in species]
            if unknown:
                raise SimulationError(f"simulate_phases: the model has no species {unknown}.")
            rr.timeCourseSelections = ["time"]
            watch = np.array([species[s] for s in observe], dtype=np.int32)
            observed = np.empty((len(phases), len(observe)))
            plans: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

            def split(assign: Mapping[str, float]):
                key = tuple(assign)
                if key not in plans:
                    s_ids = [k for k in key if k in species]
                    p_ids = [k for k in key if k in params]
                    bad = [k for k in key if k not in species and k not in params]
                    if bad:
                        raise SimulationError(
                            f"simulate_phases: the model has no species or parameter {bad}."
                        )
                    plans[key] = (
                        np.array([species[k] for k in s_ids], dtype=np.int32),
                        np.array([key.index(k) for k in s_ids], dtype=np.int32),
                        np.array([params[k] for k in p_ids], dtype=np.int32),
                        np.array([key.index(k) for k in p_ids], dtype=np.int32),
                    )
                return plans[key]

            if initial_amounts:
                idx = np.array([species[s] for s in initial_amounts], dtype=np.int32)
                amounts = np.array(list(initial_amounts.values()), float)
                model.setFloatingSpeciesAmounts(idx, amounts)
            in_callback = False
            try:
                with _captured_output(messages) as capture:
                    for k, (start, end, assign) in enumerate(phases):
                        if assign:
                            s_idx, s_pos, p_idx, p_pos = split(assign)
                            values = np.fromiter(assign.values(), float, len(assign))
                            if s_idx.size:
                                model.setFloatingSpeciesAmounts(s_idx, values[s_pos])
                            if p_idx.size:
                                model.setGlobalParameterValues(p_idx, values[p_pos])
                        rr.simulate(float(start), float(end), 2)
                        if watch.size:
                            observed[k] = model.getFloatingSpeciesAmounts(watch)
                        if after_phase is not None:
                            row = observed[k].view()
                            row.setflags(write=False)
                            in_callback = True
                            action = after_phase(k, row)
                            if action is not None:
                                with capture.paused():  # a display reaches the terminal
                                    action()
                            in_callback = False
            except SimulationError:
                raise
            except Exception as exc:
                if in_callback:  # the callback's own error, not an integration failure
                    raise
                detail = f" ({messages[-1]})" if messages else ""
                raise SimulationError(
                    f"RoadRunner failed to integrate the model: {exc}{detail}"
                ) from exc
            if not np.all(np.isfinite(observed)):
                raise SimulationError("RoadRunner returned a non-finite amount.")
            final = dict(zip(species, map(float, model.getFloatingSpeciesAmounts()), strict=True))
            final |= dict(zip(params, map(float, model.getGlobalParameterValues()), strict=True))
            ends = np.array([end for _, end, _ in phases], dtype=float)
            for arr in (ends, observed):
                arr.setflags(write=False)
            return PhaseRunResult(ends, observed, MappingProxyType(final), tuple(messages))

    if method == "gillespie" or tol.stiff is not None:
        return run(bool(tol.stiff))
    try:
        return run(False)
    except SimulationError:
        messages.clear()
        return run(True)


def simulate_gillespie(
    sbml: str,
    end_time: float,
    *,
    selections: Sequence[str],
    seed: int = 0,
    variable_step: bool = True,
    max_rows: int = 50_000_000,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Run a whole model (events included) with RoadRunner's Gillespie integrator.

    With ``variable_step`` (default) there is one output row per reaction firing, so the time
    at which an event's assignments first appear is the time RoadRunner applied them;
    otherwise only the start and end rows. Returns the ``rows × len(selections)`` array and
    RoadRunner's messages (it warns that time events are imprecise under Gillespie).
    """
    messages: list[str] = []
    with _runner(sbml, cache=False) as rr:
        rr.setIntegrator("gillespie")
        integrator = rr.getIntegrator()
        integrator.setValue("variable_step_size", bool(variable_step))
        integrator.setValue("seed", int(seed))
        integrator.setValue("max_output_rows", int(max_rows))
        rr.timeCourseSelections = list(selections)
        try:
            with _captured_output(messages):
                if variable_step:
                    out = np.array(rr.simulate(0.0, float(end_time)))
                else:
                    out = np.array(rr.simulate(0.0, float(end_time), 2))
        except Exception as exc:
            raise SimulationError(f"RoadRunner's Gillespie run failed: {exc}") from exc
        return out, tuple(messages)
