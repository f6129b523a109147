"""Shared test helpers: small data sets and an independent ODE of a network's rate equations."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.nonlinear import NonlinearConfig
from sbmlcrn.circuits.products import ProductConfig
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network

if TYPE_CHECKING:
    import pytest


def linear_data(
    n: int, d: int, *, seed: int = 0, noise: float = 0.0, scale: float = 1.0
) -> tuple[Dataset, np.ndarray, float]:
    """Signed inputs, signed weights and an offset: y = x·w + b (+ noise)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, scale, size=(n, d)) + rng.uniform(-1, 1, size=d)
    w = rng.uniform(-2.0, 2.0, size=d)
    b = float(rng.uniform(-1.0, 1.0))
    y = x @ w + b + noise * rng.normal(size=n)
    return Dataset(tuple(f"x{i + 1}" for i in range(d)), x, y, "y"), w, b


def regression_data(n: int, *, seed: int = 0) -> Dataset:
    """Two inputs in [0.5, 2] and a smooth nonlinear target y = x1 x2 + x2² (no noise)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 2.0, size=(n, 2))
    y = x[:, 0] * x[:, 1] + x[:, 1] ** 2
    return Dataset(("x1", "x2"), x, y, "y", name=f"poly-{n}")


def xor_data(n: int, *, seed: int = 0) -> Dataset:
    """``n`` points near the four corners of the unit square labelled by XOR (balanced)."""
    rng = np.random.default_rng(seed)
    corners = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    x = corners[np.arange(n) % 4] + rng.uniform(-0.2, 0.2, size=(n, 2))
    y = (np.arange(n) % 4 >= 2).astype(float)
    return Dataset(("x1", "x2"), x, y, "y", name=f"xor-{n}")


def three_rings(n: int, *, seed: int = 4) -> Dataset:
    """``n`` points of the unit square in three classes by their distance to its centre
    (below 0.2, below 0.35, beyond), the target named ``ring``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, 2))
    r = np.hypot(x[:, 0] - 0.5, x[:, 1] - 0.5)
    return Dataset(("a", "b"), x, np.digitize(r, [0.2, 0.35]).astype(float), "ring", name="rings3")


def separable_data(n: int, *, seed: int = 0) -> Dataset:
    """Two Gaussian blobs (labels 0 and 1, alternating) on either side of x1 + x2 = 0."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 2).astype(float)
    x = rng.normal(0.0, 0.5, size=(n, 2)) + np.where(y[:, None] > 0, 1.0, -1.0)
    return Dataset(("x1", "x2"), x, y, "y", name=f"blobs-{n}")


#: Fisher's iris as shipped with the package (4 features, species 0/1/2 in the last column).
IRIS_CSV = Path(__file__).resolve().parents[1] / "sbmlcrn" / "datasets" / "iris.csv"


def iris_subset(per_class: int) -> Dataset:
    """The first ``per_class`` samples of each iris species, interleaved (0, 1, 2, 0, …)."""
    with IRIS_CSV.open(encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
        table = np.loadtxt(fh, delimiter=",", ndmin=2)
    rows = [np.flatnonzero(table[:, -1] == c)[:per_class] for c in range(3)]
    order = np.stack(rows, axis=1).ravel()
    sub = table[order]
    return Dataset(tuple(header[:-1]), sub[:, :-1], sub[:, -1], header[-1], name="iris-subset")


#: Every circuit, as :func:`tiny_training` and the ``tiny_run`` fixture know them.
CIRCUITS = (
    "linear-regression",
    "linear-classification",
    "nonlinear-regression",
    "nonlinear-classification",
    "nonlinear-multiclass",
)


#: Tiny runs of the product units (the nonlinear circuits' default design), as
#: ``circuit@products``: the multiclass one in batches of 2 (issue 16).
PRODUCT_RUNS = (
    "nonlinear-regression@products",
    "nonlinear-classification@products",
    "nonlinear-multiclass@products",
)


def tiny_training(circuit: str) -> tuple[Dataset, LinearConfig | NonlinearConfig | ProductConfig]:
    """Data and config of a tiny run of ``circuit`` (a few samples × 2 epochs, < 1 s); a name
    of :data:`PRODUCT_RUNS` gives the same data with the product units."""
    base, _, design = circuit.partition("@")
    if design == "products":
        data, _ = tiny_training(base)
        return data, ProductConfig(epochs=2, batch_size=2 if base.endswith("multiclass") else 1)
    if circuit == "linear-regression":
        return linear_data(8, 2, seed=1, noise=0.1)[0], LinearConfig(epochs=2)
    if circuit == "linear-classification":
        return separable_data(8, seed=2), LinearConfig(epochs=2)
    if circuit == "nonlinear-regression":
        return regression_data(6, seed=3), NonlinearConfig(epochs=2)
    if circuit == "nonlinear-classification":
        return xor_data(8, seed=4), NonlinearConfig(epochs=2)
    if circuit == "nonlinear-multiclass":
        return iris_subset(3), NonlinearConfig(epochs=2, backward=0.25)
    raise ValueError(
        f"The circuit parameter of tiny_training must be one of {', '.join(CIRCUITS)}. "
        f"Got {circuit!r} instead."
    )


def mass_action_rhs(network: Network, gates: dict[str, float]):
    """dS/dt of ``network`` built from its reactions, independently of the writers."""
    ids = list(network.species_ids())
    pos = {s: i for i, s in enumerate(ids)}
    values = {p.id: p.value for p in network.parameters} | gates
    terms = []
    for r in network.reactions:
        k = values[r.rate] * np.prod([values[g] for g in r.gates])
        reactants = [(pos[s], n) for s, n in Counter(r.reactants).items()]
        change = [(pos[s], n) for s, n in r.stoichiometry().items()]
        terms.append((k, reactants, change))

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:
        dy = np.zeros_like(y)
        for k, reactants, change in terms:
            rate = k
            for i, n in reactants:
                rate *= y[i] ** n
            for i, n in change:
                dy[i] += n * rate
        return dy

    return ids, rhs


def run_cli(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """Run ``sbmlcrn ARGS`` in-process: (exit status, stdout, stderr); never a traceback.

    argparse errors raise SystemExit; its code is returned like a normal exit status.
    """
    from sbmlcrn.cli import main

    capsys.readouterr()  # drop anything printed before
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err
