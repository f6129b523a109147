"""``sbmlcrn reproduce``, ``sbmlcrn sweep`` and ``sbmlcrn robustness``: many runs at once.

The handler of ``robustness`` lives in :mod:`sbmlcrn.cli.robustness`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sbmlcrn.cli._common import (
    CIRCUIT_HELP,
    Command,
    Subparsers,
    check_labels,
    column_options,
    number,
    progress,
    progress_option,
)
from sbmlcrn.errors import InputError

__all__ = [
    "COMMANDS",
    "add_reproduce_parser",
    "add_robustness_parser",
    "add_sweep_parser",
    "run_reproduce",
    "run_robustness",
    "run_sweep",
]


def add_reproduce_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn reproduce`` to ``sub`` and return it."""
    r = sub.add_parser("reproduce", help="run the authors' experiments on built-in data")
    r.add_argument(
        "--quick", action="store_true", help="every row, 2 seeds, <= 5 epochs, coarse grids"
    )
    r.add_argument("--out", type=Path, help="directory for the report, models and plots")
    r.add_argument(
        "--seeds", type=number("--seeds", integer=True), help="seeds per row (default 5)"
    )
    r.add_argument("--only", nargs="+", metavar="SLUG", help="run only these experiments")
    r.add_argument(
        "--no-studies",
        action="store_true",
        help="skip the chemistry studies (stochastic noise, rate noise, chemical clock)",
    )
    r.add_argument("--workers", type=number("--workers", integer=True), help="worker processes")
    return r


def add_sweep_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn sweep`` to ``sub`` and return it."""
    sw = sub.add_parser("sweep", help="train every combination of a hyper-parameter grid")
    sw.add_argument("circuit", help=CIRCUIT_HELP)
    sw.add_argument("--data", required=True, type=Path, help="training CSV (header row)")
    sw.add_argument("--test", type=Path, help="test CSV: the metric is the test MSE or accuracy")
    sw.add_argument("--target", default="y", help="target column (default: y)")
    column_options(sw)
    sw.add_argument(
        "--grid",
        required=True,
        nargs="+",
        metavar="KEY=VALUES",
        help="config fields and their values, e.g. lr=0.01,0.05 horizon=0.5,1 seed=0..9",
    )
    sw.add_argument("--out", required=True, type=Path, help="directory for the results")
    sw.add_argument(
        "--workers",
        type=number("--workers", integer=True),
        help="local worker processes (default: the number of CPUs)",
    )
    sw.add_argument(
        "--pack",
        type=number("--pack", integer=True),
        metavar="K",
        help="runs simulated as one packed model (default: automatic; 1: one model per run)",
    )
    sw.add_argument("--dask", metavar="ADDRESS", help="run on a Dask scheduler (tcp://host:port)")
    sw.add_argument(
        "--dask-timeout",
        type=number("--dask-timeout"),
        default=10.0,
        help="seconds to wait for the scheduler (default: 10)",
    )
    progress_option(sw)
    return sw


def add_robustness_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn robustness`` (noise, rates, clock) to ``sub``; return it."""
    rb = sub.add_parser(
        "robustness", help="molecular noise, perturbed rate constants, chemical clock studies"
    )
    rb.add_argument("action", choices=["noise", "rates", "clock"], help="the study")
    rb.add_argument("circuit", help=CIRCUIT_HELP)
    rb.add_argument("--out", required=True, type=Path, help="directory for report and plots")
    rb.add_argument("--data", type=Path, help="training CSV (default: built-in data)")
    rb.add_argument("--test", type=Path, help="test CSV (needed with --data)")
    rb.add_argument("--target", default="y", help="target column (default: y)")
    column_options(rb)
    rb.add_argument("--epochs", type=number("--epochs", integer=True), help="passes over the data")
    rb.add_argument(
        "--annihilation", type=number("--annihilation"), help="annihilation rate (default 1)"
    )
    rb.add_argument(
        "--molecules", default="10,100,1000,10000", help="noise: molecule counts per unit"
    )
    rb.add_argument(
        "--runs", type=number("--runs", integer=True), default=8, help="runs per setting"
    )
    rb.add_argument(
        "--naive-runs",
        type=number("--naive-runs", integer=True),
        default=0,
        help="noise: also run the one SBML model with events under Gillespie, this many seeds",
    )
    rb.add_argument("--no-timing", action="store_true", help="noise: skip the event timing")
    rb.add_argument("--sigma", default="0.05,0.1,0.2", help="rates: sigmas of ln(factor)")
    rb.add_argument(
        "--no-sensitivity", action="store_true", help="rates: skip the per-reaction ranking"
    )
    rb.add_argument(
        "--clock",
        choices=["events", "chemical"],
        default="events",
        help="rates: perturb the event-gated or the chemical-clock circuit",
    )
    rb.add_argument("--seed", type=number("--seed", integer=True), default=0)
    rb.add_argument("--workers", type=number("--workers", integer=True), help="processes")
    progress_option(rb)
    return rb


