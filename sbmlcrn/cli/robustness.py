"""``sbmlcrn robustness noise|rates|clock``: the study's options handed to
:mod:`sbmlcrn.studies`, and its results printed."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from sbmlcrn.circuits.registry import circuit_task
from sbmlcrn.errors import InputError
from sbmlcrn.studies.clock import clock_study
from sbmlcrn.studies.common import check_study_options, study_data
from sbmlcrn.studies.noise import noise_study
from sbmlcrn.studies.rates import rates_study
from sbmlcrn.studies.reports import (
    check_study_out,
    write_clock_report,
    write_noise_report,
    write_rates_report,
)
from sbmlcrn.training.stochastic import molecule_counts

__all__ = ["cmd_robustness"]


def _floats(option: str, text: str) -> tuple[float, ...]:
    """The positive numbers of a comma-separated option (``--sigma``)."""
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InputError(
            f"{option} must be a comma-separated list of numbers. Got {text!r}."
        ) from None
    if not values or any(not (math.isfinite(v) and v > 0) for v in values):
        raise InputError(f"{option} must list positive numbers. Got {text!r}.")
    return values


def cmd_robustness(args: Any, progress: Callable[[str], None] | None) -> int:
    """``sbmlcrn robustness noise|rates|clock CIRCUIT`` (called by the command line)."""
    circuit_task(args.circuit)
    check_study_out(args.out)
    check_study_options(workers=args.workers, runs=args.runs)
    sd = study_data(
        args.circuit,
        data=args.data,
        test=args.test,
        target=args.target,
        epochs=args.epochs,
        annihilation=args.annihilation,
        features=args.features,
        drop=args.drop,
    )
    metric = sd.metric
    if args.action == "noise":
        counts = molecule_counts(args.molecules)
        noise = noise_study(
            sd,
            counts,
            args.runs,
            naive_runs=args.naive_runs,
            timing=not args.no_timing,
            workers=args.workers,
            progress=progress,
        )
        out = write_noise_report(noise, args.out)
        det = noise.deterministic["metric"]
        print(f"{args.circuit}: deterministic test {metric} {det:.6g}")
        for r in noise.rows:
            m = r["metric"]
            print(
                f"  N = {r['molecules']:>6} {r['method']:>6}: test {metric} {m['mean']:.6g} "
                f"± {m['std']:.3g} ({m['n']} runs), ratio {r['metric_ratio']:.4f}"
            )
    elif args.action == "rates":
        sigmas = _floats("--sigma", args.sigma)
        rates = rates_study(
            sd,
            sigmas,
            args.runs,
            seed=args.seed,
            sensitivity=not args.no_sensitivity,
            clock=args.clock,
            workers=args.workers,
            progress=progress,
        )
        out = write_rates_report(rates, args.out)
        print(f"{args.circuit}: unperturbed test {metric} {rates.nominal['metric']:.6g}")
        for e in rates.ensemble:
            m = e["metric"]
            print(f"  sigma {e['sigma']:g}: test {metric} {m['mean']:.6g} ± {m['std']:.3g}")
        for r in rates.group_ranking:
            print(f"  d{metric}/dln k[{r['group']}] = {r.get('d_metric_d_lnk', math.nan):+.3g}")
    else:
        clock = clock_study(sd, workers=args.workers, progress=progress)
        out = write_clock_report(clock, args.out, sd)
        print(f"{args.circuit}: event-gated test {metric} {clock.events['metric']:.6g}")
        for r in clock.rows:
            c = r["config"]
            tag = f"ring {c['species']}, floor {c['floor']:g}, {'rearm' if c['rearm'] else 'free'}"
            if "error" in r:
                print(f"  {tag}: failed")
            else:
                print(
                    f"  {tag}: max rel. deviation {r['max_rel_deviation']:.2e}, "
                    f"test {metric} {r['metric']:.6g}"
                )
    print(f"wrote {out}/report.md")
    return 0
