"""Network size against the number of inputs D (the paper's "linear, not combinatorial" claim).

Usage: ``python scripts/scaling.py [--max-d 64]`` prints a markdown table (docs/design.md
holds a copy). Sizes do not depend on the number of samples (data are looked up by index).
"""

from __future__ import annotations

import argparse

from sbmlcrn.training.stats import circuit_stats, format_stats

CIRCUITS = (
    ("linear-regression", {}),
    ("nonlinear-regression", {"gradient": "first-order"}),
    ("nonlinear-regression", {"gradient": "exact"}),
    ("nonlinear-classification", {"gradient": "first-order"}),
    ("nonlinear-classification", {"gradient": "exact"}),
    ("nonlinear-multiclass", {"gradient": "exact", "classes": 3}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-d", type=int, default=64)
    parser.add_argument(
        "--max-full-d",
        type=int,
        default=32,
        help="largest D for the full-matrix classifier (D² parameters)",
    )
    args = parser.parse_args()
    dims = [d for d in (2, 4, 8, 16, 32, 64, 128) if d <= args.max_d]
    rows = []
    for circuit, kw in CIRCUITS:
        for d in dims:
            if circuit == "nonlinear-classification" and d > args.max_full_d:
                continue
            row = circuit_stats(circuit, d, **kw)
            row["reactions_per_parameter"] = round(
                row["reactions"] / row["trainable_parameters"], 2
            )
            rows.append(row)
    print(format_stats(rows))


if __name__ == "__main__":
    main()
