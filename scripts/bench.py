#!/usr/bin/env python3
"""Benchmarks of a training run: RoadRunner vs COPASI vs scipy LSODA vs the numpy reference.

Usage::

    python scripts/bench.py              # the full set (tens of minutes on 2 cores)
    python scripts/bench.py --quick      # smaller workloads, 5 rounds (about 3 minutes)
    python scripts/bench.py --sweep      # parallel efficiency of 'sbmlcrn sweep' on 2 workers
    python scripts/bench.py --only linreg-authors --rounds 7 --json out.json

Every workload is compiled once into its one SBML training model; then each *round* runs the
five contenders one after the other (A B C D, A B C D, …: interleaved, so a slow phase of a
shared machine hits all of them alike):

A. ``roadrunner``: load the SBML with sbmlcrn's loader (LLJIT, no per-id Python attributes,
   forced recompilation) and simulate it from 0 to the training end time with CVODE —
   Adams, rtol 1e-10, atol 1e-12, the settings of :func:`sbmlcrn.simulate.simulate` (BDF
   only if Adams fails) — keeping only the final state.
   Load and simulate are timed separately.
B. ``copasi``: the same ``model.xml`` in COPASI (deterministic LSODA, same tolerances, one
   output interval 0 → end time), in a child process as ``sbmlcrn crosscheck`` runs it; the
   import and the time course are timed inside COPASI, separately.
C. ``scipy``: the same reaction network's mass-action ODE (built from the
   :class:`~sbmlcrn.core.network.Network`'s reactions, vectorised with numpy stoichiometry
   matrices, with its analytic Jacobian) integrated by ``scipy.integrate.solve_ivp(LSODA)``
   phase by phase, the phase schedule and sample loading done by a Python loop that applies
   the network's own event assignments.
E. ``phases``: sbmlcrn's phase-by-phase engine (``train --engine phases``,
   :func:`sbmlcrn.training.stochastic.drive`): load the event-free network once and stop CVODE at
   every phase boundary, setting gates and the sample's data; timed as one (load + run).
D. ``numpy``: the reference SGD (:func:`sbmlcrn.training.pipeline.reference_run`): the floor, what
   learning costs without chemistry (nonlinear circuits: numpy plus scipy ``odeint`` for the
   Neural ODE and its adjoint).

Each round checks that A, B and C learned the reference's parameters (relative deviation
``max |Δθ| / max(1, max |θ|)`` ≤ 1e-6 for linear circuits, 1e-4 for nonlinear ones); a failure
is reported in the table and makes the exit status 1. Ratios are computed per round, then
summarised as median and min–max; times are medians and min–max over the rounds.

Further sections: build + SBML write + RoadRunner load of a ~2,000-reaction network; model
size and load time against the number of samples; a profile of the RoadRunner run (CVODE
steps, event restarts, per-step cost, Python overhead of :func:`sbmlcrn.training.pipeline.train`).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import itertools
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.circuits.nonlinear import NonlinearConfig, compile_nonlinear
from sbmlcrn.circuits.registry import reference_run
from sbmlcrn.core.data import Dataset, authors_linear_regression, make_task
from sbmlcrn.core.expr import Const, Expr, Sym
from sbmlcrn.core.network import Network
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import Tolerances
from sbmlcrn.studies.catalogue import AUTHORS_REGRESSION

RTOL = 1e-10
ATOL = 1e-12
MAX_STEPS = 200_000

Circuit = Any  # LinearCircuit | NonlinearCircuit


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- workloads


def synthetic_linear(n: int, d: int, seed: int = 0) -> Dataset:
    """``y = x·w + b + noise`` with ``d`` Gaussian inputs (seeded)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=(n, d)) + rng.uniform(-1.0, 1.0, size=d)
    w = rng.uniform(-2.0, 2.0, size=d)
    y = x @ w + float(rng.uniform(-1.0, 1.0)) + 0.1 * rng.normal(size=n)
    return Dataset(tuple(f"x{i + 1}" for i in range(d)), x, y, "y", name=f"synthetic-d{d}")


@dataclass(frozen=True)
class Workload:
    slug: str
    title: str
    circuit: str
    data: Callable[[], Dataset]
    config: LinearConfig | NonlinearConfig

    @property
    def linear(self) -> bool:
        return self.circuit.startswith("linear-")

    def make(self) -> Circuit:
        """The compiled circuit (training network, clock, loaded data)."""
        task = self.circuit.split("-", 1)[1]
        if isinstance(self.config, LinearConfig):
            return compile_linear(task, self.data(), self.config)
        return compile_nonlinear(task, self.data(), self.config)


