"""An event-free chemical clock: phase gating by an oscillator inside the network.

The event-gated circuits switch gate *parameters* with time events. Here the gates are clock
*species* of a cyclic rock-paper-scissors (cyclic Lotka–Volterra) oscillator in the same
network, and events remain only to load each sample at the start of its cycle.

The oscillator
--------------
``n`` clock species ``clk1 … clkn`` (total ``S``) in a ring, ``clk_i + clk_(i+1) → 2 clk_(i+1)``
at rate ``k_clk`` (indices modulo ``n``): each species is eaten by the next one, so dominance
passes ``clk_n → clk_1 → clk_2 → …`` round the ring. Starting near a vertex (one species
holding almost all of ``S``, its two neighbours at ``δ = floor·S``, the others at
``δ²/S``), each species in turn holds almost all of ``S`` for an *epoch* and is exponentially
small otherwise; the products ``∏ clk_i`` (and for ``n = 4`` also ``clk1·clk3`` and
``clk2·clk4``) are conserved, so the orbit closes. The switch from one epoch to the next is
a logistic takeover whose width relative to an epoch is about ``1/ln(S/δ)`` — the
amplification: a smaller ``floor`` gives squarer gates.

Default ``n = 4``: ``clk1`` gates the forward phase, ``clk3`` the backward phase, and the
idle epochs ``clk2`` and ``clk4`` separate them, so the forward gate is already down to
``~δ`` when the backward gate rises (with ``n = 3`` the two gates would overlap during a
whole takeover). Each cycle starts in the middle of the ``clk4`` epoch, where the load event
fires.

Gating
------
Every reaction that carried a gate ``g`` of phase ``j`` gets its phase's clock species as a
catalyst (a reactant and a product) and the rate constant ``k · D_j / I_j``, where ``D_j`` is
the phase's duration in the event-gated circuit and ``I_j = ∫ clk_j dt`` over one clock period:
over a cycle each gated reaction then acts as long as with the gate on for ``D_j``. The
forward phase of the linear circuits is linear with constant catalysts, so it depends only on
that integral; what makes the chemical clock approximate is the *overlap*: the backward gate is
not exactly 0 while the error is still being accumulated, nor the forward gate while the
parameters move. Catalysis by a clock species raises every gated reaction's molecularity by
one (bimolecular forward and backward reactions become trimolecular), so the cubic circuits
(already trimolecular) are refused.

Calibration: the ring is integrated once (scipy, rtol 1e-12) from the start state to find its
period at unit rate, ``k_clk`` is chosen so that the period is the cycle's ``T + T_b`` exactly,
and the integrals ``I_j`` are measured on the same orbit.

Events
------
``rearm=True`` (default): the load event also sets the clock species to the start state
(constants, like the transients the nonlinear circuits clear): the clock is re-armed at every
cycle start and cannot drift. ``rearm=False``: a free-running oscillator, phase-locked to the
loads only by its calibrated period (any perturbation of the ring's rates makes it drift). In
both, ``ev_stop`` sets the clock species to 0 at the training end time, which stops every
gated reaction. No event assigns a gate; the gate parameters and the other phases' events are
gone.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from sbmlcrn.circuits.common import TrainingReadouts
from sbmlcrn.core.expr import Const, Op, Sym
from sbmlcrn.core.network import Event, Network, Parameter, Reaction, Role, Species
from sbmlcrn.errors import InputError

__all__ = [
    "ChemicalClock",
    "ChemicalClockConfig",
    "calibrate",
    "chemical_clock_network",
    "with_chemical_clock",
]

_CONC = "mole_per_litre"
#: A compiled circuit (a frozen dataclass with ``network`` and ``clock``).
_CircuitT = TypeVar("_CircuitT", bound=TrainingReadouts)


@dataclass(frozen=True)
class ChemicalClockConfig:
    """Shape of the clock: ring size, amplification floor, total, re-arming.

    Parameters
    ----------
    species
        Ring size ``n`` (3 to 8); the forward gate is ``clk1``, the backward gate
        ``clk(1 + n/2)`` (``clk2`` for ``n = 3``).
    floor
        ``δ/S``: the two neighbours of the dominant species at the cycle start. Smaller is
        squarer (switch width ``~1/ln(S/δ)`` of an epoch) but needs more dynamic range.
    total
        ``S``, total clock concentration.
    rearm
        Reset the clock species to the start state at every load (else free-running).
    """

    species: int = 4
    floor: float = 1e-4
    total: float = 1.0
    rearm: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.species, int) or not 3 <= self.species <= 8:
            raise InputError(f"The clock needs 3 to 8 species. Got {self.species!r}.")
        if not (isinstance(self.floor, int | float) and 0 < self.floor < 0.1):
            raise InputError(f"The clock floor must be in (0, 0.1). Got {self.floor!r}.")
        if not (isinstance(self.total, int | float) and self.total > 0):
            raise InputError(f"The clock total must be positive. Got {self.total!r}.")


@dataclass(frozen=True)
class ChemicalClock:
    """A calibrated ring: start state, rate, and the integrals of its gate species.

    Attributes
    ----------
    config
        The shape.
    period
        The cycle period it was calibrated to.
    rate
        ``k_clk``.
    start
        Concentrations of ``clk1 … clkn`` at the cycle start.
    phase_species
        Clock species index (0-based) gating each phase.
    integrals
        ``∫ clk dt`` over one period, per clock species.
    overlap
        ``∫ clk_fwd · clk_bwd dt / √(I_fwd I_bwd)`` over a period: how much the two gates act
        at the same time (0 for perfect gates).
    windows
        For each phase, the times within a cycle where its gate species is above half of
        ``S`` (start, end).
    """

    config: ChemicalClockConfig
    period: float
    rate: float
    start: tuple[float, ...]
    phase_species: tuple[int, ...]
    integrals: tuple[float, ...]
    overlap: float
    windows: tuple[tuple[float, float], ...]
    times: np.ndarray = field(repr=False)
    trajectory: np.ndarray = field(repr=False)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(f"clk{i + 1}" for i in range(self.config.species))

    def peak_times(self) -> tuple[float, ...]:
        """Time within a cycle at which each phase's gate species peaks."""
        out = []
        for s in self.phase_species:
            out.append(float(self.times[int(np.argmax(self.trajectory[:, s]))]))
        return tuple(out)


