"""Benchmark of the DNA strand displacement export (issue 19): time, sizes, agreement, fuel, leak.

For each run (trained here on the built-in data): the whole export pipeline is timed once
(minimise, rewrite, translate, enumerate with peppercorn, verify with crnverifier), then the
agreement of ``dsd.xml`` with the formal inference network on held-out rows is measured at
several fuel excesses and leak rate constants (every pair). The enumeration does not depend on
concentrations, so the other excesses re-translate the design (new fuel concentrations) and
keep the enumeration; the leak is a reaction added to ``dsd.xml``.

Usage::

    python scripts/dsd_bench.py OUT.json [--rows N] [--runs linreg,lincls,xor]

Prints one Markdown table per run (BENCHMARKS.md, "DNA strand displacement") and writes all
figures to ``OUT.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

import sbmlcrn
from sbmlcrn.core.data import Dataset, make_task
from sbmlcrn.io.dsd import formal_reactions, translate
from sbmlcrn.io.dsd_verify import build_dsd
from sbmlcrn.training.dsd_agreement import agreement_summary, dsd_agreement, formal_scale
from sbmlcrn.training.dsd_export import dsd_networks
from sbmlcrn.training.store import load_model

ROOT = Path(__file__).resolve().parents[1]
EXCESS = (100.0, 10.0, 3.0)
LEAK = (0.0, 0.1, 1.0, 10.0)


def _runs(tmp: Path) -> dict[str, tuple[Path, Dataset]]:
    from sbmlcrn.core.data import read_csv

    out = {}
    examples = ROOT / "examples"
    sbmlcrn.train(
        "linear-regression", examples / "linreg_train.csv", out=tmp / "linreg", plots=False
    )
    out["linreg"] = (tmp / "linreg", read_csv(examples / "linreg_test.csv"))
    sbmlcrn.train(
        "linear-classification", examples / "cls_train.csv", out=tmp / "lincls", plots=False
    )
    out["lincls"] = (tmp / "lincls", read_csv(examples / "cls_test.csv", labels=True))
    xor = make_task("xor", 0)
    sbmlcrn.train("nonlinear-classification", xor.train, epochs=30, out=tmp / "xor", plots=False)
    out["xor"] = (tmp / "xor", xor.test)
    return out


def bench(name: str, run: Path, data: Dataset, rows: int) -> dict:
    model = load_model(run)
    data = replace(data, x=data.x[:rows], y=None if data.y is None else data.y[:rows])
    t0 = time.perf_counter()
    nets = dsd_networks(model)
    scale = formal_scale(model, nets.formal, data.x, nets.copies)
    build = build_dsd(nets.formal, scale=scale)
    export_s = time.perf_counter() - t0
    counts = build.report()["counts"]
    result = {
        "run": name,
        "export_seconds": export_s,
        "enumeration_seconds": build.enumeration_seconds,
        "verification_seconds": build.verification["seconds"],
        "verified": build.verification["verified"],
        "crosstalk": len(build.verification["crosstalk"]),
        "counts": counts,
        "sizes": {
            "inference": len(nets.inference.reactions),
            "minimised": len(nets.minimised.reactions),
            "formal": len(nets.formal.reactions),
        },
        "time_unit_s": build.time_unit_s,
        "fuel_scale": scale,
        "agreement": [],
    }
    initial = {s.id: s.initial for s in nets.formal.species}
    reactions = formal_reactions(nets.formal)
    for excess in EXCESS:
        design = translate(reactions, initial, excess=excess, scale=scale)
        variant = replace(build, design=design)
        for leak in LEAK:
            t1 = time.perf_counter()
            a = dsd_agreement(model, variant, data, nets.copies, leak=leak)
            row = agreement_summary(a)
            row |= {
                "excess": excess,
                "fuel_nM": design.fuel_nM,
                "seconds": time.perf_counter() - t1,
            }
            result["agreement"].append(row)
            print(f"  {name}: excess {excess:g}, leak {leak:g}: {a['metric']} = {a['value']:.4g}")
    return result


def table(r: dict) -> str:
    c = r["counts"]
    lines = [
        f"**{r['run']}**: verified {str(r['verified']).lower()} (crosstalk {r['crosstalk']}); "
        f"{r['sizes']['inference']} → {r['sizes']['minimised']} → {r['sizes']['formal']} formal "
        f"reactions; {c['implementation_reactions']} implementation reactions, "
        f"{c['implementation_species']} species, {c['domains']} domains, {c['strands']} "
        f"strands, {c['fuel_complexes']} fuels; export {r['export_seconds']:.0f} s (enumeration "
        f"{r['enumeration_seconds']:.0f} s, verification {r['verification_seconds']:.0f} s); "
        f"1 formal time unit = {r['time_unit_s']:.0f} s",
        "",
        "| fuel excess | fuels (nM) | leak (/M/s) | metric | value | fuel left (min) | on target |",
        "|---:|---:|---:|---|---:|---:|---|",
    ]
    for a in r["agreement"]:
        target = ", ".join(
            f"{k} {v:.4g}" for k, v in a.items() if k.startswith(("formal_", "dsd_"))
        )
        lines.append(
            f"| {a['excess']:g} | {a['fuel_nM']:.0f} | {a['leak_per_M_per_s']:g} | {a['metric']} "
            f"| {a['value']:.4g} | {a['fuel_left_min']:.4f} | {target} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--runs", default="linreg,lincls,xor")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = _runs(Path(tmp))
        results = []
        for name in args.runs.split(","):
            run, data = runs[name]
            results.append(bench(name, run, data, args.rows))
            print(table(results[-1]) + "\n", flush=True)
    args.out.write_text(json.dumps(results, indent=2, default=float) + "\n")
    print(f"wrote {args.out}; load average {np.round(__import__('os').getloadavg(), 2)}")


if __name__ == "__main__":
    main()
