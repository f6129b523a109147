"""Stochastic-training studies: how the one SBML model behaves under Gillespie, and checks of
the phase-by-phase driver against it.

Stochastic *training* is ``train(..., engine="gillespie", molecules=N)``
(:mod:`sbmlcrn.training.engines`, :mod:`sbmlcrn.training.driver`). This module measures why it
is driven phase by phase: RoadRunner's Gillespie integrator tests event triggers only after a
reaction has fired, so the one SBML model's events fire late and can be skipped
(:func:`event_timing`, :func:`events_gillespie_theta`); and it checks the deterministic driver
against the one SBML model (:func:`driver_deviation`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from sbmlcrn.circuits.registry import Circuit
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import Tolerances, simulate, simulate_gillespie
from sbmlcrn.training.driver import drive
from sbmlcrn.training.schedule import schedule
from sbmlcrn.training.transforms import check_molecules, quantize_network

__all__ = [
    "driver_deviation",
    "event_timing",
    "events_gillespie_theta",
    "molecule_counts",
    "one_sbml_theta",
]


def one_sbml_theta(circuit: Circuit, tolerances: Tolerances | None = None) -> np.ndarray:
    """Parameters learned by simulating the one SBML training model (events) with CVODE."""
    pspecies = circuit.parameter_species
    watched = [s for pair in pspecies.values() for s in pair]
    sim = simulate(
        to_sbml(circuit.network),
        [0.0, circuit.clock.end_time],
        species=watched,
        tolerances=tolerances,
    )
    return np.array([sim.final[p] - sim.final[m] for p, m in pspecies.values()])


def driver_deviation(circuit: Circuit, tolerances: Tolerances | None = None) -> float:
    """``max |θ_driver − θ_one-SBML| / max(1, max |θ|)``: the deterministic driver against the
    ordinary one-SBML run (CVODE both)."""
    a = drive(circuit, tolerances=tolerances).theta
    b = one_sbml_theta(circuit, tolerances)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def event_timing(circuit: Circuit, molecules: int, *, seed: int = 0) -> dict[str, Any]:
    """Run the one SBML model, events included, with RoadRunner's Gillespie integrator and
    measure when its clock events really fire.

    Every phase event reschedules itself by assigning its next trigger time ``t_<phase>``, so
    the row where ``t_<phase>`` changes is the firing and its previous value the scheduled
    time. Returns per phase the scheduled and observed numbers of firings, the delays (mean,
    max), the phases that lasted no time at all (their event fired together with the next
    one's), and the samples never loaded (firings of the first phase that did not happen).
    """
    n = check_molecules(molecules)
    sched = schedule(circuit)
    clock = circuit.clock
    names = [f"t_{p.name}" for p in clock.phases]
    sbml = to_sbml(quantize_network(circuit.network, n), molecules=n)
    t0 = time.perf_counter()
    out, messages = simulate_gillespie(sbml, clock.end_time, selections=["time", *names], seed=seed)
    seconds = time.perf_counter() - t0
    times = out[:, 0]
    firings: list[tuple[np.ndarray, np.ndarray]] = []
    for j in range(len(names)):
        col = out[:, 1 + j]
        initial = clock.offset(j)
        prev = np.concatenate([[initial], col[:-1]])
        changed = col != prev
        fired_at = times[changed]
        scheduled = prev[changed]
        firings.append((fired_at, scheduled))
    phases = []
    for j, (fired_at, scheduled) in enumerate(firings):
        delay = fired_at - scheduled
        phases.append(
            {
                "phase": clock.phases[j].name,
                "scheduled": sched.cycles,
                "fired": len(fired_at),
                "missed": sched.cycles - len(fired_at),
                "mean_delay": float(np.mean(delay)) if delay.size else math.nan,
                "max_delay": float(np.max(delay)) if delay.size else math.nan,
                "mean_delay_fraction": float(np.mean(delay)) / clock.phases[j].duration
                if delay.size
                else math.nan,
            }
        )
    # a phase of zero length: its event fired at the same instant as the next phase's
    zero = 0
    if len(firings) > 1:
        nxt = set(map(float, firings[1][0]))
        zero = sum(1 for t in firings[0][0] if float(t) in nxt)
    return {
        "molecules": n,
        "seed": seed,
        "cycles": sched.cycles,
        "phases": phases,
        "zero_length_forward_phases": zero,
        "reactions_fired": int(times.size - 1),
        "seconds": seconds,
        "roadrunner_messages": sorted(set(messages)),
    }


def events_gillespie_theta(circuit: Circuit, molecules: int, *, seed: int = 0) -> np.ndarray:
    """Parameters learned by the one SBML model with events under RoadRunner's Gillespie
    integrator (the naive stochastic run, with its late and skipped events)."""
    n = check_molecules(molecules)
    pspecies = circuit.parameter_species
    sel = ["time", *(s for pair in pspecies.values() for s in pair)]
    sbml = to_sbml(quantize_network(circuit.network, n), molecules=n)
    out, _ = simulate_gillespie(
        sbml, circuit.clock.end_time, selections=sel, seed=seed, variable_step=False
    )
    last = out[-1, 1:] / n
    return last[0::2] - last[1::2]


def molecule_counts(text: str) -> tuple[int, ...]:
    """Parse ``10,100,1000`` (the ``--molecules`` list of ``robustness noise``)."""
    try:
        values = tuple(int(float(v)) for v in text.split(",") if v.strip())
    except ValueError:
        raise InputError(
            f"--molecules must be a comma-separated list of integers. Got {text!r}."
        ) from None
    if not values or any(v < 1 for v in values):
        raise InputError(f"--molecules must list positive integers. Got {text!r}.")
    return values
