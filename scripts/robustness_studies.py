"""Run the three robustness studies of docs/design.md ("Chemistry as it really is") into one
directory, with the settings the documented numbers came from.

    python scripts/robustness_studies.py OUT [--quick] [--workers 2]

OUT/noise      sbmlcrn robustness noise linear-regression --molecules 10,100,1000,10000
               --runs 8 --naive-runs 4           (about 25 min on 2 busy cores)
OUT/rates      sbmlcrn robustness rates linear-regression --sigma 0.05,0.1,0.2 --runs 20
OUT/rates-chemical-clock   the same with --clock chemical
OUT/clock-linreg, OUT/clock-lincls   sbmlcrn robustness clock linear-regression / -classification

``--quick`` uses 2 runs, molecule counts up to 1000 and 5 epochs (minutes, not the numbers of
the docs). OUT/index.md links the reports.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sbmlcrn.cli import main


def run(args: list[str]) -> None:
    t0 = time.perf_counter()
    print("$ sbmlcrn " + " ".join(args), flush=True)
    code = main(args)
    print(f"  ({time.perf_counter() - t0:.0f} s, exit {code})", flush=True)
    if code != 0:
        sys.exit(code)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", default="2")
    parser.add_argument("--only", nargs="+", help="noise rates rates-chemical-clock clock-...")
    a = parser.parse_args()
    w = ["--workers", a.workers, "--quiet"]
    quick = ["--epochs", "5"] if a.quick else []
    studies = {
        "noise": [
            "robustness", "noise", "linear-regression",
            "--molecules", "10,100,1000" if a.quick else "10,100,1000,10000",
            "--runs", "2" if a.quick else "8",
            "--naive-runs", "1" if a.quick else "4",
        ],
        "rates": [
            "robustness", "rates", "linear-regression", "--sigma", "0.05,0.1,0.2",
            "--runs", "2" if a.quick else "20",
        ],
        "rates-chemical-clock": [
            "robustness", "rates", "linear-regression", "--sigma", "0.05,0.1,0.2",
            "--runs", "2" if a.quick else "20", "--clock", "chemical", "--no-sensitivity",
        ],
        "clock-linreg": ["robustness", "clock", "linear-regression"],
        "clock-lincls": ["robustness", "clock", "linear-classification"],
    }  # fmt: skip
    a.out.mkdir(parents=True, exist_ok=True)
    for name, args in studies.items():
        if a.only and name not in a.only:
            continue
        run([*args, *quick, *w, "--out", str(a.out / name)])
    index = ["# sbmlcrn robustness studies", ""]
    index += [f"- [{name}]({name}/report.md)" for name in studies if (a.out / name).exists()]
    (a.out / "index.md").write_text("\n".join(index) + "\n", encoding="utf-8")
    print(f"wrote {a.out}/index.md")


if __name__ == "__main__":
    cli()
