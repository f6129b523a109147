"""Measure the product-unit circuits' defaults against issue 15's targets (5 seeds, mean).

    python scripts/products_targets.py [--seeds 5] [--tasks xor,and,...] [--out FILE.json]

Every run is a whole ``sbmlcrn.train`` with default options (the chemistry in RoadRunner,
checked against the reference): grid accuracy for the 2-D binary tasks (40 × 40, as the
authors measured XOR), balanced accuracy and the majority baseline beside it, validation
accuracy for Iris and three concentric classes, validation ½MSE for the regressions, and for
the Hill curve the test MSE against the linear circuit's on the same data.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import sbmlcrn
from sbmlcrn.core.data import make_task
from sbmlcrn.studies.scores import classification_scores, grid_points

CIRCUIT = {
    "xor": "nonlinear-classification",
    "and": "nonlinear-classification",
    "or": "nonlinear-classification",
    "rings": "nonlinear-classification",
    "rings-offset": "nonlinear-classification",
    "iris": "nonlinear-multiclass",
    "rings3": "nonlinear-multiclass",
    "poly": "nonlinear-regression",
    "sin": "nonlinear-regression",
    "hill": "nonlinear-regression",
}


def measure(name: str, seed: int) -> dict:
    task = make_task(name, seed)
    t0 = time.perf_counter()
    run = sbmlcrn.train(CIRCUIT[name], task.train, test=task.test)
    row = {"task": name, "seed": seed, "seconds": time.perf_counter() - t0}
    theta = np.array(list(run.parameters.values()))
    ref = np.array(list(run.reference_parameters.values()))
    row["relative_deviation"] = float(np.max(np.abs(theta - ref)) / max(1.0, np.max(np.abs(ref))))
    if CIRCUIT[name] == "nonlinear-regression":
        row["val_half_mse"] = 0.5 * run.test["mse"]
        if name == "hill":
            lin = sbmlcrn.train("linear-regression", task.train, test=task.test)
            row["test_mse"] = run.test["mse"]
            row["linear_test_mse"] = lin.test["mse"]
        return row
    if task.label is not None and CIRCUIT[name] == "nonlinear-classification":
        pts, truth = grid_points(task, 40)
    else:
        pts, truth = task.test.x, task.test.y
    scores = classification_scores(run.predict(pts), truth)
    row.update(
        accuracy=scores.value, balanced=scores.balanced, baseline=scores.baseline,
        val_accuracy=run.test["accuracy"],
    )  # fmt: skip
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--tasks", default=",".join(CIRCUIT))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    rows = []
    for name in args.tasks.split(","):
        for seed in range(args.seeds):
            rows.append(measure(name, seed))
            print(json.dumps(rows[-1]), flush=True)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