def workloads(quick: bool) -> list[Workload]:
    """The workloads of the issue; ``quick`` shrinks the long ones."""
    n_big = 1_000 if quick else 10_000
    n_mid, ep_d8, ep_d32 = (50, 4, 2) if quick else (200, 10, 10)
    nl_epochs = 1 if quick else 2
    return [
        Workload(
            "linreg-authors",
            "linear regression D = 2, authors' data, 41 × 5",
            "linear-regression",
            lambda: authors_linear_regression()[0],
            AUTHORS_REGRESSION,
        ),
        Workload(
            "linreg-d8",
            f"linear regression D = 8 (7 inputs + offset), {n_mid} × {ep_d8}",
            "linear-regression",
            lambda: synthetic_linear(n_mid, 7),
            LinearConfig(epochs=ep_d8),
        ),
        Workload(
            "linreg-d32",
            f"linear regression D = 32 (31 inputs + offset), {n_mid} × {ep_d32}",
            "linear-regression",
            lambda: synthetic_linear(n_mid, 31, seed=1),
            LinearConfig(epochs=ep_d32),
        ),
        Workload(
            "nonlin-reg",
            f"nonlinear regression, exact adjoint, 'poly' 50 × {nl_epochs}",
            "nonlinear-regression",
            lambda: make_task("poly").train,
            NonlinearConfig(epochs=nl_epochs),
        ),
        Workload(
            "nonlin-cls",
            f"nonlinear classification, quadratic, exact adjoint, 'xor' 101 × {nl_epochs}",
            "nonlinear-classification",
            lambda: make_task("xor").train,
            NonlinearConfig(epochs=nl_epochs, nonlinearity="quadratic"),
        ),
        Workload(
            "linreg-big",
            f"linear regression D = 3, {n_big:,} × 1",
            "linear-regression",
            lambda: synthetic_linear(n_big, 2, seed=2),
            LinearConfig(epochs=1),
        ),
    ]


# --------------------------------------------------------------------------- contenders


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


def rr_configure(rr, *, stiff: bool, **extra: Any) -> None:
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", RTOL)
    integrator.setValue("absolute_tolerance", ATOL)
    integrator.setValue("maximum_num_steps", MAX_STEPS)
    integrator.setValue("stiff", stiff)
    for key, value in extra.items():
        integrator.setValue(key, value)


def run_roadrunner(circuit: Circuit, sbml: str) -> dict[str, Any]:
    """A: load, then simulate 0 → end time (final state only); Adams, BDF if it fails."""
    gc.collect()
    t0 = time.perf_counter()
    rr = rr_load(sbml)
    load = time.perf_counter() - t0
    method = "adams"
    rr_configure(rr, stiff=False)
    t0 = time.perf_counter()
    try:
        rr.simulate(0.0, circuit.clock.end_time, 2)
    except RuntimeError:
        method = "bdf"
        rr = rr_load(sbml)
        rr_configure(rr, stiff=True)
        t0 = time.perf_counter()
        rr.simulate(0.0, circuit.clock.end_time, 2)
    sim = time.perf_counter() - t0
    values = {s: rr.getValue(f"[{s}]") for pair in circuit.parameter_species.values() for s in pair}
    return {"load": load, "run": sim, "theta": theta_of(values, circuit), "method": method}


def run_copasi(circuit: Circuit, model_path: Path) -> dict[str, Any]:
    """B: COPASI in a child process (sbmlcrn.io.copasi's worker); times measured inside COPASI."""
    from sbmlcrn.io.copasi import MAX_INTERNAL_STEPS, _run_worker

    species = [s for pair in circuit.parameter_species.values() for s in pair]
    t0 = time.perf_counter()
    answer = _run_worker(
        {
            "op": "simulate",
            "model": str(model_path),
            "end_time": circuit.clock.end_time,
            "rtol": RTOL,
            "atol": ATOL,
            "max_steps": MAX_INTERNAL_STEPS,
            "species": species,
        },
        timeout=3600.0,
        action="benchmarking",
    )
    wall = time.perf_counter() - t0
    errors = [m for m in answer.get("messages", []) if m["severity"] in ("error", "exception")]
    return {
        "load": answer["timings"]["import_s"],
        "run": answer["timings"]["simulate_s"],
        "process": wall,
        "theta": theta_of(answer["values"], circuit),
        "messages": len(errors),
        "version": answer.get("copasi_version", ""),
    }


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

    def __init__(self, circuit: Circuit) -> None:
        net: Network = circuit.network
        self.circuit = circuit
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
                    rtol=RTOL,
                    atol=ATOL,
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


def run_scipy(circuit: Circuit) -> dict[str, Any]:
    t0 = time.perf_counter()
    trainer = ScipyTrainer(circuit)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = trainer.run()
    return {"load": setup, "run": time.perf_counter() - t0, **out}


