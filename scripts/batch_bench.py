#!/usr/bin/env python3
"""Mini-batches in the chemistry (issue 16): simulation time and test metric against B.

    python scripts/batch_bench.py [--rounds 3] [--batches 1,4,16,64] [--json FILE]

Workload: linear regression, D = 8 (7 inputs + offset), 200 samples × 10 epochs, the data of
``scripts/bench.py`` (``synthetic_linear(200, 7)``; test on 200 fresh rows of the same law),
and the product units on XOR (101 × 100, the defaults). For each B the one SBML model is
compiled once; every round loads it in RoadRunner (LLJIT, uncached) and simulates it to the
end time with the CVODE settings ``train`` uses for it (``default_tolerances``; Adams, BDF if
it fails, unless they say BDF), or with ``--tolerances fixed`` rtol 1e-10 / atol 1e-12 for
every B; then it runs the numpy reference of the same mini-batch SGD (the floor). Rounds
interleave the B values. ``--annihilate always`` keeps the authors' always-on annihilation at
every B (the default gates it with the forward phase above B = 1), to separate the two effects.
Reported: median load and run time, the run's speed-up over B = 1, the gap to the numpy floor
per sample (RoadRunner run / numpy), the relative deviation from the reference and the test
metric of the learned parameters.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import deviation, rr_load, run_numpy, synthetic_linear

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.products import ProductConfig
from sbmlcrn.circuits.registry import compile_circuit
from sbmlcrn.core.data import Dataset, make_task
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import Tolerances
from sbmlcrn.training.model import TrainedModel, predict
from sbmlcrn.training.pipeline import default_tolerances


def _workloads() -> dict[str, tuple[str, Dataset, Dataset, object]]:
    data = synthetic_linear(400, 7)
    train = Dataset(data.features, data.x[:200], data.y[:200], "y", name="d8-train")
    test = Dataset(data.features, data.x[200:], data.y[200:], "y", name="d8-test")
    xor = make_task("xor", 0)
    return {
        "linreg-d8": ("linear-regression", train, test, LinearConfig(epochs=10)),
        "xor-products": ("nonlinear-classification", xor.train, xor.test, ProductConfig()),
    }


def _tolerances(compiled, mode: str) -> Tolerances:
    if mode == "fixed":
        return Tolerances()
    return default_tolerances(compiled) or Tolerances()


def _run(compiled, sbml: str, tol: Tolerances) -> dict:
    """Load (timed) and simulate 0 → end time (timed), Adams first unless ``tol`` says BDF."""
    import time

    t0 = time.perf_counter()
    rr = rr_load(sbml)
    load = time.perf_counter() - t0
    for stiff in (False, True) if tol.stiff is None else (tol.stiff,):
        integrator = rr.getIntegrator()
        integrator.setValue("relative_tolerance", tol.relative)
        integrator.setValue("absolute_tolerance", tol.absolute)
        integrator.setValue("maximum_num_steps", tol.max_steps)
        integrator.setValue("stiff", stiff)
        t0 = time.perf_counter()
        try:
            rr.simulate(0.0, compiled.clock.end_time, 2)
        except RuntimeError:
            rr = rr_load(sbml)
            continue
        run = time.perf_counter() - t0
        theta = [rr.getValue(f"[{p}]") - rr.getValue(f"[{m}]")
                 for p, m in compiled.parameter_species.values()]  # fmt: skip
        return {"load": load, "run": run, "theta": np.asarray(theta)}
    raise RuntimeError("CVODE failed with Adams and BDF")


def _metric(circuit: str, compiled, theta: np.ndarray, test: Dataset) -> float:
    model = TrainedModel(
        circuit, compiled.features, compiled.config, compiled.feature_map,
        dict(zip(compiled.parameter_species, map(float, theta), strict=True)),
        tuple(getattr(compiled, "classes", ())),
    )  # fmt: skip
    pred = predict(model, test.x)
    if circuit.endswith("regression"):
        return float(np.mean((pred - test.y) ** 2))
    return float(np.mean(pred == test.y))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batches", default="1,4,16,64")
    ap.add_argument("--only", default=None, help="one workload: linreg-d8 or xor-products")
    ap.add_argument("--tolerances", choices=("train", "fixed"), default="train")
    ap.add_argument("--annihilate", choices=("default", "always"), default="default")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    rows = []
    for name, (circuit, train, test, base) in _workloads().items():
        if args.only and name != args.only:
            continue
        extra = (
            {"annihilate": "always"} if args.annihilate == "always" and name == "linreg-d8" else {}
        )
        compiled = {
            b: compile_circuit(
                circuit, train, type(base)(**{**vars(base), "batch_size": b, **extra})
            )
            for b in batches
        }
        tols = {b: _tolerances(c, args.tolerances) for b, c in compiled.items()}
        sbml = {b: to_sbml(c.network) for b, c in compiled.items()}
        times: dict[int, dict[str, list[float]]] = {
            b: {"load": [], "run": [], "np": []} for b in batches
        }
        last: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for _ in range(args.rounds):
            for b in batches:
                rr = _run(compiled[b], sbml[b], tols[b])
                ref = run_numpy(compiled[b])
                times[b]["load"].append(rr["load"])
                times[b]["run"].append(rr["run"])
                times[b]["np"].append(ref["run"])
                last[b] = (rr["theta"], ref["theta"])
        base_run = statistics.median(times[batches[0]]["run"])
        for b in batches:
            run = statistics.median(times[b]["run"])
            floor = statistics.median(times[b]["np"])
            theta, ref = last[b]
            rows.append({
                "workload": name, "B": b, "rtol": tols[b].relative,
                "annihilate": getattr(compiled[b].config, "annihilate", None) or "-",
                "species": compiled[b].network.stats()["species"],
                "reactions": compiled[b].network.stats()["reactions"],
                "load_s": statistics.median(times[b]["load"]), "run_s": run,
                "speedup": base_run / run, "numpy_s": floor, "gap_to_numpy": run / floor,
                "deviation": deviation(theta, ref),
                "metric": _metric(circuit, compiled[b], theta, test),
            })  # fmt: skip
    print("| workload | B | annihilate | rtol | species | reactions | load s | run s | run "
          "speed-up vs B=1 | numpy s | gap to numpy | rel. dev. | test metric |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        cells = [
            r["workload"], r["B"], r["annihilate"], f"{r['rtol']:g}", r["species"],
            r["reactions"], f"{r['load_s']:.2f}",
            f"{r['run_s']:.3f}", f"{r['speedup']:.1f}×", f"{r['numpy_s']:.4f}",
            f"{r['gap_to_numpy']:.0f}×", f"{r['deviation']:.1e}", f"{r['metric']:.4g}",
        ]  # fmt: skip
        print("| " + " | ".join(map(str, cells)) + " |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
