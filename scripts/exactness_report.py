#!/usr/bin/env python3
"""Measure CRN-vs-reference deviations of the linear circuits for several input dimensions.

Prints, for D = 1, 2, 3, 8 inputs (plus the offset channel), the largest absolute difference
between the parameters learned by simulating the SBML training model in RoadRunner and the
independent numpy SGD, and the wall time of the simulation. Figures for notes and docs; the
tests assert the 1e-6 bound, never timings.
"""

from __future__ import annotations

import numpy as np

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.core.data import Dataset
from sbmlcrn.training.pipeline import train


def data(n: int, d: int, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, size=(n, d)) + rng.uniform(-1, 1, size=d)
    y = x @ rng.uniform(-2, 2, size=d) + rng.uniform(-1, 1) + 0.3 * rng.normal(size=n)
    return Dataset(tuple(f"x{i + 1}" for i in range(d)), x, y, "y")


def main() -> None:
    print("| task | D inputs | samples x epochs | species | reactions | max abs dev | sim (s) |")
    print("|---|---|---|---|---|---|---|")
    for task in ("regression", "classification"):
        for d in (1, 2, 3, 8):
            ds = data(50, d, seed=d)
            if task == "classification":
                assert ds.y is not None
                ds = Dataset(ds.features, ds.x, (ds.y > np.median(ds.y)).astype(float), "y")
            run = train(f"linear-{task}", ds, config=LinearConfig(epochs=10, seed=d))
            st = run.circuit.network.stats()
            print(
                f"| {task} | {d} | 50 x 10 | {st['species']} | {st['reactions']} | "
                f"{run.max_abs_deviation:.1e} | {run.timings['simulate_s']:.2f} |"
            )


if __name__ == "__main__":
    main()