def run_phases(circuit: Circuit) -> dict[str, Any]:
    """E: ``train --engine phases`` (load of the event-free network included in ``run``)."""
    from sbmlcrn.simulate import runner_cache_size
    from sbmlcrn.training.driver import drive

    _roadrunner()
    runner_cache_size(0)  # compile every round, as A does
    # a new model id gives a new SBML text, which RoadRunner's own cache has not seen
    network = dataclasses.replace(circuit.network, id=f"{circuit.network.id}_{next(_LOADS)}")
    circuit = dataclasses.replace(circuit, network=network)
    gc.collect()
    t0 = time.perf_counter()
    result = drive(circuit, tolerances=Tolerances(RTOL, ATOL, MAX_STEPS))
    return {"load": 0.0, "run": time.perf_counter() - t0, "theta": np.asarray(result.theta)}


def run_numpy(circuit: Circuit) -> dict[str, Any]:
    t0 = time.perf_counter()
    ref = reference_run(circuit)
    return {"load": 0.0, "run": time.perf_counter() - t0, "theta": np.asarray(ref.theta)}


# --------------------------------------------------------------------------- statistics


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


# --------------------------------------------------------------------------- the main table


CONTENDERS = ("roadrunner", "phases", "copasi", "scipy", "numpy")


def bench_workload(w: Workload, rounds: int, skip: set[str]) -> dict[str, Any]:
    say(f"{w.slug}: compiling")
    t0 = time.perf_counter()
    circuit = w.make()
    sbml = to_sbml(circuit.network)
    build = time.perf_counter() - t0
    ref = np.asarray(reference_run(circuit).theta)
    tol = 1e-6 if w.linear else 1e-4
    stats = circuit.network.stats()
    result: dict[str, Any] = {
        "slug": w.slug,
        "title": w.title,
        "samples": circuit.clock.n_samples,
        "epochs": circuit.clock.epochs,
        "cycles": circuit.clock.cycles,
        "end_time": circuit.clock.end_time,
        "species": stats["species"],
        "reactions": stats["reactions"],
        "events": stats["events"],
        "sbml_bytes": len(sbml.encode()),
        "build_s": build,
        "tolerance": tol,
        "rounds": [],
    }
    with tempfile.TemporaryDirectory(prefix="sbmlcrn-bench-") as tmp:
        model = Path(tmp) / "model.xml"
        model.write_text(sbml, encoding="utf-8")
        for k in range(rounds):
            row: dict[str, Any] = {}
            for name in CONTENDERS:
                if name in skip:
                    continue
                if name == "roadrunner":
                    out = run_roadrunner(circuit, sbml)
                elif name == "phases":
                    out = run_phases(circuit)
                elif name == "copasi":
                    out = run_copasi(circuit, model)
                elif name == "scipy":
                    out = run_scipy(circuit)
                else:
                    out = run_numpy(circuit)
                out["deviation"] = deviation(out.pop("theta"), ref)
                row[name] = out
            result["rounds"].append(row)
            say(
                f"{w.slug}: round {k + 1}/{rounds}: "
                + ", ".join(f"{n} {v['run']:.3g} s" for n, v in row.items())
            )
    summarise(result)
    return result


def summarise(result: dict[str, Any]) -> None:
    rounds = result["rounds"]
    names = [n for n in CONTENDERS if n in rounds[0]]
    summary: dict[str, Any] = {"times": {}, "ratios": {}, "deviation": {}, "ok": True}
    for n in names:
        summary["times"][n] = {
            "load": spread([r[n]["load"] for r in rounds]),
            "run": spread([r[n]["run"] for r in rounds]),
        }
        if n != "numpy":
            dev = max(r[n]["deviation"] for r in rounds)
            summary["deviation"][n] = dev
            if not (math.isfinite(dev) and dev <= result["tolerance"]):
                summary["ok"] = False
    if "roadrunner" in names:
        for n in ("copasi", "scipy"):
            if n in names:
                summary["ratios"][f"{n}/roadrunner"] = spread(
                    [r[n]["run"] / r["roadrunner"]["run"] for r in rounds]
                )
                summary["ratios"][f"{n}/roadrunner incl. load"] = spread(
                    [
                        (r[n]["load"] + r[n]["run"])
                        / (r["roadrunner"]["load"] + r["roadrunner"]["run"])
                        for r in rounds
                    ]
                )
        if "phases" in names:
            summary["ratios"]["roadrunner/phases incl. load"] = spread(
                [
                    (r["roadrunner"]["load"] + r["roadrunner"]["run"]) / r["phases"]["run"]
                    for r in rounds
                ]
            )
        if "numpy" in names:
            summary["ratios"]["roadrunner/numpy"] = spread(
                [r["roadrunner"]["run"] / r["numpy"]["run"] for r in rounds]
            )
        summary["rr_methods"] = dict(Counter(r["roadrunner"]["method"] for r in rounds))
    if "scipy" in names:
        summary["scipy_nfev"] = rounds[0]["scipy"]["nfev"]
        summary["scipy_njev"] = rounds[0]["scipy"]["njev"]
    result["summary"] = summary


