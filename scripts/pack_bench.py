#!/usr/bin/env python3
"""Throughput of packed sweeps: ``sbmlcrn sweep --pack 1`` against the automatic packing.

Usage::

    python scripts/pack_bench.py                  # 16 seeds, 2 workers, 3 rounds
    python scripts/pack_bench.py --seeds 32 --rounds 5 --json out.json

The workload is the issue's: a sweep of 16 seeds of ``linear-regression`` on the built-in data
(the authors' 41 training and 101 test samples, written to CSV files) with the command line's
defaults, through the command line itself (``sbmlcrn sweep … --workers 2``), so the worker
processes' start-up, every run's compile, simulation, check and test prediction, and the
output files are all inside the timing. Each round runs ``--pack 1`` (one model per run, the
unpacked sweep) and the automatic packing one after the other, alternating which goes first,
so a slow phase of a shared machine hits both alike. Throughput is runs per second of wall
time; the ratio is computed per round and summarised as the median (and min–max).

Also printed: where the time of one packed run goes (its ``result.json``-style timings,
averaged over the packed runs of a separate in-process ``train_packed`` call).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _write(path: Path, dataset: Any) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*dataset.features, "y"])
        for row, y in zip(dataset.x, dataset.y, strict=True):
            writer.writerow([*map(repr, map(float, row)), repr(float(y))])
    return path


def _sweep(train: Path, test: Path, out: Path, seeds: int, workers: int, pack: str | None) -> float:
    from sbmlcrn.cli import main

    argv = ["sweep", "linear-regression", "--data", str(train), "--test", str(test)]
    argv += ["--grid", f"seed=0..{seeds - 1}", "--out", str(out), "--workers", str(workers)]
    argv += ["--quiet"] + (["--pack", pack] if pack is not None else [])
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    seconds = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"sweep {' '.join(argv)} exited with {code}")
    return seconds


def _breakdown(seeds: int) -> dict[str, float]:
    """Mean timings of the runs of one in-process packed sweep of ``seeds`` seeds."""
    from sbmlcrn.circuits.linear import LinearConfig
    from sbmlcrn.core.data import authors_linear_regression
    from sbmlcrn.training.packing import train_packed

    data, test = authors_linear_regression()
    t0 = time.perf_counter()
    runs = train_packed(
        "linear-regression", data, [LinearConfig(seed=s) for s in range(seeds)], test=test
    )
    wall = time.perf_counter() - t0
    keys = ("build_s", "reference_s", "simulate_s", "test_s")
    out = {k: statistics.mean(r.timings.get(k, 0.0) for r in runs) for k in keys}  # type: ignore[union-attr]
    packed = runs[0].sections.get("packed", {})  # type: ignore[union-attr]
    out["packing_s_per_run"] = packed.get("packing_s", 0.0) / max(1, packed.get("runs", 1))
    out["wall_per_run"] = wall / seeds
    out["pack"] = packed.get("runs", 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16, help="runs of the sweep (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (default 3)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    from sbmlcrn.core.data import authors_linear_regression

    data, test = authors_linear_regression()
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="sbmlcrn-pack-bench-") as tmp:
        root = Path(tmp)
        train_csv, test_csv = _write(root / "train.csv", data), _write(root / "test.csv", test)
        for k in range(args.rounds):
            times: dict[str, float] = {}
            order = [("unpacked", "1"), ("packed", None)]
            for name, pack in order if k % 2 == 0 else order[::-1]:
                out = root / f"{name}-{k}"
                times[name] = _sweep(train_csv, test_csv, out, args.seeds, args.workers, pack)
                doc = json.loads((out / "sweep.json").read_text())
                times[f"{name}_cpu_per_run"] = statistics.mean(
                    r["cpu_seconds"] for r in doc["runs"]
                )
                busy = sum(r["seconds"] for r in doc["runs"]) / doc["workers"]
                times[f"{name}_outside"] = times[name] - busy  # start-up, plot, output
                if name == "packed":
                    times["pack"] = doc["pack"]
            times["ratio"] = times["unpacked"] / times["packed"]
            rows.append(times)
            print(
                f"round {k + 1}/{args.rounds}: --pack 1 {times['unpacked']:.2f} s, "
                f"auto (pack {times['pack']}) {times['packed']:.2f} s, "
                f"ratio {times['ratio']:.2f}",
                file=sys.stderr,
            )
    keys = ("unpacked", "packed", "ratio", "unpacked_cpu_per_run", "packed_cpu_per_run")
    keys += ("unpacked_outside", "packed_outside")
    med = {k: statistics.median(r[k] for r in rows) for k in keys}
    lo, hi = min(r["ratio"] for r in rows), max(r["ratio"] for r in rows)
    n = args.seeds
    print(
        f"\nSweep of {n} seeds of linear-regression (built-in data, CLI defaults), "
        f"{args.workers} workers, median of {args.rounds} rounds:\n"
    )
    print("| sweep | wall (s) | throughput (runs/s) | worker CPU per run (s) | outside runs (s) |")
    print("|---|---|---|---|---|")
    for name, label in (("unpacked", "`--pack 1`"), ("packed", f"auto (pack {rows[0]['pack']})")):
        print(
            f"| {label} | {med[name]:.2f} | {n / med[name]:.2f} | "
            f"{med[name + '_cpu_per_run']:.3f} | {med[name + '_outside']:.2f} |"
        )
    cpu_ratio = med["unpacked_cpu_per_run"] / med["packed_cpu_per_run"]
    print(
        f"| **ratio** | | **{med['ratio']:.2f}×** (min–max {lo:.2f}–{hi:.2f}) | "
        f"{cpu_ratio:.2f}× | |"
    )
    print(
        "\n(outside runs: wall time minus the workers' busy time — worker start-up, the plot, "
        "the output files)"
    )
    parts = _breakdown(int(rows[0]["pack"]))
    print(f"\nOne packed run (mean of a pack of {parts['pack']}, in process), seconds:\n")
    print("| build | reference | simulate (share) | packing (share) | test (share) | wall/run |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {parts['build_s']:.3f} | {parts['reference_s']:.3f} | {parts['simulate_s']:.3f} | "
        f"{parts['packing_s_per_run']:.3f} | {parts['test_s']:.3f} | {parts['wall_per_run']:.3f} |"
    )
    if args.json is not None:
        args.json.write_text(json.dumps({"rounds": rows, "median": med, "run": parts}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
