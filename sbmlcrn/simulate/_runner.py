"""Loading RoadRunner: the compile cache, native output capture, CVODE settings, the fallback.

Every simulation function of :mod:`sbmlcrn.simulate` gets its RoadRunner instance from
:func:`runner`, configures CVODE with :func:`configure_cvode`, captures what native code prints
with :func:`captured_output` and, when the method is left open (``Tolerances.stiff=None``),
integrates through :func:`adams_then_bdf`. No RoadRunner object leaves the package except the
user-facing :func:`load_roadrunner`.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sbmlcrn.errors import SimulationError

__all__ = [
    "Tolerances",
    "adams_then_bdf",
    "captured_output",
    "configure_cvode",
    "load",
    "load_roadrunner",
    "model_ids",
    "roadrunner_version",
    "runner",
    "runner_cache_size",
]

_T = TypeVar("_T")


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


def captured_output(sink: list[str]) -> _Capture:
    """A context manager capturing native output on fds 1 and 2 into ``sink``."""
    return _Capture(sink)


def roadrunner_version() -> str:
    """Version string of the installed libRoadRunner."""
    import roadrunner

    return str(roadrunner.__version__)


_LOAD_LOCK = threading.Lock()
_CONFIG_LOCK = threading.Lock()
_config_ready = False


def _roadrunner() -> Any:
    """``import roadrunner`` with its configuration read, whatever the user's ``HOME``.

    RoadRunner reads ``$HOME/roadrunner.conf`` on the first access to its configuration and
    raises a bare ``RuntimeError`` ("filesystem error: status: …") when that path cannot be
    inspected (a ``HOME`` that is a symbolic-link loop, or otherwise unusable). The first
    access is made here; if it fails, it is retried once with ``HOME`` pointing at an empty
    temporary directory (RoadRunner's defaults), and ``HOME`` is restored at once. RoadRunner
    keeps the configuration it read, so later accesses no longer look at ``HOME``.
    """
    global _config_ready
    import roadrunner

    with _CONFIG_LOCK:
        if _config_ready:
            return roadrunner
        config = roadrunner.Config
        try:
            config.getValue(config.LLVM_BACKEND)
        except (RuntimeError, OSError):
            saved = os.environ.get("HOME")
            with tempfile.TemporaryDirectory(prefix="sbmlcrn-home-") as home:
                os.environ["HOME"] = home
                try:
                    config.getValue(config.LLVM_BACKEND)
                except (RuntimeError, OSError) as exc:
                    raise SimulationError(
                        f"RoadRunner could not read its configuration: {exc}"
                    ) from exc
                finally:
                    if saved is None:
                        os.environ.pop("HOME", None)
                    else:
                        os.environ["HOME"] = saved
        _config_ready = True
    return roadrunner


_CACHE_LOCK = threading.Lock()
#: One RoadRunner instance per SBML text (by SHA-256), least recently used first, kept alive so
#: that RoadRunner reuses its compiled code for new instances of the same text (see runner).
_CACHE: collections.OrderedDict[str, Any] = collections.OrderedDict()
#: At most this many models are kept per process (see :func:`runner_cache_size`).
_CACHE_SIZE = 8


def runner_cache_size(size: int | None = None) -> int:
    """Get, or set with ``size``, how many compiled models a process keeps for reuse.

    ``0`` disables the cache (every simulation compiles its model again). Setting a smaller
    size evicts the least recently used models at once.

    Parameters
    ----------
    size
        The new number of models kept (None: leave it unchanged).

    Returns
    -------
    int
        The number of models kept.

    Raises
    ------
    SimulationError
        ``size`` is not an int ≥ 0.
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


def load(sbml: str) -> Any:
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
    roadrunner = _roadrunner()
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
def runner(sbml: str, *, cache: bool = True) -> Iterator[Any]:
    """A newly loaded RoadRunner instance for ``sbml``, its compiled code reused if possible.

    Every simulation gets a new instance, so no state of an earlier run can leak into it.
    Compilation is what costs, and RoadRunner shares a compiled model between instances of
    the same SBML text while one of them is alive (its own cache keeps less once the last one
    is gone). So the first instance of every model is kept alive in a per-process cache keyed
    by the SHA-256 of the SBML text (never by the model id: two models with the same id never
    share anything) and never simulated again. Measured on a 2,003-reaction network: a short
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
    rr = load(sbml)
    if cache and not cached and _CACHE_SIZE > 0:
        with _CACHE_LOCK:
            _CACHE[key] = rr
            _evict()
    yield rr


def configure_cvode(rr: Any, tol: Tolerances, stiff: bool | None) -> None:
    """Set CVODE's tolerances, step limit and method (BDF if ``stiff``, Adams if false, the
    integrator's own choice if None)."""
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", float(tol.relative))
    # Decision: one absolute tolerance per state element, given as a vector. From a scalar,
    # RoadRunner derives each element's tolerance from the *current* state at every
    # simulate() call (sys-bio/roadrunner#1349), so a species that annihilation drives to
    # 1e-300 ends with a zero tolerance and CVODE stops ("Initial ewt has component(s)
    # equal to zero"); measured on the authors' per-rail regression at annihilation 100.
    n_states = len(rr.model.getFloatingSpeciesIds()) + len(rr.getRateRuleIds())
    if n_states:
        integrator.setValue("absolute_tolerance", [float(tol.absolute)] * n_states)
    else:
        integrator.setValue("absolute_tolerance", float(tol.absolute))
    integrator.setValue("maximum_num_steps", int(tol.max_steps))
    if stiff is not None:
        integrator.setValue("stiff", bool(stiff))


def adams_then_bdf(
    run: Callable[[bool], _T],
    tol: Tolerances,
    messages: list[str],
    *,
    restart: Callable[[], None] | None = None,
) -> _T:
    """``run(stiff)`` with the method of ``tol``; if that is open, Adams and then BDF.

    With ``tol.stiff`` set, ``run(tol.stiff)`` is the result. Otherwise ``run(False)`` (Adams)
    is tried first; if it raises :class:`SimulationError`, the solver ``messages`` of the
    failed attempt are dropped, ``restart()`` (if given) resets the caller's state, and
    ``run(True)`` (BDF, on a new instance from t = 0) is the result. Other exceptions (a
    callback's own) propagate at once.
    """
    if tol.stiff is not None:
        return run(bool(tol.stiff))
    try:
        return run(False)
    except SimulationError:
        messages.clear()
        if restart is not None:
            restart()
        return run(True)


#: Species and parameter ids by SHA-256 of the SBML text (see :func:`model_ids`).
_IDS: collections.OrderedDict[str, tuple[tuple[str, ...], tuple[str, ...]]] = (
    collections.OrderedDict()
)
_IDS_SIZE = 64


def model_ids(sbml: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The floating species ids and the global parameter ids of ``sbml``, in model order.

    The answer is remembered per SBML text (the last 64 texts), so asking again costs no load.

    Raises
    ------
    SimulationError
        If the model cannot be loaded.
    """
    key = hashlib.sha256(sbml.encode("utf-8")).hexdigest()
    with _CACHE_LOCK:
        known = _IDS.get(key)
    if known is not None:
        return known
    with runner(sbml) as rr:
        model = rr.model
        ids = tuple(model.getFloatingSpeciesIds()), tuple(model.getGlobalParameterIds())
    with _CACHE_LOCK:
        _IDS[key] = ids
        while len(_IDS) > _IDS_SIZE:
            _IDS.popitem(last=False)
    return ids


def load_roadrunner(sbml: str, selections: Sequence[str] | None = None) -> Any:
    """A RoadRunner instance of ``sbml`` for the user, loaded with RoadRunner's own settings.

    Unlike the instances sbmlcrn simulates with (:func:`load`), this one has RoadRunner's
    default options (mutable initial conditions, so ``reset()`` works; one Python attribute
    per model id) and shares no compiled code with sbmlcrn's.

    Parameters
    ----------
    sbml
        An SBML document as text.
    selections
        The time-course selections to set (default: RoadRunner's).

    Returns
    -------
    roadrunner.RoadRunner
        The loaded model, ready to simulate.

    Raises
    ------
    SimulationError
        If the model cannot be loaded or a selection is unknown.
    """
    roadrunner = _roadrunner()
    try:
        rr = roadrunner.RoadRunner(sbml)
        if selections is not None:
            rr.timeCourseSelections = list(selections)
    except Exception as exc:  # roadrunner raises plain RuntimeError
        raise SimulationError(f"RoadRunner could not load the model: {exc}") from exc
    return rr
