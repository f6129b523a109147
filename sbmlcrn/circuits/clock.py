"""The phase clock: a fixed number of time-triggered events that drive a whole training run.

A training run is ``n_samples × epochs`` *cycles*; a cycle is a sequence of phases (forward,
backward, …) of fixed durations, each with its own set of gate parameters switched on. The
clock is one event per phase, each rescheduling itself by assigning its next trigger time, so
the model has the same few events whether it trains on 10 samples or 10,000 (RoadRunner's cost
grows with the number of events *present*; one event per phase switch makes a run quadratic).

The first phase's event also loads the cycle's sample. Its data values are looked up from the
sample index ``idx`` by balanced ``piecewise`` trees (depth ⌈log₂ n⌉, never a long flat
``piecewise``, which COPASI drops from 33 branches on). SBML evaluates every assignment of an
event before applying any, so that event reads the data at the *current* ``idx`` and advances
``idx`` and ``step`` in the same firing: the lookups see the old index, which is the sample of
this cycle. The trigger of each phase event is ``time >= t_j && time < t_end``, so no sample is
loaded at or after the training end time, and one more event, ``ev_stop`` (``time >= t_end``),
switches every gate off: a simulator given a later end time returns the same trained parameters
(without it the last backward phase would go on updating them — found by a COPASI cross-check).

Decision: every epoch visits the samples in the same order (the order of the data), as the
authors' code did; shuffling per epoch would need a lookup over ``n_samples × epochs`` entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sbmlcrn.core.expr import Const, Expr, Op, Sym, balanced_lookup
from sbmlcrn.core.network import Event, Parameter, Role
from sbmlcrn.errors import NetworkError

__all__ = ["Phase", "PhaseClock"]

_DIMLESS = "dimensionless"
_CONC = "mole_per_litre"


@dataclass(frozen=True)
class Phase:
    """One phase of a cycle: a name, a duration and the gates that are on during it."""

    name: str
    duration: float
    gates: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.duration > 0:
            raise NetworkError(
                f"The duration of phase {self.name!r} must be positive. Got {self.duration!r}."
            )


@dataclass(frozen=True)
class PhaseClock:
    """A cycle of phases repeated ``n_samples × epochs`` times, starting at t = 0."""

    phases: tuple[Phase, ...]
    n_samples: int
    epochs: int

    def __post_init__(self) -> None:
        if not self.phases:
            raise NetworkError("A PhaseClock needs at least one phase.")
        if self.n_samples < 1 or self.epochs < 1:
            raise NetworkError("A PhaseClock needs at least one sample and one epoch.")

    @property
    def period(self) -> float:
        """Duration of one cycle."""
        return float(sum(p.duration for p in self.phases))

    @property
    def cycles(self) -> int:
        """Number of cycles (samples × epochs)."""
        return self.n_samples * self.epochs

    @property
    def end_time(self) -> float:
        """Time at which the last cycle ends."""
        return self.cycles * self.period

    def offset(self, phase: int) -> float:
        """Start of phase ``phase`` within a cycle."""
        return float(sum(p.duration for p in self.phases[:phase]))

    def phase_times(self, phase: int, fraction: float) -> list[float]:
        """For every cycle, the time a ``fraction`` of the way through phase ``phase``."""
        start = self.offset(phase) + fraction * self.phases[phase].duration
        return [c * self.period + start for c in range(self.cycles)]

    def gates(self) -> tuple[str, ...]:
        """Every gate parameter the clock switches, in first-use order."""
        return tuple(dict.fromkeys(g for p in self.phases for g in p.gates))

    def parameters(self) -> tuple[Parameter, ...]:
        """Gate and clock parameters the clock's events use."""
        params = [Parameter(g, 0.0, Role.GATE, constant=False) for g in self.gates()]
        params += [
            Parameter("period", self.period, Role.CLOCK, units="second"),
            Parameter("t_end", self.end_time, Role.CLOCK, units="second"),
            Parameter("step", 0.0, Role.CLOCK, constant=False),
            Parameter("idx", 0.0, Role.CLOCK, constant=False),
        ]
        params += [
            Parameter(f"t_{p.name}", self.offset(j), Role.CLOCK, constant=False, units="second")
            for j, p in enumerate(self.phases)
        ]
        return tuple(params)

    def events(
        self,
        loads: Mapping[str, Sequence[float]],
        clears: Mapping[str, float] | None = None,
    ) -> tuple[Event, ...]:
        """One self-rescheduling event per phase, and ``ev_stop`` at the end time.

        Parameters
        ----------
        loads
            Species id → one value per sample; set at the start of each cycle.
        clears
            Species id → constant; set at the start of each cycle (transients cleared).
        """
        for sid, values in loads.items():
            if len(values) != self.n_samples:
                raise NetworkError(
                    f"The loads parameter of PhaseClock.events must give {self.n_samples} "
                    f"values for {sid!r}. Got {len(values)} instead."
                )
        idx, step, period = Sym("idx"), Sym("step"), Sym("period")
        all_gates = self.gates()
        events = []
        for j, phase in enumerate(self.phases):
            t = Sym(f"t_{phase.name}")
            trigger = Op("&&", (Op(">=", (Sym("time"), t)), Op("<", (Sym("time"), Sym("t_end")))))
            assignments: list[tuple[str, Expr]] = [
                (g, Const(1.0 if g in phase.gates else 0.0, _DIMLESS)) for g in all_gates
            ]
            offset = self.offset(j)
            if j == 0:
                one = Const(1.0, _DIMLESS)
                nxt: Expr = Op("*", (Op("+", (step, one)), period))
                assignments += [(sid, balanced_lookup(idx, v, _CONC)) for sid, v in loads.items()]
                assignments += [(sid, Const(v, _CONC)) for sid, v in (clears or {}).items()]
                last = Const(float(self.n_samples - 1), _DIMLESS)
                zero = Const(0.0, _DIMLESS)
                assignments += [
                    ("step", Op("+", (step, one))),
                    (
                        "idx",
                        Op(
                            "piecewise",
                            (zero, Op(">=", (idx, last)), Op("+", (idx, one))),
                        ),
                    ),
                ]
            else:
                # ``step`` was advanced by this cycle's first event: it is the next cycle.
                nxt = Op("+", (Op("*", (step, period)), Const(offset, "second")))
            assignments.append((t.name, nxt))
            events.append(Event(f"ev_{phase.name}", trigger, tuple(assignments)))
        stop = Op(">=", (Sym("time"), Sym("t_end")))
        off = tuple((g, Const(0.0, _DIMLESS)) for g in all_gates)
        events.append(Event("ev_stop", stop, off))
        return tuple(events)
