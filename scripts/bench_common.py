"""Shared pieces of ``scripts/bench.py`` and its sections: the synthetic data, RoadRunner loading
without caches, the deviation measure, the scipy contender and the summary formatting."""

from __future__ import annotations

import itertools
import math
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.core.data import Dataset
from sbmlcrn.core.expr import Const, Expr, Sym
from sbmlcrn.core.network import Network

RTOL = 1e-10
ATOL = 1e-12
MAX_STEPS = 200_000

Circuit = Any  # LinearCircuit | NonlinearCircuit | ProductCircuit


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def synthetic_linear(n: int, d: int, seed: int = 0) -> Dataset:
    """``y = x·w + b + noise`` with ``d`` Gaussian inputs (seeded)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=(n, d)) + rng.uniform(-1.0, 1.0, size=d)
    w = rng.uniform(-2.0, 2.0, size=d)
    y = x @ w + float(rng.uniform(-1.0, 1.0)) + 0.1 * rng.normal(size=n)
    return Dataset(tuple(f"x{i + 1}" for i in range(d)), x, y, "y", name=f"synthetic-d{d}")


def theta_of(values: dict[str, float], circuit: Circuit) -> np.ndarray:
    return np.array([values[p] - values[m] for p, m in circuit.parameter_species.values()])


def deviation(theta: np.ndarray, ref: np.ndarray) -> float:
    """``max |θ − θ_ref| / max(1, max |θ_ref|)`` (the measure of train and crosscheck)."""
    diff = np.abs(np.asarray(theta, dtype=float) - ref)
    if not np.all(np.isfinite(diff)):
        return math.nan
    return float(np.max(diff)) / max(1.0, float(np.max(np.abs(ref))))


def _roadrunner():
    import roadrunner

    roadrunner.Config.setValue(roadrunner.Config.LLVM_BACKEND, roadrunner.Config.LLJIT)
    # a fresh compilation every round: no cached model makes a load look cheaper than it is
    roadrunner.Config.setValue(roadrunner.Config.LOADSBMLOPTIONS_RECOMPILE, True)
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
    return roadrunner


_LOADS = itertools.count()


def uncached(sbml: str) -> str:
    """``sbml`` with a comment no other load had: RoadRunner keeps compiled models in a
    process-wide cache keyed by the SBML text, which ``LOADSBMLOPTIONS_RECOMPILE`` does not
    bypass (measured: reloading a deleted 2,003-reaction model took 1.1 s against 3.2 s),
    so every timed load must see a new text to pay for the compilation."""
    head = sbml.index("?>") + 2
    return f"{sbml[:head]}\n<!-- sbmlcrn bench load {next(_LOADS)} -->{sbml[head:]}"


def rr_load(sbml: str):
    """Load and compile ``sbml`` with sbmlcrn's loader, never from a cache."""
    from sbmlcrn.simulate._runner import load as _load

    _roadrunner()
    return _load(uncached(sbml))


def rr_configure(rr, *, stiff: bool, rtol: float = RTOL, atol: float = ATOL, **extra: Any) -> None:
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", rtol)
    integrator.setValue("absolute_tolerance", atol)
    integrator.setValue("maximum_num_steps", MAX_STEPS)
    integrator.setValue("stiff", stiff)
    for key, value in extra.items():
        integrator.setValue(key, value)


