"""The phase clock of a compiled circuit unrolled as data: what its events assign, and when.

:func:`schedule` evaluates the first phase event's own assignment expressions (its balanced
lookups) at every sample index, so an engine that drives the event-free network phase by phase
assigns exactly what the events would: gates, the sample's data values and cleared transients,
never a value computed from species.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from sbmlcrn.circuits.registry import Circuit
from sbmlcrn.core.expr import Const, Expr, Sym
from sbmlcrn.errors import InputError

__all__ = ["Schedule", "evaluate_expr", "schedule"]


def evaluate_expr(expr: Expr, env: Mapping[str, float]) -> float:
    """The value of an event expression with the symbols of ``env`` (SBML semantics:
    comparisons and ``&&`` give 1.0/0.0, ``piecewise(value, condition, otherwise)``)."""
    if isinstance(expr, Const):
        return float(expr.value)
    if isinstance(expr, Sym):
        try:
            return float(env[expr.name])
        except KeyError:
            raise InputError(f"The expression uses {expr.name!r}, which has no value.") from None
    op, args = expr.op, expr.args
    if op == "piecewise":
        cond = evaluate_expr(args[1], env)
        return evaluate_expr(args[0] if cond else args[2], env)
    vals = [evaluate_expr(a, env) for a in args]
    if op == "+":
        return float(sum(vals))
    if op == "*":
        return float(math.prod(vals))
    if op == "&&":
        return float(all(vals))
    a, b = vals
    table: dict[str, Callable[[float, float], float]] = {
        "-": lambda x, y: x - y,
        "/": lambda x, y: x / y,
        "^": lambda x, y: x**y,
        ">=": lambda x, y: float(x >= y),
        ">": lambda x, y: float(x > y),
        "<": lambda x, y: float(x < y),
        "<=": lambda x, y: float(x <= y),
    }
    return table[op](a, b)


@dataclass(frozen=True)
class Schedule:
    """The phase clock of a compiled circuit as data: what its events assign, and when.

    Attributes
    ----------
    starts
        ``cycles × phases`` start times (``c · period + offset_j``, as the events schedule them).
    durations
        Duration of each phase.
    gates
        Every gate; ``on[j]`` the gates switched on in phase ``j``.
    loads
        Species id → one value per sample (concentrations), assigned at each cycle start
        (data values and cleared transients, from the first phase event's own expressions).
    n_samples, end_time
        Samples per epoch, and the time the last cycle ends.
    """

    starts: np.ndarray
    durations: tuple[float, ...]
    gates: tuple[str, ...]
    on: tuple[frozenset[str], ...]
    loads: Mapping[str, np.ndarray]
    n_samples: int
    end_time: float

    @property
    def cycles(self) -> int:
        return int(self.starts.shape[0])


def schedule(circuit: Circuit) -> Schedule:
    """Unroll ``circuit``'s clock: gate sets per phase and the data each cycle start loads.

    The loaded values are the first phase event's species assignments evaluated at every sample
    index (its balanced lookups), so the driver assigns exactly what the event would.
    """
    clock = circuit.clock
    net = circuit.network
    first = net.events[0]
    if first.id != f"ev_{clock.phases[0].name}":
        raise InputError(f"The first event of {net.id!r} is not the clock's first phase event.")
    species = set(net.species_ids())
    env: dict[str, float] = {p.id: p.value for p in net.parameters}
    exprs = [(t, e) for t, e in first.assignments if t in species]
    loads: dict[str, np.ndarray] = {}
    for target, expr in exprs:
        values = np.empty(clock.n_samples)
        for k in range(clock.n_samples):
            env["idx"] = float(k)
            values[k] = evaluate_expr(expr, env)
        values.setflags(write=False)
        loads[target] = values
    offsets = np.array([clock.offset(j) for j in range(len(clock.phases))])
    starts = np.arange(clock.cycles)[:, None] * clock.period + offsets[None, :]
    starts.setflags(write=False)
    return Schedule(
        starts=starts,
        durations=tuple(p.duration for p in clock.phases),
        gates=clock.gates(),
        on=tuple(frozenset(p.gates) for p in clock.phases),
        loads=loads,
        n_samples=clock.n_samples,
        end_time=clock.end_time,
    )
