"""How much of a whole ``sbmlcrn train`` is not the simulation? (issue 16, part 3)

Runs ``sbmlcrn train linear-regression`` on 80 samples x 50 epochs with D = 3 (two inputs and
the offset) as a child process, ``--runs`` times in each of three modes taken in turn:

* ``cli``: the command as shipped: the plots are drawn by a second process that loads
  matplotlib while the training runs when the load average says a processor is idle, else in
  the training process;
* ``in-process`` (as before this change): the plots drawn in the training process;
* ``worker``: the plot worker started whatever the load.

On a busy machine (load average at or above the processors) the worker competes with the
simulation for a processor: ``simulate_s`` grows, so compare the whole wall times of the
modes, not only their ratios whole / simulate_s.

For every run it prints the whole wall time seen from outside, the run's own ``timings`` from
``result.json`` (``simulate_s``, ``plots_s``, ``total_s``) and the ratio whole / simulate_s;
then the median of each. Last, the wall time of ``sbmlcrn --help`` and of a bare interpreter.

    python scripts/lean_run.py              # 5 runs per mode
    python scripts/lean_run.py --runs 9 --json lean.json

The machine is shared: quote medians and the per-run ratios, not single times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

#: The command line of the training process in each mode (after the interpreter).
_PATCHED = (
    "import sys; from sbmlcrn.training import plots; plots.{} = lambda: {}; "
    "from sbmlcrn.cli import main; sys.exit(main(sys.argv[1:]))"
)
MODES = {
    "cli": ["-m", "sbmlcrn"],
    "in-process": ["-c", _PATCHED.format("_cpus", 1)],
    "worker": ["-c", _PATCHED.format("_idle_processor", True)],
}


def write_data(path: Path, samples: int, seed: int = 0) -> Path:
    """``y = x·w + b + noise`` with two Gaussian inputs (seeded), as a CSV file."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=(samples, 2))
    y = x @ np.array([1.5, -0.7]) + 0.3 + 0.1 * rng.normal(size=samples)
    rows = ["x1,x2,y", *(f"{a:.6f},{b:.6f},{t:.6f}" for (a, b), t in zip(x, y, strict=True))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def train_once(mode: str, data: Path, out: Path, epochs: int) -> dict[str, Any]:
    """One whole training process: its wall time and the run's recorded timings."""
    command = [sys.executable, *MODES[mode], "train", "linear-regression"]
    command += ["--data", str(data), "--epochs", str(epochs), "--out", str(out), "--quiet"]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{mode}: exit {done.returncode}\n{done.stderr}")
    timings = json.loads((out / "result.json").read_text(encoding="utf-8"))["timings"]
    return {"mode": mode, "wall_s": wall, **timings, "ratio": wall / timings["simulate_s"]}


def wall_of(command: list[str], runs: int) -> list[float]:
    """Wall seconds of ``command`` (output discarded), after one unmeasured run."""
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        if i:
            times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per mode (default 5)")
    parser.add_argument("--samples", type=int, default=80)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="lean-run-") as tmp:
        data = write_data(Path(tmp) / "train.csv", args.samples)
        train_once("cli", data, Path(tmp) / "warm-up", args.epochs)  # caches, not counted
        for i in range(args.runs):
            for mode in MODES:
                row = train_once(mode, data, Path(tmp) / f"{mode}-{i}", args.epochs)
                rows.append(row)
                print(
                    f"{mode:>10}  whole {row['wall_s']:6.3f} s  simulate_s "
                    f"{row['simulate_s']:6.3f}  plots_s {row.get('plots_s', float('nan')):6.3f}  "
                    f"total_s {row.get('total_s', float('nan')):6.3f}  whole/simulate "
                    f"{row['ratio']:5.2f}",
                    flush=True,
                )
    summary: dict[str, Any] = {}
    print(
        f"\nmedians over {args.runs} runs ({args.samples} samples x {args.epochs} epochs, D = 3):"
    )
    for mode in MODES:
        mine = [r for r in rows if r["mode"] == mode]
        med = {k: statistics.median(r[k] for r in mine) for k in ("wall_s", "simulate_s", "ratio")}
        med["plots_s"] = statistics.median(r.get("plots_s", float("nan")) for r in mine)
        summary[mode] = med
        print(
            f"{mode:>10}  whole {med['wall_s']:.3f} s  simulate_s {med['simulate_s']:.3f} s  "
            f"plots_s {med['plots_s']:.3f} s  whole/simulate {med['ratio']:.2f}"
        )
    help_s = wall_of([sys.executable, "-m", "sbmlcrn", "--help"], args.runs)
    bare_s = wall_of([sys.executable, "-c", "pass"], args.runs)
    summary["help_s"] = statistics.median(help_s)
    summary["python_s"] = statistics.median(bare_s)
    print(
        f"\nsbmlcrn --help: {summary['help_s']:.3f} s (median of {args.runs}; "
        f"a bare interpreter: {summary['python_s']:.3f} s)"
    )
    if args.json is not None:
        args.json.write_text(json.dumps({"runs": rows, "summary": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