def _eval(expr: Expr, env: dict[str, float]) -> float:
    """Value of an event-assignment expression (what a simulator's event code computes)."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Sym):
        return env[expr.name]
    op, args = expr.op, expr.args
    if op == "piecewise":
        return _eval(args[0], env) if _eval(args[1], env) else _eval(args[2], env)
    vals = [_eval(a, env) for a in args]
    if op == "+":
        return float(sum(vals))
    if op == "*":
        return float(math.prod(vals))
    a, b = vals
    return {
        "-": lambda: a - b,
        "/": lambda: a / b,
        "^": lambda: a**b,
        ">=": lambda: float(a >= b),
        ">": lambda: float(a > b),
        "<": lambda: float(a < b),
        "<=": lambda: float(a <= b),
        "&&": lambda: float(bool(a) and bool(b)),
    }[op]()


class ScipyTrainer:
    """C: the network's mass-action ODE in ``solve_ivp(LSODA)``, phases driven from Python.

    The right-hand side is ``N · (k ⊙ g ⊙ ∏ y[R])``: ``R`` holds each reaction's reactant
    indices (padded with an index of a constant 1), ``N`` the net stoichiometry, ``g`` the
    product of each reaction's gates for the current phase. The Jacobian is
    ``N · ∂v/∂y`` by the product rule over the reactant slots.
    """

    def __init__(self, circuit: Circuit, rtol: float = RTOL, atol: float = ATOL) -> None:
        net: Network = circuit.network
        self.circuit = circuit
        self.rtol, self.atol = rtol, atol
        self.ids = list(net.species_ids())
        pos = {s: i for i, s in enumerate(self.ids)}
        ns, nr = len(self.ids), len(net.reactions)
        width = max(1, max(r.molecularity for r in net.reactions))
        self.R = np.full((nr, width), ns, dtype=np.intp)
        self.N = np.zeros((ns, nr))
        values = {p.id: p.value for p in net.parameters}
        self.k = np.array([values[r.rate] for r in net.reactions])
        self.gates = [r.gates for r in net.reactions]
        for j, r in enumerate(net.reactions):
            for slot, s in enumerate(r.reactants):
                self.R[j, slot] = pos[s]
            for s, n in r.stoichiometry().items():
                self.N[pos[s], j] = n
        self.pos = pos
        self.y0 = np.array([s.initial for s in net.species])
        self.env0 = dict(values)
        self.events = {ev.id: ev for ev in net.events}
        self.rows = np.arange(nr)
        self.nfev = 0
        self.njev = 0

    def _functions(self, kvec: np.ndarray):
        R, N, rows, ns = self.R, self.N, self.rows, len(self.ids)
        ext = np.ones(ns + 1)
        width = R.shape[1]

        def rhs(_t: float, y: np.ndarray) -> np.ndarray:
            ext[:ns] = y
            return N @ (kvec * np.prod(ext[R], axis=1))

        def jac(_t: float, y: np.ndarray) -> np.ndarray:
            ext[:ns] = y
            f = ext[R]
            dv = np.zeros((len(rows), ns + 1))
            for m in range(width):
                others = np.prod(np.delete(f, m, axis=1), axis=1) if width > 1 else 1.0
                np.add.at(dv, (rows, R[:, m]), kvec * others)
            return N @ dv[:, :ns]

        return rhs, jac

    def run(self) -> dict[str, Any]:
        from scipy.integrate import solve_ivp

        clock = self.circuit.clock
        env = dict(self.env0)
        y = self.y0.copy()
        cache: dict[tuple[float, ...], Any] = {}
        t = 0.0
        nfev = njev = 0
        for _cycle in range(clock.cycles):
            for phase in clock.phases:
                ev = self.events[f"ev_{phase.name}"]
                env["time"] = t
                env.update(zip(self.ids, y, strict=True))
                new = [(target, _eval(expr, env)) for target, expr in ev.assignments]
                for target, value in new:  # SBML: evaluate every assignment, then apply
                    if target in self.pos:
                        y[self.pos[target]] = value
                    else:
                        env[target] = value
                key = tuple(env[g] for g in clock.gates())
                if key not in cache:
                    g = np.array([math.prod(env[x] for x in gs) for gs in self.gates])
                    cache[key] = self._functions(self.k * g)
                rhs, jac = cache[key]
                sol = solve_ivp(
                    rhs,
                    (t, t + phase.duration),
                    y,
                    method="LSODA",
                    rtol=self.rtol,
                    atol=self.atol,
                    jac=jac,
                    t_eval=[t + phase.duration],
                )
                if not sol.success:
                    raise RuntimeError(f"solve_ivp failed: {sol.message}")
                nfev += sol.nfev
                njev += sol.njev
                y = sol.y[:, -1].copy()
                t += phase.duration
        self.nfev, self.njev = nfev, njev
        final = dict(zip(self.ids, y, strict=True))
        return {"theta": theta_of(final, self.circuit), "nfev": nfev, "njev": njev}


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fmt_time(s: dict[str, float]) -> str:
    def one(v: float) -> str:
        if v >= 100:
            return f"{v:.0f} s"
        if v >= 1:
            return f"{v:.2f} s"
        if v >= 0.01:
            return f"{v * 1e3:.0f} ms"
        return f"{v * 1e3:.2f} ms"

    med, lo, hi = one(s["median"]), one(s["min"]), one(s["max"])
    return f"{med} ({lo} – {hi})"


def fmt_ratio(s: dict[str, float]) -> str:
    def one(v: float) -> str:
        return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"

    return f"**{one(s['median'])}×** ({one(s['min'])}–{one(s['max'])})"


def fmt_load(s: dict[str, float]) -> str:
    return f"{s['median']:.1f} ({s['min']:.1f} – {s['max']:.1f})"


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import roadrunner
    import scipy

    from sbmlcrn.io.copasi import copasi_available

    copasi = "COPASI (basico) installed" if copasi_available() else "no COPASI"
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (
        f"{os.cpu_count()} cores (nproc {len(os.sched_getaffinity(0))}), {cpu}, load average "
        f"{load} at the start; Python "
        f"{platform.python_version()}, libRoadRunner {roadrunner.__version__}, scipy "
        f"{scipy.__version__}, numpy {np.__version__}, {copasi}"
    )


def _json_default(obj: object) -> object:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)
