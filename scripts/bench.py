#!/usr/bin/env python3
"""Benchmarks of a training run: RoadRunner vs COPASI vs scipy LSODA vs the numpy reference.

Usage::

    python scripts/bench.py              # the full set (tens of minutes on 2 cores)
    python scripts/bench.py --quick      # smaller workloads, 5 rounds (a few minutes)
    python scripts/bench.py --sweep      # parallel efficiency of 'sbmlcrn sweep' on 2 workers
    python scripts/bench.py --only linreg-authors --rounds 7 --json out.json
    python scripts/bench.py --quick --batch-size 16 --tolerances fixed --no-extras

Every workload is compiled once into its one SBML training model; then each *round* runs the
five contenders one after the other (A E B C D, A E B C D, …: interleaved, so a slow phase of
a shared machine hits all of them alike):

A. ``roadrunner``: load the SBML with sbmlcrn's loader (LLJIT, no per-id Python attributes,
   forced recompilation) and simulate it from 0 to the training end time with CVODE at the
   workload's tolerances (below): Adams, then BDF from t = 0 if Adams fails, unless the
   tolerances say BDF — keeping only the final state. Load and simulate are timed separately.
B. ``copasi``: the same ``model.xml`` in COPASI (deterministic LSODA, same rtol / atol, one
   output interval 0 → end time), in a child process as ``sbmlcrn crosscheck`` runs it; the
   import and the time course are timed inside COPASI, separately. If COPASI fails on a
   model, its message goes into the table and the run's exit status is 1.
C. ``scipy``: the same reaction network's mass-action ODE (built from the
   :class:`~sbmlcrn.core.network.Network`'s reactions, vectorised with numpy stoichiometry
   matrices, with its analytic Jacobian) integrated by ``scipy.integrate.solve_ivp(LSODA)``
   at the same rtol / atol, phase by phase, the phase schedule and sample loading done by a
   Python loop that applies the network's own event assignments.
E. ``phases``: sbmlcrn's phase-by-phase engine (``train --engine phases``,
   :func:`sbmlcrn.training.driver.drive`): load the event-free network once and stop CVODE at
   every phase boundary, setting gates and the batch's data; timed as one (load + run).
D. ``numpy``: the reference SGD (:func:`sbmlcrn.circuits.registry.reference_run`) of the same
   mini-batch size: the floor, what learning costs without chemistry (Neural ODE circuits:
   numpy plus scipy ``odeint`` for the ODE and its adjoint).

``--batch-size B`` (default 1: the models of the earlier tables, byte for byte) compiles
every linear and product-unit workload with ``batch_size = B`` (B copies of the
forward/error sub-network, one backward/update phase per batch); all five contenders run that
one batched model, and the numpy floor is the mini-batch SGD of the same B. The Neural ODE
circuits do not batch: they stay at B = 1 and the table says so.

``--tolerances`` sets rtol / atol, the same for all contenders: ``fixed`` is rtol 1e-10 /
atol 1e-12 for every workload (the tables of issue 5); ``train`` (the default) is each
workload's own training settings,
:func:`sbmlcrn.training.pipeline.default_tolerances` (rtol 1e-6 / atol 1e-8 for the linear
circuits, 1e-8 / 1e-10 with BDF for the product units' hinge, the simulator's default
``Tolerances()`` — 1e-10 / 1e-12 — for the Neural ODE circuits). Decision: ``train`` by
default, because the question the tables answer is what a training run costs in each
simulator and how far it is from the numpy floor, and ``sbmlcrn train`` runs at these
settings; every contender still gets the same rtol / atol, so the comparison of simulators
stays like for like, and the deviation check below guards every answer. ``fixed`` keeps the
earlier tables reproducible and shows what the integrators cost at tight tolerances.

Each round checks that A, E, B and C learned the reference's parameters (relative deviation
``max |Δθ| / max(1, max |θ|)`` ≤ 1e-6 for linear and product-unit circuits, 1e-4 for Neural
ODE ones); a failure is reported in the table and makes the exit status 1. Ratios are
computed per round, then summarised as median and min–max; times are medians and min–max
over the rounds. The gap to the numpy floor (a contender's run / numpy's run) is also the gap
per sample, both running the same samples and epochs.

Further sections (``scripts/bench_extras.py``; at B = 1 and the fixed tolerances whatever the
options): build + SBML write + RoadRunner load of a ~2,000-reaction network; model size and
load time against the number of samples; a profile of the RoadRunner run (CVODE steps, event
restarts, per-step cost, Python overhead of :func:`sbmlcrn.training.pipeline.train`).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bench_common import (
    _LOADS,
    ATOL,
    MAX_STEPS,
    RTOL,
    Circuit,
    ScipyTrainer,
    _json_default,
    _roadrunner,
    deviation,
    fmt_ratio,
    fmt_time,
    machine,
    rr_configure,
    rr_load,
    say,
    spread,
    synthetic_linear,
    theta_of,
)
from bench_extras import (
    bench_build,
    bench_profile,
    bench_size_curve,
    bench_sweep,
    table_build,
    table_curve,
    text_profile,
    text_sweep,
)

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.nonlinear import NonlinearConfig
from sbmlcrn.circuits.products import ProductConfig
from sbmlcrn.circuits.registry import compile_circuit, reference_run
from sbmlcrn.core.data import Dataset, authors_linear_regression, make_task
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import Tolerances
from sbmlcrn.studies.catalogue import AUTHORS_REGRESSION
from sbmlcrn.training.pipeline import default_tolerances

TOLERANCE_MODES = ("train", "fixed")

# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    slug: str
    title: str
    circuit: str
    data: Callable[[], Dataset]
    config: LinearConfig | NonlinearConfig | ProductConfig

    @property
    def linear(self) -> bool:
        return self.circuit.startswith("linear-")

    @property
    def batches(self) -> bool:
        """Whether the circuit trains in mini-batches (linear and product-unit circuits)."""
        return isinstance(self.config, LinearConfig | ProductConfig)

    def make(self, batch_size: int = 1) -> Circuit:
        """The compiled circuit (training network, clock, loaded data) at ``batch_size``
        (ignored by the Neural ODE circuits, which do not batch)."""
        config = self.config
        if self.batches:
            config = dataclasses.replace(config, batch_size=batch_size)
        return compile_circuit(self.circuit, self.data(), config)


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
            "products-xor",
            f"product units, degree 2, hinge, 'xor' 101 × {nl_epochs}",
            "nonlinear-classification",
            lambda: make_task("xor").train,
            ProductConfig(epochs=nl_epochs),
        ),
        Workload(
            "linreg-big",
            f"linear regression D = 3, {n_big:,} × 1",
            "linear-regression",
            lambda: synthetic_linear(n_big, 2, seed=2),
            LinearConfig(epochs=1),
        ),
    ]


def tolerances_for(circuit: Circuit, mode: str) -> Tolerances:
    """The CVODE / LSODA settings of every contender: ``fixed`` rtol 1e-10 / atol 1e-12,
    Adams then BDF; ``train`` the workload's training defaults (None: ``Tolerances()``)."""
    if mode == "fixed":
        return Tolerances(RTOL, ATOL, MAX_STEPS)
    return default_tolerances(circuit) or Tolerances()


