"""New tasks of the kinds issue 15 names, with the product units' defaults (no per-task flags).

    python scripts/products_generalisation.py [--seeds 5] [--chemistry]

Each task is drawn fresh per seed. By default the learned weights come from the circuit's
closed-form reference (``sbmlcrn.circuits.registry.reference_run``), which every training run
checks the chemistry against (agreement ≤ 4e-8 relative); ``--chemistry`` trains in RoadRunner
instead (about 30 s per classification run). Classification is scored on fresh test points
(accuracy, balanced accuracy, majority baseline); regression by test MSE against the linear
circuit's on the same data.
"""

from __future__ import annotations

import argparse

import numpy as np

import sbmlcrn
from sbmlcrn.circuits.registry import compile_circuit, reference_run
from sbmlcrn.core.data import Dataset
from sbmlcrn.studies.scores import classification_scores
from sbmlcrn.training.model import TrainedModel, predict


def _split(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], n_train: int):
    train = Dataset(names, x[:n_train], y[:n_train], "y", name="train")
    test = Dataset(names, x[n_train:], y[n_train:], "y", name="test")
    return train, test


def tasks(seed: int) -> dict[str, tuple[str, Dataset, Dataset]]:
    rng = np.random.default_rng(seed)
    out = {}
    x = rng.uniform(0, 1, size=(600, 2))
    y = ((x[:, 0] > 0.3) ^ (x[:, 1] > 0.6)).astype(float)  # XOR with shifted thresholds
    out["xor, thresholds 0.3 / 0.6"] = ("nonlinear-classification", *_split(x, y, ("a", "b"), 101))
    r = np.hypot(x[:, 0] - 0.3, x[:, 1] - 0.7)
    y = (r < 0.25).astype(float)  # a disc off-centre
    out["disc at (0.3, 0.7)"] = ("nonlinear-classification", *_split(x, y, ("a", "b"), 101))
    y = ((x[:, 0] > 0.4) & (x[:, 1] > 0.3)).astype(float)
    out["AND, thresholds 0.4 / 0.3"] = ("nonlinear-classification", *_split(x, y, ("a", "b"), 101))
    x3 = rng.uniform(0, 1, size=(600, 3))
    y = ((x3[:, 0] > 0.5) ^ (x3[:, 2] > 0.5)).astype(float)  # XOR of 2 of 3 inputs
    out["XOR of x1, x3 (3 inputs)"] = (
        "nonlinear-classification", *_split(x3, y, ("a", "b", "c"), 150),
    )  # fmt: skip
    d = rng.uniform(0, 3, size=(260, 1))
    y = d[:, 0] ** 3 / (1.0 + d[:, 0] ** 3) + rng.normal(0, 0.02, 260)  # Hill n = 3, K = 1
    out["Hill n = 3, K = 1"] = ("nonlinear-regression", *_split(d, y, ("dose",), 60))
    y = x3[:, 0] * x3[:, 1] + x3[:, 2] / (0.3 + x3[:, 2]) + rng.normal(0, 0.02, 600)
    out["x1·x2 + x3/(0.3 + x3) (3 inputs)"] = (
        "nonlinear-regression", *_split(x3, y, ("a", "b", "c"), 100),
    )  # fmt: skip
    return out


def learned(circuit: str, train: Dataset, test: Dataset, chemistry: bool) -> np.ndarray:
    if chemistry:
        return sbmlcrn.train(circuit, train).predict(test.x)
    compiled = compile_circuit(circuit, train)
    theta = reference_run(compiled).theta
    model = TrainedModel(
        circuit, compiled.features, compiled.config, compiled.feature_map,
        dict(zip(compiled.parameter_species, map(float, theta), strict=True)),
        tuple(getattr(compiled, "classes", ())),
    )  # fmt: skip
    return predict(model, test.x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--chemistry", action="store_true")
    args = ap.parse_args()
    rows: dict[str, list[tuple[float, ...]]] = {}
    for seed in range(args.seeds):
        for name, (circuit, train, test) in tasks(seed).items():
            pred = learned(circuit, train, test, args.chemistry)
            if circuit == "nonlinear-regression":
                lin = sbmlcrn.train("linear-regression", train, test=test).test["mse"]
                rows.setdefault(name, []).append((float(np.mean((pred - test.y) ** 2)), lin))
            else:
                s = classification_scores(pred, test.y)
                rows.setdefault(name, []).append((s.value, s.balanced, s.baseline))
    print("| task | product units | linear / baseline |\n|---|---|---|")
    for name, vals in rows.items():
        v = np.array(vals)
        if v.shape[1] == 2:
            print(f"| {name} | test MSE {v[:, 0].mean():.4f} | linear {v[:, 1].mean():.4f} "
                  f"({v[:, 0].mean() / v[:, 1].mean():.2f}×) |")  # fmt: skip
        else:
            print(f"| {name} | {100 * v[:, 0].mean():.1f} % (balanced {100 * v[:, 1].mean():.1f}"
                  f" %) | majority {100 * v[:, 2].mean():.1f} % |")  # fmt: skip


if __name__ == "__main__":
    main()
