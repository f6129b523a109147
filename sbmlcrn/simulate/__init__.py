"""The RoadRunner adapter: the only package of sbmlcrn that imports ``roadrunner``.

:func:`simulate` loads SBML text with the LLJIT backend (it compiles large models several
times faster than MCJIT), integrates it with CVODE at the requested tolerances and returns an
immutable :class:`SimulationResult`. Failures of loading or integrating are raised as
:class:`~sbmlcrn.errors.SimulationError`. Every function takes SBML text and returns plain
values (numpy arrays, mappings, tuples); the one exception is :func:`load_roadrunner`, which
hands a user a RoadRunner instance of their own.

A new RoadRunner instance is made for every call: ``reset()`` keeps parameters that events
changed, so reusing an instance would silently start a second run from the first one's gates
and clock. The compiled code is reused: :func:`sbmlcrn.simulate._runner.runner` keeps one
instance per SBML text alive, and RoadRunner shares compiled models between live instances of
the same text.

Modules: ``_runner`` (loading, the compile cache, output capture, CVODE settings, the
Adams→BDF fallback), ``timecourse`` (:func:`simulate`, :func:`simulate_segments`,
:func:`simulate_batch`), ``phases`` (:func:`simulate_phases`), ``gillespie``
(:func:`simulate_gillespie`).
"""

from __future__ import annotations

from sbmlcrn.simulate._runner import (
    Tolerances,
    load_roadrunner,
    model_ids,
    roadrunner_version,
    runner_cache_size,
)
from sbmlcrn.simulate.gillespie import simulate_gillespie
from sbmlcrn.simulate.phases import PhaseCallback, PhaseRunResult, simulate_phases
from sbmlcrn.simulate.timecourse import (
    SegmentCallback,
    SegmentProgress,
    SegmentState,
    SimulationResult,
    segment_bounds,
    simulate,
    simulate_batch,
    simulate_segments,
)

__all__ = [
    "PhaseCallback",
    "PhaseRunResult",
    "SegmentCallback",
    "SegmentProgress",
    "SegmentState",
    "SimulationResult",
    "Tolerances",
    "load_roadrunner",
    "model_ids",
    "roadrunner_version",
    "runner_cache_size",
    "segment_bounds",
    "simulate",
    "simulate_batch",
    "simulate_gillespie",
    "simulate_phases",
    "simulate_segments",
]