def describe(tol: Tolerances) -> str:
    method = {None: "Adams, BDF if it fails", True: "BDF", False: "Adams"}[tol.stiff]
    return f"rtol {tol.relative:g} / atol {tol.absolute:g} ({method})"


# --------------------------------------------------------------------------- contenders


def run_roadrunner(circuit: Circuit, sbml: str, tol: Tolerances) -> dict[str, Any]:
    """A: load, then simulate 0 → end time (final state only); Adams, BDF if it fails (or
    the method ``tol.stiff`` names)."""
    gc.collect()
    t0 = time.perf_counter()
    rr = rr_load(sbml)
    load = time.perf_counter() - t0
    stiff = bool(tol.stiff)
    method = "bdf" if stiff else "adams"
    settings = {"rtol": tol.relative, "atol": tol.absolute, "maximum_num_steps": tol.max_steps}
    rr_configure(rr, stiff=stiff, **settings)
    t0 = time.perf_counter()
    try:
        rr.simulate(0.0, circuit.clock.end_time, 2)
    except RuntimeError:
        if tol.stiff is not None:
            raise
        method = "bdf"
        rr = rr_load(sbml)
        rr_configure(rr, stiff=True, **settings)
        t0 = time.perf_counter()
        rr.simulate(0.0, circuit.clock.end_time, 2)
    sim = time.perf_counter() - t0
    values = {s: rr.getValue(f"[{s}]") for pair in circuit.parameter_species.values() for s in pair}
    return {"load": load, "run": sim, "theta": theta_of(values, circuit), "method": method}


