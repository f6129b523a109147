"""Shared test helpers: small data sets and an independent ODE of a network's rate equations."""

from __future__ import annotations

from collections import Counter

import numpy as np

from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network


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