def table_main(results: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | cycles | species / reactions | RoadRunner load | RoadRunner simulate "
        "| phase by phase (load + run) | COPASI import | COPASI time course | scipy LSODA "
        "| numpy reference |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t = r["summary"]["times"]

        def cell(name: str, part: str, t: dict[str, Any] = t) -> str:
            return fmt_time(t[name][part]) if name in t else "—"

        lines.append(
            f"| {r['title']} | {r['cycles']:,} | {r['species']} / {r['reactions']} "
            f"| {cell('roadrunner', 'load')} | {cell('roadrunner', 'run')} "
            f"| {cell('phases', 'run')} | {cell('copasi', 'load')} | {cell('copasi', 'run')} "
            f"| {cell('scipy', 'run')} | {cell('numpy', 'run')} |"
        )
    return "\n".join(lines)


def table_ratios(results: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | COPASI / RoadRunner | scipy / RoadRunner | COPASI / RoadRunner, "
        "with load | events / phase by phase, with load | RoadRunner / numpy "
        "| max deviation from the reference: RoadRunner, phases, COPASI, scipy (allowed) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r["summary"]
        ratio = s["ratios"]

        def cell(key: str, ratio: dict[str, Any] = ratio) -> str:
            return fmt_ratio(ratio[key]) if key in ratio else "—"

        devs = ", ".join(f"{s['deviation'][n]:.1e}" for n in s["deviation"])
        verdict = "" if s["ok"] else " **FAILED**"
        lines.append(
            f"| {r['slug']} | {cell('copasi/roadrunner')} | {cell('scipy/roadrunner')} "
            f"| {cell('copasi/roadrunner incl. load')} "
            f"| {cell('roadrunner/phases incl. load')} | {cell('roadrunner/numpy')} "
            f"| {devs} ({r['tolerance']:g}){verdict} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- build and load


def bench_build(rounds: int) -> list[dict[str, Any]]:
    """Build + SBML write + RoadRunner load of linear circuits of ~250 … ~2,000 reactions.

    10 samples × 1 epoch; ``D`` channels give ``11 D + 1`` reactions, so ``D = 182`` gives
    2,003 reactions.
    """
    rows = []
    for d in (22, 45, 90, 181):
        data = synthetic_linear(10, d, seed=3)
        times: dict[str, list[float]] = {"build": [], "write": [], "load": [], "total": []}
        for _ in range(rounds):
            gc.collect()
            t0 = time.perf_counter()
            circuit = compile_linear("regression", data, LinearConfig(epochs=1))
            t1 = time.perf_counter()
            sbml = to_sbml(circuit.network)
            t2 = time.perf_counter()
            rr = rr_load(sbml)
            t3 = time.perf_counter()
            del rr
            for key, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
                times[key].append(v)
        stats = circuit.network.stats()
        rows.append(
            {
                "channels": d + 1,
                "reactions": stats["reactions"],
                "species": stats["species"],
                "sbml_bytes": len(sbml.encode()),
                **{k: spread(v) for k, v in times.items()},
            }
        )
        say(f"build: {stats['reactions']} reactions: {rows[-1]['total']['median']:.2f} s")
    return rows


def bench_size_curve(sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    """Model size, build, write, load and simulate time against the number of samples."""
    rows = []
    for n in sizes:
        data = synthetic_linear(n, 2, seed=4)
        times: dict[str, list[float]] = {"build": [], "write": [], "load": [], "simulate": []}
        for _ in range(rounds):
            gc.collect()
            t0 = time.perf_counter()
            circuit = compile_linear("regression", data, LinearConfig(epochs=1))
            t1 = time.perf_counter()
            sbml = to_sbml(circuit.network)
            t2 = time.perf_counter()
            rr = rr_load(sbml)
            t3 = time.perf_counter()
            rr_configure(rr, stiff=False)
            rr.simulate(0.0, circuit.clock.end_time, 2)
            t4 = time.perf_counter()
            del rr
            for key, v in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                times[key].append(v)
        stripped = "\n".join(line.strip() for line in sbml.splitlines())
        rows.append(
            {
                "samples": n,
                "sbml_bytes": len(sbml.encode()),
                "sbml_bytes_unindented": len(stripped.encode()),
                "reactions": circuit.network.stats()["reactions"],
                "events": circuit.network.stats()["events"],
                **{k: spread(v) for k, v in times.items()},
            }
        )
        say(f"size curve: {n} samples: {rows[-1]['sbml_bytes']:,} bytes")
    return rows


def table_build(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| linear regression, 10 samples | species / reactions | SBML | build | SBML write "
        "| RoadRunner load | total (target ≤ 2 s at 2,000 reactions) |",
        "|---|---|---|---|---|---|---|",
    ]
    for b in rows:
        lines.append(
            f"| D = {b['channels']} | {b['species']} / {b['reactions']:,} "
            f"| {b['sbml_bytes'] / 1e6:.2f} MB | {fmt_time(b['build'])} "
            f"| {fmt_time(b['write'])} | {fmt_time(b['load'])} | {fmt_time(b['total'])} |"
        )
    return "\n".join(lines)


def table_curve(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| samples | SBML size | bytes / sample (without indentation) | build | SBML write "
        "| RoadRunner load | load / sample | simulate (1 epoch) | simulate / cycle |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        n = r["samples"]
        flat = r.get("sbml_bytes_unindented")
        flat_text = f" ({flat / n:,.0f})" if flat else ""
        lines.append(
            f"| {n:,} | {r['sbml_bytes'] / 1e3:,.0f} kB "
            f"| {r['sbml_bytes'] / n:,.0f}{flat_text} | {fmt_time(r['build'])} "
            f"| {fmt_time(r['write'])} | {fmt_time(r['load'])} "
            f"| {r['load']['median'] / n * 1e3:.2f} ms | {fmt_time(r['simulate'])} "
            f"| {r['simulate']['median'] / n * 1e3:.3f} ms |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- profile


def event_free(network: Network, gates: dict[str, float]) -> Network:
    """The network without events, its gates fixed (clock parameters dropped)."""
    from sbmlcrn.core.network import Parameter, Role

    params = tuple(
        Parameter(p.id, gates[p.id], Role.GATE) if p.id in gates else p
        for p in network.parameters
        if p.role is not Role.CLOCK
    )
    return dataclasses.replace(network, parameters=params, events=())


def _variable_step_run(sbml: str, end: float, **extra: Any) -> tuple[np.ndarray, float]:
    """The times of every CVODE step from 0 to ``end`` (one output row per internal step),
    and the wall time of that run (loading excluded)."""
    rr = rr_load(sbml)
    rr_configure(rr, stiff=False, variable_step_size=True, max_output_rows=10**8, **extra)
    t0 = time.perf_counter()
    out = rr.simulate(0.0, end, selections=["time"])
    return np.asarray(out)[:, 0], time.perf_counter() - t0


def _early_fraction(times: np.ndarray, circuit: Circuit, within: float = 0.01) -> float:
    """Fraction of the steps taken in the first ``within`` of a phase (restart ramp-up)."""
    clock = circuit.clock
    u = np.mod(times[1:], clock.period)
    early = np.zeros(u.shape, dtype=bool)
    for j, phase in enumerate(clock.phases):
        lo = clock.offset(j)
        early |= (u >= lo) & (u < lo + within * phase.duration)
    return float(np.mean(early))


def bench_profile(w: Workload, rounds: int) -> dict[str, Any]:
    """Where a RoadRunner training run spends its time.

    1. The training run (events), final state only, and with an output at every mid-phase;
       its CVODE steps counted by a run that records every step (``variable_step_size``).
    2. The same network without events and with every gate off (only the annihilations act,
       so nothing is restarted and no root is searched for), forced by ``maximum_time_step``
       to take as many steps over the same time span, with the same outputs: the cost of
       the steps alone (RHS evaluations, Newton iterations, step control). The rest of the
       training run is the event machinery — root finding, the event assignments and
       CVODE's restart after each firing (a new order-1 start, Jacobian and initial step).
    3. One RHS evaluation through the Python binding
       (``getFloatingSpeciesConcentrationRates``): an upper bound of the compiled RHS's cost.
    4. :func:`sbmlcrn.training.pipeline.train` in all, and its parts (its ``simulate`` samples two
       output points per cycle and reads the trajectories).
    """
    from sbmlcrn.training.pipeline import train

    circuit = w.make()
    sbml = to_sbml(circuit.network)
    end = circuit.clock.end_time
    cycles = circuit.clock.cycles
    out: dict[str, Any] = {"workload": w.slug, "cycles": cycles, "end_time": end}
    smooth = to_sbml(event_free(circuit.network, {g: 0.0 for g in circuit.clock.gates()}))
    finals, gridded_ev, forced = [], [], []
    step_times, _ = _variable_step_run(sbml, end)
    steps = len(step_times) - 1
    out["early_fraction"] = _early_fraction(step_times, circuit)
    out["smallest_step"] = float(np.min(np.diff(step_times)))
    free_times, _ = _variable_step_run(smooth, end, maximum_time_step=end / steps)
    # Both timed comparison runs output at every mid-phase (a few µs per row, the same for
    # both). With long output intervals and a maximum step RoadRunner 2.10 stops with
    # CV_TOO_MUCH_WORK far below maximum_num_steps, so the forced run needs the grid anyway;
    # recording every step instead costs ~2.4 µs per row, more than a step.
    mids = (np.arange(2 * cycles) + 0.5) * (end / (2 * cycles))
    grid = np.concatenate([[0.0], mids, [end]])
    for _ in range(rounds):
        rr = rr_load(sbml)
        rr_configure(rr, stiff=False)
        t0 = time.perf_counter()
        rr.simulate(0.0, end, 2)
        finals.append(time.perf_counter() - t0)
        rr = rr_load(sbml)
        rr_configure(rr, stiff=False)
        t0 = time.perf_counter()
        rr.simulate(times=grid, selections=["time"])
        gridded_ev.append(time.perf_counter() - t0)
        rr = rr_load(smooth)
        rr_configure(rr, stiff=False, maximum_time_step=end / steps)
        t0 = time.perf_counter()
        rr.simulate(times=grid, selections=["time"])
        forced.append(time.perf_counter() - t0)
    out["simulate"] = spread(finals)
    out["simulate_mid_grid"] = spread(gridded_ev)
    out["steps"] = steps
    out["event_firings"] = 2 * cycles + 1
    out["no_events_forced"] = spread(forced)
    out["steps_forced"] = len(free_times) - 1

    rr = rr_load(sbml)
    n_calls = 20_000
    rates = rr.model.getFloatingSpeciesConcentrationRates
    t0 = time.perf_counter()
    for _ in range(n_calls):
        rates()
    out["rhs_call"] = (time.perf_counter() - t0) / n_calls

    # train()'s simulate samples two points per cycle (the loss) and the epoch starts
    grid = np.unique(
        np.array([0.0, *circuit.epoch_start_times(), *circuit.forward_error_times(), end])
    )
    watched = [s for pair in circuit.error_species for s in pair]
    watched += [s for pair in circuit.parameter_species.values() for s in pair]
    gridded = []
    for _ in range(rounds):
        rr = rr_load(sbml)
        rr_configure(rr, stiff=False)
        t0 = time.perf_counter()
        rr.simulate(times=grid, selections=["time", *(f"[{s}]" for s in watched)])
        gridded.append(time.perf_counter() - t0)
    out["simulate_grid"] = spread(gridded)
    out["grid_points"] = len(grid)
    loads = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        rr = rr_load(sbml)
        loads.append(time.perf_counter() - t0)
    out["load"] = spread(loads)

    trains = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        run = train(w.circuit, w.data(), config=w.config)
        trains.append({"total": time.perf_counter() - t0, **run.timings})
    out["train"] = {k: spread([t[k] for t in trains]) for k in trains[0]}
    return out


def text_profile(p: dict[str, Any]) -> str:
    sim = p["simulate"]["median"]
    ev_grid = p["simulate_mid_grid"]["median"]
    steps_cost = p["no_events_forced"]["median"] * p["steps"] / max(p["steps_forced"], 1)
    events = ev_grid - steps_cost
    tr = p["train"]
    overhead = tr["simulate_s"]["median"] - p["load"]["median"] - p["simulate_grid"]["median"]
    return "\n".join(
        [
            f"Workload `{p['workload']}`: {p['cycles']:,} cycles, {p['event_firings']:,} event "
            f"firings, t = 0 … {p['end_time']:g}.",
            "",
            "| quantity | value |",
            "|---|---|",
            f"| training run (events), simulate to the end | {fmt_time(p['simulate'])} |",
            f"| CVODE steps | {p['steps']:,} ({p['steps'] / (2 * p['cycles']):.0f} per phase; "
            f"{sim / p['steps'] * 1e6:.2f} µs per step in all) |",
            f"| … taken in the first 1 % of a phase (restart at order 1) | "
            f"{p['early_fraction']:.0%}; smallest step {p['smallest_step']:.1e} |",
            f"| the training run with an output at every mid-phase | "
            f"{fmt_time(p['simulate_mid_grid'])} |",
            f"| same network, no events, gates off, forced to as many steps "
            f"({p['steps_forced']:,}), same outputs | {fmt_time(p['no_events_forced'])} |",
            f"| → the steps themselves (RHS, Newton, step control) | "
            f"{steps_cost * 1e3:.0f} ms ({steps_cost / ev_grid:.0%}; "
            f"{steps_cost / p['steps'] * 1e6:.2f} µs per step) |",
            f"| → event machinery (roots, assignments, CVODE restarts): the rest | "
            f"{events * 1e3:.0f} ms ({events / ev_grid:.0%}; "
            f"{events / p['event_firings'] * 1e6:.0f} µs per firing) |",
            f"| one RHS evaluation via the Python binding (upper bound) | "
            f"{p['rhs_call'] * 1e6:.2f} µs |",
            f"| the same run with `train()`'s output grid ({p['grid_points']:,} points: one per "
            f"cycle, the epoch starts) | "
            f"{fmt_time(p['simulate_grid'])} |",
            f"| RoadRunner load | {fmt_time(p['load'])} |",
            f"| `train()` in all | {fmt_time(tr['total'])} |",
            f"| … build, SBML and Antimony | {fmt_time(tr['build_s'])} |",
            f"| … numpy reference | {fmt_time(tr['reference_s'])} |",
            f"| … `simulate()`: load, run with the loss grid, reading | "
            f"{fmt_time(tr['simulate_s'])} |",
            f"| → Python overhead in `simulate()` (minus load and gridded run) | "
            f"{overhead * 1e3:.0f} ms{' (within the noise)' if overhead < 0 else ''} |",
        ]
    )


# --------------------------------------------------------------------------- sweep


def bench_sweep(rounds: int, runs: int = 12) -> dict[str, Any]:
    """Parallel efficiency of :func:`sbmlcrn.studies.sweep.run_sweep`: 1 worker vs 2 workers.

    ``runs`` linear-regression runs of ≥ 1 s each (200 samples × 20 epochs, 8 channels),
    the same grid with 1 and with 2 local worker processes, alternately, ``rounds`` times.
    Efficiency = T₁ / (2 T₂).
    """
    from sbmlcrn.studies.sweep import parse_grid, run_sweep

    data = synthetic_linear(200, 7, seed=5)
    grid = parse_grid("linear-regression", [f"seed=0..{runs - 1}", "epochs=20"])
    t1s, t2s = [], []
    run_times: dict[int, list[float]] = {1: [], 2: []}
    cpu_share: dict[int, list[float]] = {1: [], 2: []}
    loads = []
    with tempfile.TemporaryDirectory(prefix="sbmlcrn-sweep-bench-") as tmp:
        for k in range(rounds):
            for workers, sink in ((1, t1s), (2, t2s)):
                out = Path(tmp) / f"w{workers}-{k}"
                t0 = time.perf_counter()
                res = run_sweep("linear-regression", data, grid, out, workers=workers)
                sink.append(time.perf_counter() - t0)
                run_times[workers] += [r["seconds"] for r in res.rows]
                cpu_share[workers].append(
                    sum(r["cpu_seconds"] for r in res.rows) / sum(r["seconds"] for r in res.rows)
                )
            loads.append(os.getloadavg()[0])
            say(
                f"sweep round {k + 1}/{rounds}: 1 worker {t1s[-1]:.2f} s, 2 workers {t2s[-1]:.2f} s"
            )
    eff = [a / (2 * b) for a, b in zip(t1s, t2s, strict=True)]
    return {
        "runs": runs,
        "run_seconds": spread(run_times[1]),
        "run_seconds_two": spread(run_times[2]),
        "load_average": spread(loads),
        "cpu_share_one": spread(cpu_share[1]),
        "cpu_share_two": spread(cpu_share[2]),
        "one_worker": spread(t1s),
        "two_workers": spread(t2s),
        "efficiency": spread(eff),
    }


def text_sweep(s: dict[str, Any]) -> str:
    e = s["efficiency"]
    return "\n".join(
        [
            "| grid | one run, 1 worker | one run, 2 workers | 1 worker (in this process) "
            "| 2 worker processes | parallel efficiency T₁ / (2 T₂) |",
            "|---|---|---|---|---|---|",
            f"| {s['runs']} linear-regression runs (200 × 20, D = 8) "
            f"| {fmt_time(s['run_seconds'])} | {fmt_time(s['run_seconds_two'])} "
            f"| {fmt_time(s['one_worker'])} "
            f"| {fmt_time(s['two_workers'])} | **{e['median']:.0%}** "
            f"({e['min']:.0%} – {e['max']:.0%}) |",
            "",
            f"1-minute load average after each round: {fmt_load(s['load_average'])} (the "
            "benchmark itself adds 1 or 2). CPU time / wall time of the runs: "
            f"{s['cpu_share_one']['median']:.0%} with 1 worker, "
            f"{s['cpu_share_two']['median']:.0%} with 2 (below 100 %: the runs waited for a "
            "core).",
        ]
    )


def fmt_load(s: dict[str, float]) -> str:
    return f"{s['median']:.1f} ({s['min']:.1f} – {s['max']:.1f})"


# --------------------------------------------------------------------------- main


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads (~3 minutes)")
    parser.add_argument("--rounds", type=int, help="rounds per workload (default 5; >= 5)")
    parser.add_argument("--only", nargs="+", metavar="SLUG", help="only these workloads")
    parser.add_argument(
        "--skip", nargs="+", default=[], choices=CONTENDERS, help="leave contenders out"
    )
    parser.add_argument("--no-extras", action="store_true", help="only the main table")
    parser.add_argument("--sweep", action="store_true", help="only the sweep efficiency")
    parser.add_argument("--json", type=Path, help="write the raw measurements as JSON")
    parser.add_argument("--render", type=Path, help="print the tables of a --json file again")
    args = parser.parse_args(argv)
    if args.render is not None:
        render(json.loads(args.render.read_text()))
        return 0
    rounds = args.rounds or 5
    started = time.perf_counter()
    report: dict[str, Any] = {"machine": machine(), "quick": args.quick, "rounds": rounds}
    print(f"Machine: {report['machine']}\n")
    if args.sweep:
        report["sweep"] = bench_sweep(max(3, rounds // 2 if args.quick else rounds))
        print("## Sweep: parallel efficiency on 2 local workers\n")
        print(text_sweep(report["sweep"]) + "\n")
    else:
        chosen = workloads(args.quick)
        if args.only:
            unknown = set(args.only) - {w.slug for w in chosen}
            if unknown:
                parser.error(f"unknown workloads {sorted(unknown)}")
            chosen = [w for w in chosen if w.slug in args.only]
        skip = set(args.skip)
        from sbmlcrn.io.copasi import copasi_available

        if not copasi_available():
            say("COPASI is not installed (pip install 'sbmlcrn[copasi]'): leaving it out")
            skip.add("copasi")
        results = [bench_workload(w, rounds, skip) for w in chosen]
        report["workloads"] = results
        print(f"## Training runs: median (min – max) of {rounds} interleaved rounds\n")
        print(table_main(results) + "\n")
        print("## Ratios per round: median (min – max); agreement over all rounds\n")
        print(table_ratios(results) + "\n")
        if not args.no_extras:
            report["build"] = bench_build(3 if args.quick else rounds)
            print("## Build + SBML write + RoadRunner load, up to 2,000 reactions\n")
            print(table_build(report["build"]) + "\n")
            sizes = [100, 1_000, 3_000] if args.quick else [100, 300, 1_000, 3_000, 10_000]
            report["curve"] = bench_size_curve(sizes, 3 if args.quick else rounds)
            print("## Model size and load time against the number of samples (D = 3, 1 epoch)\n")
            print(table_curve(report["curve"]) + "\n")
            print("## Profile of the RoadRunner training run\n")
            chosen = workloads(args.quick)[: 1 if args.quick else 2]
            report["profile"] = []
            for w in chosen:
                say(f"profile: {w.slug}")
                report["profile"].append(bench_profile(w, rounds))
                print(text_profile(report["profile"][-1]) + "\n")
    report["elapsed_s"] = time.perf_counter() - started
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"(benchmark took {report['elapsed_s']:.0f} s; load average {load} at the end)")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2, default=_json_default) + "\n")
    ok = all(r["summary"]["ok"] for r in report.get("workloads", []))
    return 0 if ok else 1


def render(report: dict[str, Any]) -> None:
    """Print the tables of a stored report (``--json``) again."""
    print(f"Machine: {report['machine']}\n")
    if "workloads" in report:
        print(f"## Training runs: median (min – max) of {report['rounds']} interleaved rounds\n")
        print(table_main(report["workloads"]) + "\n")
        print("## Ratios per round: median (min – max); agreement over all rounds\n")
        print(table_ratios(report["workloads"]) + "\n")
    if "build" in report:
        print("## Build + SBML write + RoadRunner load, up to 2,000 reactions\n")
        print(table_build(report["build"]) + "\n")
    if "curve" in report:
        print("## Model size and load time against the number of samples (D = 3, 1 epoch)\n")
        print(table_curve(report["curve"]) + "\n")
    profiles = report.get("profile", [])
    for p in profiles if isinstance(profiles, list) else [profiles]:
        print(text_profile(p) + "\n")
    if "sweep" in report:
        print("## Sweep: parallel efficiency on 2 local workers\n")
        print(text_sweep(report["sweep"]) + "\n")


def _json_default(obj: object) -> object:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return str(obj)


if __name__ == "__main__":
    sys.exit(main())