def run_copasi(circuit: Circuit, model_path: Path, tol: Tolerances) -> dict[str, Any]:
    """B: COPASI in a child process (sbmlcrn.io.copasi's worker); times measured inside COPASI."""
    from sbmlcrn.io.copasi import MAX_INTERNAL_STEPS, _run_worker

    species = [s for pair in circuit.parameter_species.values() for s in pair]
    t0 = time.perf_counter()
    answer = _run_worker(
        {
            "op": "simulate",
            "model": str(model_path),
            "end_time": circuit.clock.end_time,
            "rtol": tol.relative,
            "atol": tol.absolute,
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


def run_scipy(circuit: Circuit, tol: Tolerances) -> dict[str, Any]:
    t0 = time.perf_counter()
    trainer = ScipyTrainer(circuit, rtol=tol.relative, atol=tol.absolute)
    setup = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = trainer.run()
    return {"load": setup, "run": time.perf_counter() - t0, **out}


def run_phases(circuit: Circuit, tol: Tolerances) -> dict[str, Any]:
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
    result = drive(circuit, tolerances=tol)
    return {"load": 0.0, "run": time.perf_counter() - t0, "theta": np.asarray(result.theta)}


def run_numpy(circuit: Circuit) -> dict[str, Any]:
    t0 = time.perf_counter()
    ref = reference_run(circuit)
    return {"load": 0.0, "run": time.perf_counter() - t0, "theta": np.asarray(ref.theta)}


# --------------------------------------------------------------------------- the main table


CONTENDERS = ("roadrunner", "phases", "copasi", "scipy", "numpy")
SIMULATORS = ("roadrunner", "phases", "copasi", "scipy")


def _contender(
    name: str, circuit: Circuit, sbml: str, model: Path, tol: Tolerances
) -> dict[str, Any]:
    if name == "roadrunner":
        return run_roadrunner(circuit, sbml, tol)
    if name == "phases":
        return run_phases(circuit, tol)
    if name == "copasi":
        return run_copasi(circuit, model, tol)
    if name == "scipy":
        return run_scipy(circuit, tol)
    return run_numpy(circuit)


def bench_workload(
    w: Workload, rounds: int, skip: set[str], batch_size: int = 1, mode: str = "train"
) -> dict[str, Any]:
    """Compile ``w`` at ``batch_size`` and time the contenders for ``rounds`` rounds.

    A contender that raises (COPASI refusing a model, say) is reported with its message and
    left out of the later rounds; the workload then counts as failed.
    """
    say(f"{w.slug}: compiling")
    b = batch_size if w.batches else 1
    t0 = time.perf_counter()
    circuit = w.make(b)
    sbml = to_sbml(circuit.network)
    build = time.perf_counter() - t0
    ref = np.asarray(reference_run(circuit).theta)
    tol = tolerances_for(circuit, mode)
    stats = circuit.network.stats()
    result: dict[str, Any] = {
        "slug": w.slug,
        "title": w.title,
        "batch_size": b,
        "batches": w.batches,
        "data_samples": len(w.data()),
        "samples": circuit.clock.n_samples,
        "epochs": circuit.clock.epochs,
        "cycles": circuit.clock.cycles,
        "end_time": circuit.clock.end_time,
        "species": stats["species"],
        "reactions": stats["reactions"],
        "events": stats["events"],
        "sbml_bytes": len(sbml.encode()),
        "build_s": build,
        "tolerance": 1e-4 if isinstance(w.config, NonlinearConfig) else 1e-6,
        "tolerances": dataclasses.asdict(tol) | {"mode": mode, "text": describe(tol)},
        "errors": {},
        "rounds": [],
    }
    skip = set(skip)
    with tempfile.TemporaryDirectory(prefix="sbmlcrn-bench-") as tmp:
        model = Path(tmp) / "model.xml"
        model.write_text(sbml, encoding="utf-8")
        for k in range(rounds):
            row: dict[str, Any] = {}
            for name in CONTENDERS:
                if name in skip:
                    continue
                try:
                    out = _contender(name, circuit, sbml, model, tol)
                except Exception as exc:  # reported, not hidden: the table shows the message
                    result["errors"][name] = f"{type(exc).__name__}: {exc}"
                    say(f"{w.slug}: {name} failed: {result['errors'][name]}")
                    skip.add(name)
                    continue
                out["deviation"] = deviation(out.pop("theta"), ref)
                row[name] = out
            result["rounds"].append(row)
            say(
                f"{w.slug} (B = {b}): round {k + 1}/{rounds}: "
                + ", ".join(f"{n} {v['run']:.3g} s" for n, v in row.items())
            )
    summarise(result)
    return result


def _ratio(rounds: list[dict[str, Any]], num: str, den: str, load: bool = False) -> Any:
    def total(r: dict[str, Any], n: str) -> float:
        return r[n]["run"] + (r[n]["load"] if load else 0.0)

    pairs = [(total(r, num), total(r, den)) for r in rounds if num in r and den in r]
    return spread([a / b for a, b in pairs]) if pairs else None


def summarise(result: dict[str, Any]) -> None:
    rounds = result["rounds"]
    names = [n for n in CONTENDERS if any(n in r for r in rounds)]
    summary: dict[str, Any] = {"times": {}, "ratios": {}, "deviation": {}, "ok": True}
    summary["ok"] = not result.get("errors")
    for n in names:
        mine = [r[n] for r in rounds if n in r]
        summary["times"][n] = {
            "load": spread([m["load"] for m in mine]),
            "run": spread([m["run"] for m in mine]),
        }
        if n != "numpy":
            dev = max(m["deviation"] for m in mine)
            summary["deviation"][n] = dev
            if not (math.isfinite(dev) and dev <= result["tolerance"]):
                summary["ok"] = False
    keys = {
        "copasi/roadrunner": ("copasi", "roadrunner", False),
        "scipy/roadrunner": ("scipy", "roadrunner", False),
        "copasi/roadrunner incl. load": ("copasi", "roadrunner", True),
        "scipy/roadrunner incl. load": ("scipy", "roadrunner", True),
        "roadrunner/phases incl. load": ("roadrunner", "phases", True),
        **{f"{n}/numpy": (n, "numpy", False) for n in SIMULATORS},
    }
    for key, (num, den, load) in keys.items():
        value = _ratio(rounds, num, den, load)
        if value is not None:
            summary["ratios"][key] = value
    if "roadrunner" in names:
        summary["rr_methods"] = dict(
            Counter(r["roadrunner"]["method"] for r in rounds if "roadrunner" in r)
        )
    scipy_rounds = [r["scipy"] for r in rounds if "scipy" in r]
    if scipy_rounds:
        summary["scipy_nfev"] = scipy_rounds[0]["nfev"]
        summary["scipy_njev"] = scipy_rounds[0]["njev"]
    result["summary"] = summary


def _b(r: dict[str, Any]) -> str:
    b = r.get("batch_size", 1)
    return f"{b}" if r.get("batches", True) else f"{b} (NODE: no batches)"


def table_main(results: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | B | cycles | species / reactions | RoadRunner load | RoadRunner simulate "
        "| phase by phase (load + run) | COPASI import | COPASI time course | scipy LSODA "
        "| numpy reference |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t = r["summary"]["times"]
        errors = r.get("errors", {})

        def cell(name: str, part: str, t: dict[str, Any] = t, errors: dict = errors) -> str:
            if name in errors:
                return "**failed** (below)"
            return fmt_time(t[name][part]) if name in t else "—"

        lines.append(
            f"| {r['title']} | {_b(r)} | {r['cycles']:,} | {r['species']} / {r['reactions']} "
            f"| {cell('roadrunner', 'load')} | {cell('roadrunner', 'run')} "
            f"| {cell('phases', 'run')} | {cell('copasi', 'load')} | {cell('copasi', 'run')} "
            f"| {cell('scipy', 'run')} | {cell('numpy', 'run')} |"
        )
    failures = [
        f"* `{r['slug']}` (B = {r.get('batch_size', 1)}): {name} failed: {message}"
        for r in results
        for name, message in r.get("errors", {}).items()
    ]
    return "\n".join(lines + (["", *failures] if failures else []))


def table_ratios(results: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | B | tolerances (all contenders) | COPASI / RoadRunner | scipy / RoadRunner "
        "| COPASI / RoadRunner, with load | events / phase by phase, with load "
        "| max deviation from the reference: RoadRunner, phases, COPASI, scipy (allowed) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r["summary"]
        ratio = s["ratios"]

        def cell(key: str, ratio: dict[str, Any] = ratio) -> str:
            return fmt_ratio(ratio[key]) if key in ratio else "—"

        devs = ", ".join(f"{s['deviation'][n]:.1e}" for n in s["deviation"])
        verdict = "" if s["ok"] else " **FAILED**"
        tol = r.get("tolerances", {}).get("text", describe(Tolerances()))
        lines.append(
            f"| {r['slug']} | {_b(r)} | {tol} | {cell('copasi/roadrunner')} "
            f"| {cell('scipy/roadrunner')} | {cell('copasi/roadrunner incl. load')} "
            f"| {cell('roadrunner/phases incl. load')} | {devs} ({r['tolerance']:g}){verdict} |"
        )
    return "\n".join(lines)


def table_gap(results: list[dict[str, Any]]) -> str:
    """The gap to the numpy floor per sample (run / numpy, the same samples and epochs)."""
    lines = [
        "| workload | B | samples × epochs | RoadRunner µs / sample | numpy µs / sample "
        "| RoadRunner / numpy | phases (with its load) / numpy | COPASI / numpy | scipy / numpy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r["summary"]
        ratio, times = s["ratios"], s["times"]
        n = r.get("data_samples", r["samples"]) * r["epochs"]

        def cell(key: str, ratio: dict[str, Any] = ratio) -> str:
            return fmt_ratio(ratio[key]) if key in ratio else "—"

        def per(name: str, times: dict[str, Any] = times, n: int = n) -> str:
            return f"{times[name]['run']['median'] / n * 1e6:,.0f}" if name in times else "—"

        lines.append(
            f"| {r['slug']} | {_b(r)} | {r.get('data_samples', r['samples']):,} × "
            f"{r['epochs']} | {per('roadrunner')} | {per('numpy')} "
            f"| {cell('roadrunner/numpy')} | {cell('phases/numpy')} | {cell('copasi/numpy')} "
            f"| {cell('scipy/numpy')} |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


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
    parser.add_argument(
        "--batch-size",
        type=int,
        default=1,
        metavar="B",
        help="mini-batch size of the linear and product-unit workloads (default 1)",
    )
    parser.add_argument(
        "--tolerances",
        choices=TOLERANCE_MODES,
        default="train",
        help="'train': each workload's training defaults (default); 'fixed': rtol 1e-10, "
        "atol 1e-12",
    )
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error(
            f"The --batch-size parameter must be a positive integer. Got {args.batch_size}."
        )
    if args.render is not None:
        render(json.loads(args.render.read_text()))
        return 0
    rounds = args.rounds or 5
    started = time.perf_counter()
    report: dict[str, Any] = {
        "machine": machine(),
        "quick": args.quick,
        "rounds": rounds,
        "batch_size": args.batch_size,
        "tolerances": args.tolerances,
    }
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
        report["workloads"] = [
            bench_workload(w, rounds, skip, args.batch_size, args.tolerances) for w in chosen
        ]
        print_tables(report)
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
        print_tables(report)
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


def print_tables(report: dict[str, Any]) -> None:
    """The main tables: times, ratios and agreement, the gap to the numpy floor."""
    options = (
        f"B = {report.get('batch_size', 1)}, tolerances '{report.get('tolerances', 'fixed')}' "
        f"(per workload below)"
    )
    results = report["workloads"]
    print(f"## Training runs, {options}: median (min – max) of {report['rounds']} rounds\n")
    print(table_main(results) + "\n")
    print("## Ratios per round: median (min – max); agreement over all rounds\n")
    print(table_ratios(results) + "\n")
    print("## Gap to the numpy floor per sample (the same mini-batch SGD): median (min – max)\n")
    print(table_gap(results) + "\n")


if __name__ == "__main__":
    sys.exit(main())