def _start_state(cfg: ChemicalClockConfig) -> np.ndarray:
    n, s = cfg.species, float(cfg.total)
    d = cfg.floor * s
    x = np.full(n, d * d / s)
    x[0] = d  # clk1, the next to rise (forward gate)
    x[n - 2] = d  # clk(n-1), the one just eaten
    x[n - 1] = s - float(np.sum(x[: n - 1]))
    return x


def _ring_rhs(_t: float, x: np.ndarray) -> np.ndarray:
    prev = np.roll(x, 1)  # x_{i-1}: eaten by x_i
    nxt = np.roll(x, -1)  # x_{i+1}: eats x_i
    return x * (prev - nxt)


def calibrate(config: ChemicalClockConfig, period: float, n_phases: int = 2) -> ChemicalClock:
    """Calibrate the ring to ``period``: its rate, integrals, overlap and gate windows."""
    from scipy.integrate import solve_ivp

    if not (period > 0 and math.isfinite(period)):
        raise InputError(f"The clock period must be positive. Got {period!r}.")
    n = config.species
    x0 = _start_state(config)

    # One period: between two upward crossings of clk1 − clk(n−1) − ε·S while clk_n
    # dominates (ε keeps the start itself, where the difference is 0, off the root finder).
    eps = 1e-3 * config.floor * config.total

    def gap(_t: float, x: np.ndarray) -> float:
        return float(x[0] - x[n - 2] - eps) if x[n - 1] > 0.5 * config.total else -1.0

    gap.direction = 1.0  # type: ignore[attr-defined]
    estimate = 2.0 * n * math.log(1.0 / config.floor) / config.total
    ok: list[float] = []
    horizon = 2.5 * estimate
    while len(ok) < 2 and horizon < 100 * estimate:
        sol = solve_ivp(
            _ring_rhs,
            (0.0, horizon),
            x0,
            method="LSODA",
            rtol=1e-12,
            atol=1e-14 * config.total,
            events=gap,
        )
        ok = [float(t) for t in sol.t_events[0]]
        horizon *= 2
    if len(ok) < 2:
        raise InputError("The chemical clock did not complete a cycle; raise the floor.")
    p1 = ok[1] - ok[0]
    rate = p1 / period
    phase_species = tuple(j * n // n_phases for j in range(n_phases))
    fwd, bwd = phase_species[0], phase_species[-1]

    def augmented(t: float, y: np.ndarray) -> np.ndarray:
        x = y[:n]
        return np.concatenate([_ring_rhs(t, x), x, [x[fwd] * x[bwd]]])

    quad = solve_ivp(
        augmented,
        (0.0, p1),
        np.concatenate([x0, np.zeros(n + 1)]),
        method="LSODA",
        rtol=1e-12,
        atol=1e-14 * config.total,
        dense_output=True,
    )
    end = quad.y[:, -1]
    # integrals in the calibrated time (t = t₁ / rate)
    integrals = tuple(float(v) / rate for v in end[n : 2 * n])
    overlap = float(end[2 * n]) / rate / math.sqrt(integrals[fwd] * integrals[bwd])
    times = np.linspace(0.0, p1, 4001)
    traj = quad.sol(times)[:n].T
    scaled_t = times / rate
    windows = []
    for s in phase_species:
        high = scaled_t[traj[:, s] > 0.5 * config.total]
        windows.append((float(high.min()), float(high.max())) if high.size else (0.0, 0.0))
    return ChemicalClock(
        config=config,
        period=float(period),
        rate=float(rate),
        start=tuple(map(float, x0)),
        phase_species=phase_species,
        integrals=integrals,
        overlap=float(overlap),
        windows=tuple(windows),
        times=scaled_t,
        trajectory=traj,
    )


def chemical_clock_network(
    network: Network,
    phases: tuple[tuple[str, float, tuple[str, ...]], ...],
    clock: ChemicalClock,
) -> Network:
    """Replace the event-switched gates of ``network`` by the clock species of ``clock``.

    Parameters
    ----------
    network
        A training network compiled with a :class:`~sbmlcrn.circuits.clock.PhaseClock` (its
        events ``ev_<phase>`` and ``ev_stop``).
    phases
        ``(name, duration, gates)`` of every phase of the cycle, in order.
    clock
        The calibrated ring (:func:`calibrate`) with one gate species per phase.
    """
    if len(phases) != len(clock.phase_species):
        raise InputError("The clock must have one gate species per phase.")
    ids = clock.ids
    taken = {s.id for s in network.species} | {p.id for p in network.parameters}
    clash = [i for i in (*ids, "k_clk") if i in taken]
    if clash:
        raise InputError(f"The network already uses the ids {clash}.")
    gate_of: dict[str, tuple[str, float, float]] = {}
    for (_name, duration, gates), s in zip(phases, clock.phase_species, strict=True):
        for g in gates:
            gate_of[g] = (ids[s], duration, clock.integrals[s])
    reactions, new_rates = _clocked_reactions(network, gate_of)
    n = len(ids)
    for i in range(n):
        prey, pred = ids[i], ids[(i + 1) % n]
        reactions.append(Reaction(f"clk_{i + 1}", (prey, pred), (pred, pred), "k_clk"))
    gates = set(gate_of)
    phase_times = {f"t_{name}" for name, _, _ in phases[1:]}
    used_rates = {r.rate for r in network.reactions if r.gates}
    still_used = {r.rate for r in network.reactions if not r.gates}
    parameters = [
        p
        for p in network.parameters
        if p.id not in gates
        and p.id not in phase_times
        and not (p.id in used_rates and p.id not in still_used)
    ]
    parameters += [Parameter(k, v) for k, v in new_rates.items()]
    parameters.append(Parameter("k_clk", clock.rate))
    species = list(network.species)
    species += [
        Species(sid, float(v), Role.TRANSIENT) for sid, v in zip(ids, clock.start, strict=True)
    ]
    notes = (
        network.notes
        + "\nChemical clock: phases gated by the clock species of a "
        + f"{n}-species rock-paper-scissors ring (clk_i + clk_i+1 -> 2 clk_i+1); "
        + ("the load event re-arms the clock." if clock.config.rearm else "free-running.")
    )
    return Network(
        id=f"{network.id}_chemclock",
        species=tuple(species),
        parameters=tuple(parameters),
        reactions=tuple(reactions),
        events=_clock_events(network, f"ev_{phases[0][0]}", gates, clock),
        readouts=network.readouts,
        notes=notes,
        observables=network.observables,
    )


def _clocked_reactions(
    network: Network, gate_of: dict[str, tuple[str, float, float]]
) -> tuple[list[Reaction], dict[str, float]]:
    """Every reaction of ``network``, a gated one catalysed by its phase's clock species at
    the rescaled rate ``k · D_j / I_j``; and those new rates (``<rate>_clk``)."""
    params = {p.id: p for p in network.parameters}
    new_rates: dict[str, float] = {}
    reactions = []
    for r in network.reactions:
        if not r.gates:
            reactions.append(r)
            continue
        if len(r.gates) != 1 or r.gates[0] not in gate_of:
            raise InputError(f"Reaction {r.id!r} has gates {r.gates} that no phase switches.")
        if r.molecularity >= 3:
            raise InputError(
                f"Reaction {r.id!r} is already of molecularity {r.molecularity}; a clock "
                "catalyst would make it 4 (use the quadratic nonlinearity)."
            )
        species_id, duration, integral = gate_of[r.gates[0]]
        rate_id = f"{r.rate}_clk"
        value = params[r.rate].value * duration / integral
        old = new_rates.setdefault(rate_id, value)
        if not math.isclose(old, value, rel_tol=1e-15):
            raise InputError(f"Rate {r.rate!r} gates reactions of several phases.")
        reactions.append(
            Reaction(
                r.id,
                (*r.reactants, species_id),
                (*r.products, species_id),
                rate_id,
            )
        )
    return reactions, new_rates


def _clock_events(
    network: Network, first: str, gates: set[str], clock: ChemicalClock
) -> tuple[Event, ...]:
    """The load event ``first`` without its gate assignments (re-arming the clock if asked),
    and ``ev_stop`` setting the clock species to 0; the other phases' events are dropped."""
    ids = clock.ids
    events = []
    for ev in network.events:
        if ev.id == first:
            keep = tuple((t, v) for t, v in ev.assignments if t not in gates)
            if clock.config.rearm:
                keep += tuple(
                    (sid, Const(float(v), _CONC)) for sid, v in zip(ids, clock.start, strict=True)
                )
            events.append(dataclasses.replace(ev, assignments=keep))
        elif ev.id == "ev_stop":
            stop = Op(">=", (Sym("time"), Sym("t_end")))
            zero = tuple((sid, Const(0.0, _CONC)) for sid in ids)
            events.append(Event("ev_stop", stop, zero))
    return tuple(events)


def with_chemical_clock(
    circuit: _CircuitT, config: ChemicalClockConfig | None = None
) -> tuple[_CircuitT, ChemicalClock]:
    """``(circuit', clock)``: a compiled circuit whose network is gated by a calibrated chemical
    clock (:func:`chemical_clock_network`); everything else (data, schedule, readouts) is the
    circuit's own, so the run reads and saves like an event-gated one."""
    cfg = config or ChemicalClockConfig()
    phases = tuple((p.name, p.duration, p.gates) for p in circuit.clock.phases)
    clock = calibrate(cfg, circuit.clock.period, len(phases))
    network = chemical_clock_network(circuit.network, phases, clock)
    return dataclasses.replace(circuit, network=network), clock  # type: ignore[type-var]