def run_reproduce(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn reproduce``: the experiments' table, and the report with ``--out``."""
    from sbmlcrn.studies.reproduce import format_table
    from sbmlcrn.studies.reproduce import run_reproduce as reproduce

    rows = reproduce(
        quick=args.quick,
        out=args.out,
        progress=progress(False),
        seeds=args.seeds,
        only=tuple(args.only) if args.only else None,
        workers=args.workers,
        studies=False if args.no_studies else None,
    )
    print(format_table(rows))
    if args.out is not None:
        print(f"wrote {args.out}/report.md")
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn sweep``: train the grid, print the best run and where the results are."""
    from sbmlcrn.circuits.registry import circuit_task
    from sbmlcrn.core.data import read_csv, read_test
    from sbmlcrn.io.outlock import output_lock
    from sbmlcrn.studies.sweep import check_sweep_out, parse_grid
    from sbmlcrn.studies.sweep import run_sweep as sweep

    task = circuit_task(args.circuit)
    check_sweep_out(args.out)
    if args.dask is not None and args.workers is not None:
        raise InputError(
            "--workers is for local processes; with --dask the cluster's workers run the grid."
        )
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1. Got {args.workers}.")
    if args.pack is not None and args.pack < 1:
        raise InputError(
            f"The --pack option of sweep must be a positive integer. Got {args.pack} instead."
        )
    if args.dask_timeout <= 0:
        raise InputError(f"--dask-timeout must be positive. Got {args.dask_timeout:g}.")
    grid = parse_grid(args.circuit, args.grid)
    data = read_csv(
        args.data,
        target=args.target,
        min_rows=2,
        features=args.features,
        drop=args.drop,
        labels=task != "regression",
    )
    check_labels(args.circuit, task, data)
    test = read_test(args.test, data) if args.test is not None else None
    with output_lock(args.out):  # a second sweep to the same --out is refused at once
        result = sweep(
            args.circuit,
            data,
            grid,
            args.out,
            test=test,
            workers=args.workers,
            dask=args.dask,
            dask_timeout=args.dask_timeout,
            progress=progress(args.quiet, args.progress),
            pack=args.pack,
        )
    failed = len(result.rows) - len(result.ok_rows)
    print(
        f"swept {args.circuit}: {len(result.rows)} runs ({failed} failed) in "
        f"{result.elapsed_s:.1f} s on {result.backend} ({result.workers} workers"
        + (f", up to {result.pack} runs per packed model)" if result.pack > 1 else ")")
    )
    best = result.best()
    if best is not None:
        metric = result.metric.replace("_", " ")
        print(f"  best {metric} = {best[result.metric]:.6g} ({result.label(best)})")
    print(f"wrote {result.out}/ (results.csv, results.md, sweep.json, metric.png)")
    return 0


def run_robustness(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn robustness``: hand over to :func:`sbmlcrn.cli.robustness.cmd_robustness`."""
    from sbmlcrn.cli.robustness import cmd_robustness

    return cmd_robustness(args, progress(args.quiet, args.progress))


COMMANDS = {
    "reproduce": Command(add_reproduce_parser, run_reproduce),
    "sweep": Command(add_sweep_parser, run_sweep),
    "robustness": Command(add_robustness_parser, run_robustness),
}
