"""Phase-by-phase driving of one loaded model (the engine of stochastic and phase training).

:func:`simulate_phases` sets the values a phase assigns and integrates exactly from its start
to its end, with CVODE or RoadRunner's Gillespie integrator, recording the observed amounts at
the end of every phase.
"""

from __future__ import annotations

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
    runner,
)

__all__ = ["PhaseCallback", "PhaseRunResult", "simulate_phases"]

#: ``after_phase(k, amounts)``: called after phase ``k`` with the observed amounts at its end;
#: a callable it returns is called with the real stdout and stderr restored.
PhaseCallback = Callable[[int, np.ndarray], Callable[[], None] | None]

#: ``(start, end, assignments)`` of one phase.
Phase = tuple[float, float, Mapping[str, float]]


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
    phases: Sequence[Phase],
    *,
    observe: Sequence[str] = (),
    method: str = "cvode",
    seed: int | None = None,
    tolerances: Tolerances | None = None,
    initial_amounts: Mapping[str, float] | None = None,
    after_phase: PhaseCallback | None = None,
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

    Returns
    -------
    PhaseRunResult
        The phase end times, the observed amounts and the final state.

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
    _check_increasing(phases)
    tol = tolerances or Tolerances()
    messages: list[str] = []

    def run(stiff: bool) -> PhaseRunResult:
        with runner(sbml) as rr:
            if method == "gillespie":
                rr.setIntegrator("gillespie")
                integrator = rr.getIntegrator()
                integrator.setValue("variable_step_size", False)
                integrator.setValue("seed", int(seed if seed is not None else 0))
            else:
                configure_cvode(rr, tol, stiff)
            return _PhaseDriver(rr, observe, initial_amounts).run(phases, messages, after_phase)

    if method == "gillespie":
        return run(False)  # the method of tolerances plays no part
    return adams_then_bdf(run, tol, messages)


def _check_increasing(phases: Sequence[Phase]) -> None:
    last = -np.inf
    for start, end, _ in phases:
        if not (start >= last and end > start):
            raise SimulationError(
                "The phases parameter of simulate_phases must be increasing, each with start < "
                f"end. Got a phase ({start!r}, {end!r}) after one ending at {last!r}."
            )
        last = end


class _PhaseDriver:
    """One loaded, configured model driven through the phases of :func:`simulate_phases`."""

    def __init__(
        self, rr: Any, observe: Sequence[str], initial_amounts: Mapping[str, float] | None
    ) -> None:
        self.rr = rr
        self.model = model = rr.model
        self.species = {sid: i for i, sid in enumerate(model.getFloatingSpeciesIds())}
        self.params = {pid: i for i, pid in enumerate(model.getGlobalParameterIds())}
        unknown = [s for s in (*observe, *(initial_amounts or {})) if s not in self.species]
        if unknown:
            raise SimulationError(f"simulate_phases: the model has no species {unknown}.")
        rr.timeCourseSelections = ["time"]
        self.watch = np.array([self.species[s] for s in observe], dtype=np.int32)
        self.n_observed = len(observe)
        self.plans: dict[tuple[str, ...], tuple[np.ndarray, ...]] = {}
        if initial_amounts:
            idx = np.array([self.species[s] for s in initial_amounts], dtype=np.int32)
            amounts = np.array(list(initial_amounts.values()), float)
            model.setFloatingSpeciesAmounts(idx, amounts)

    def _plan(self, assign: Mapping[str, float]) -> tuple[np.ndarray, ...]:
        """Model indices of the assigned species and parameters and their positions in
        ``assign`` (cached per tuple of ids)."""
        key = tuple(assign)
        if key not in self.plans:
            species, params = self.species, self.params
            s_ids = [k for k in key if k in species]
            p_ids = [k for k in key if k in params]
            bad = [k for k in key if k not in species and k not in params]
            if bad:
                raise SimulationError(
                    f"simulate_phases: the model has no species or parameter {bad}."
                )
            self.plans[key] = (
                np.array([species[k] for k in s_ids], dtype=np.int32),
                np.array([key.index(k) for k in s_ids], dtype=np.int32),
                np.array([params[k] for k in p_ids], dtype=np.int32),
                np.array([key.index(k) for k in p_ids], dtype=np.int32),
            )
        return self.plans[key]

    def _assign(self, assign: Mapping[str, float]) -> None:
        s_idx, s_pos, p_idx, p_pos = self._plan(assign)
        values = np.fromiter(assign.values(), float, len(assign))
        if s_idx.size:
            self.model.setFloatingSpeciesAmounts(s_idx, values[s_pos])
        if p_idx.size:
            self.model.setGlobalParameterValues(p_idx, values[p_pos])

    def run(
        self, phases: Sequence[Phase], messages: list[str], after_phase: PhaseCallback | None
    ) -> PhaseRunResult:
        """Integrate every phase; RoadRunner errors become :class:`SimulationError`."""
        rr, model, watch = self.rr, self.model, self.watch
        observed = np.empty((len(phases), self.n_observed))
        in_callback = False
        try:
            with captured_output(messages) as capture:
                for k, (start, end, assign) in enumerate(phases):
                    if assign:
                        self._assign(assign)
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
        final = dict(zip(self.species, map(float, model.getFloatingSpeciesAmounts()), strict=True))
        final |= dict(zip(self.params, map(float, model.getGlobalParameterValues()), strict=True))
        ends = np.array([end for _, end, _ in phases], dtype=float)
        for arr in (ends, observed):
            arr.setflags(write=False)
        return PhaseRunResult(ends, observed, MappingProxyType(final), tuple(messages))
