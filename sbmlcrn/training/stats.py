"""Network size of each circuit as a function of the number of inputs (``sbmlcrn stats``).

The size of a training network does not depend on the number of samples (they are looked up
by index, not written one event each), so two synthetic samples with ``D`` features suffice to
build it. Reported: species, reactions, events, trainable parameters, the largest number of
reactant molecules in one reaction, and the SBML size; with ``minimise`` also the species and
reactions left by :func:`sbmlcrn.core.minimise.minimise`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sbmlcrn.circuits.nonlinear_model import square_for
from sbmlcrn.circuits.registry import circuit_spec
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.minimise import minimise as minimise_network
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import to_sbml

__all__ = ["circuit_stats", "format_stats"]


def circuit_stats(
    circuit: str,
    inputs: int,
    *,
    gradient: str = "exact",
    nonlinearity: str = "quadratic",
    classes: int = 3,
    design: str | None = None,
    minimise: bool = False,
) -> dict[str, Any]:
    """Size of ``circuit``'s training network for ``inputs`` features.

    Parameters
    ----------
    circuit
        One of :data:`sbmlcrn.circuits.registry.CIRCUITS`.
    inputs
        Number of input features ``D`` (the constant input comes on top).
    gradient, nonlinearity
        Options of the nonlinear circuits (ignored for linear ones).
    classes
        Number of classes of ``nonlinear-multiclass``.
    design
        ``products`` (the nonlinear circuits' default) or ``node`` (the paper's circuits).
    minimise
        Also report ``minimised_species`` and ``minimised_reactions``: the sizes after
        :func:`~sbmlcrn.core.minimise.minimise` of the network compiled on generic data (the
        synthetic samples and their negatives, so every input and target takes both signs);
        what can never fire for every data set, such as the minus rail of the constant input.
        A data set of one sign removes more (the authors' linear regression: 24 → 14).
    """
    task = circuit_spec(circuit).task
    if not isinstance(inputs, int) or isinstance(inputs, bool) or inputs < 1:
        raise InputError(f"The inputs parameter (--inputs) must be >= 1. Got {inputs!r}.")
    if task == "multiclass" and (not isinstance(classes, int) or classes < 2):
        raise InputError(f"The classes parameter (--classes) must be >= 2. Got {classes!r}.")
    n = max(2, classes if task == "multiclass" else 2)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, inputs))
    y = np.arange(n, dtype=float) % (classes if task == "multiclass" else 2)
    data = Dataset(tuple(f"x{i + 1}" for i in range(inputs)), x, y, "y", name="stats")
    spec = circuit_spec(circuit)
    family = spec.family_for(design)
    options: dict[str, Any] = {}
    if family.name == "nonlinear":
        options = {"gradient": gradient, "nonlinearity": nonlinearity}
    square = {"square": square_for(gradient)} if options else {}
    compiled = spec.compile(data, family.config_class(epochs=1, **options, **square))
    stats = compiled.network.stats()
    row: dict[str, Any] = {
        "circuit": circuit,
        "design": family.design,
        **options,
        "inputs": inputs,
        "trainable_parameters": len(compiled.parameter_names),
        "species": stats["species"],
        "reactions": stats["reactions"],
        "events": stats["events"],
        "max_molecularity": stats["max_molecularity"],
        "sbml_bytes": len(to_sbml(compiled.network).encode()),
        "reactions_per_parameter": round(stats["reactions"] / len(compiled.parameter_names), 2),
    }
    if minimise:
        both = Dataset(data.features, np.vstack([x, -x]), np.concatenate([y, y]), "y", name="stats")
        generic = spec.compile(both, family.config_class(epochs=1, **options, **square))
        after = minimise_network(generic.network)[1].after
        row["minimised_species"] = after["species"]
        row["minimised_reactions"] = after["reactions"]
    return row


def format_stats(rows: list[dict[str, Any]]) -> str:
    """A markdown table of :func:`circuit_stats` rows."""
    keys = [
        "circuit",
        "design",
        "gradient",
        "nonlinearity",
        "inputs",
        "trainable_parameters",
        "species",
        "reactions",
        "minimised_species",
        "minimised_reactions",
        "events",
        "max_molecularity",
        "sbml_bytes",
        "reactions_per_parameter",
    ]
    keys = [k for k in keys if any(k in r for r in rows)]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)
