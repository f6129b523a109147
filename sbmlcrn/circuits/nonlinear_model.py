"""The nonlinear circuits' learning model: hyper-parameters, topology and parameter layout.

:class:`NonlinearConfig` (checked on construction and resolved against the training data by
:func:`resolve_config`), the units and connections of each task (:func:`topology`), the names
of the learned parameters, the encoding of labels as targets, and the description of the model
handed to the numpy reference (:func:`reference_model`). The chemistry that implements it is
in :mod:`sbmlcrn.circuits.nonlinear_reactions`; :mod:`sbmlcrn.circuits.nonlinear` describes
the whole construction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from sbmlcrn.circuits.common import (
    channel_ids,
    check_finite,
    check_positive,
    check_schedule,
    check_seed,
    default_learning_rate,
    finite_init,
    initial_parameters,
    unique_name,
)
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.reference import NonlinearModel

__all__ = [
    "GRADIENTS",
    "INIT_DISTRIBUTIONS",
    "NONLINEARITIES",
    "SQUARES",
    "TASKS",
    "NonlinearConfig",
    "Topology",
    "class_list",
    "encode_labels",
    "parameter_names",
    "reference_model",
    "resolve_config",
    "square_for",
    "topology",
]

TASKS = ("regression", "classification", "multiclass")
GRADIENTS = ("exact", "first-order", "linapprox")
NONLINEARITIES = ("quadratic", "cubic")
SQUARES = ("signed", "per-rail")
INIT_DISTRIBUTIONS = ("normal", "half-normal")


def square_for(gradient: str) -> str:
    """The square a circuit with ``gradient`` uses unless told otherwise: ``per-rail`` for
    ``linapprox`` (the only square it accepts), the exact ``signed`` one for the others."""
    return "per-rail" if gradient == "linapprox" else "signed"


def _choice(name: str, option: str, value: object, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InputError(
            f"The {name} ({option}) must be one of {', '.join(allowed)}. Got {value!r} instead."
        )


@dataclass(frozen=True)
class NonlinearConfig:
    """Hyper-parameters of a nonlinear circuit; every value is checked on construction.

    Parameters
    ----------
    horizon
        Forward time ``T``.
    lr
        Learning rate ``η``; None chooses ``0.1 / (T² · n · mean‖x̃‖²)`` from the training data,
        ``n`` the units per output.
    epochs
        Passes over the training data.
    backward
        Backward-phase duration ``T_b``; None means ``T``. For ``exact`` and
        ``first-order`` it only rescales time (the gradient does not depend on it); for
        ``linapprox`` it is how long the backward ODE runs (the authors' 2.0 with ``T = 0.4``).
    augmentation
        Value ``a`` of the appended constant input; None for none.
    standardize
        Standardise inputs with the training data's statistics.
    standardize_target
        Standardise regression targets; None follows ``standardize``.
    gradient
        ``exact`` (chemical adjoint), ``first-order`` (the paper's approximation) or
        ``linapprox`` (the authors' quadratic-classifier backward: ``z`` reversed with the
        linear part only, the adjoint decaying by ``φ'(z)``, integrated for ``T_b``).
    nonlinearity
        ``quadratic`` (``φ = c z²``, bimolecular) or ``cubic`` (``φ = c z³``, trimolecular).
    degradation
        ``c``; None means 1/2 (quadratic) or 1/6 (cubic), the authors' values.
    square
        ``signed`` (exact ``−c z²``) or ``per-rail`` (the authors' ``−c z|z|``; quadratic only).
    init
        Initial parameters (connection order); None draws from ``init_dist``.
    init_scale
        Standard deviation of the random initial parameters.
    init_dist
        ``normal`` (``N(0, init_scale²)``) or ``half-normal`` (``|N(0, init_scale²)|``,
        the authors' draw for the quadratic classifier and the regression circuits).
    seed
        Seed of the initial parameters.
    annihilation
        Rate constant of ``v_p + v_m → ∅``.
    class_values
        Targets of labels 0 and 1 (classification; one-hot off/on values for multiclass).
        They may decrease: label 1 is predicted where ``ŷ`` lies on the side of the midpoint
        where its class value is (multiclass: ``argmax`` or, for decreasing values,
        ``argmin``). Decision: the quadratic term makes ``ŷ`` naturally high where ``|x̃|``
        is small, so a task whose inner class is label 0 (rings) learns far better with the
        high value on label 0 — measured 83.9 % vs 38.8 % on the rings task.
    design
        Always ``"node"``: names the design (the paper's Neural ODE circuits) in records and
        options; the default design of the nonlinear circuits is ``"products"``
        (:class:`~sbmlcrn.circuits.products.ProductConfig`).
    """

    horizon: float = 0.5
    lr: float | None = None
    epochs: int = 30
    backward: float | None = None
    augmentation: float | None = 1.0
    standardize: bool = True
    standardize_target: bool | None = None
    gradient: str = "exact"
    nonlinearity: str = "quadratic"
    degradation: float | None = None
    square: str = "signed"
    init: tuple[float, ...] | None = None
    init_scale: float = 0.1
    init_dist: str = "normal"
    seed: int = 0
    annihilation: float = 1.0
    class_values: tuple[float, float] = (0.0, 1.0)
    design: str = "node"

    def __post_init__(self) -> None:
        if self.design != "node":
            raise InputError(
                f"The design parameter of NonlinearConfig must be 'node'. "
                f"Got {self.design!r} instead."
            )
        check_schedule(self)
        check_positive("initialisation scale", "--init-scale", self.init_scale)
        if self.degradation is not None:
            check_positive("degradation coefficient", "--degradation", self.degradation)
        _choice("gradient", "--gradient", self.gradient, GRADIENTS)
        _choice("nonlinearity", "--nonlinearity", self.nonlinearity, NONLINEARITIES)
        _choice("square", "--square", self.square, SQUARES)
        _choice("initial distribution", "--init-dist", self.init_dist, INIT_DISTRIBUTIONS)
        if self.square == "per-rail" and self.nonlinearity != "quadratic":
            raise InputError("The per-rail square (--square per-rail) is for the quadratic term.")
        if self.gradient == "linapprox" and self.square != "per-rail":
            # Decision: linapprox is the authors' backward of their per-rail quadratic circuit;
            # its adjoint decays by |z| there, but with the signed square it would grow by
            # e^{2c∫|z|} wherever z < 0 (measured: CVODE gives up on a 2-epoch XOR run).
            raise InputError(
                "The linapprox gradient (--gradient linapprox) is the authors' backward of the "
                "per-rail quadratic circuit: use it with --square per-rail. "
                f"Got --square {self.square} instead."
            )
        check_finite("augmentation", self.augmentation)
        object.__setattr__(self, "init", finite_init(self.init))
        check_seed(self.seed)
        lo, hi = self.class_values
        if not (math.isfinite(lo) and math.isfinite(hi) and lo != hi):
            raise InputError(f"The class values must be finite and distinct. Got {(lo, hi)}.")
        object.__setattr__(self, "class_values", (float(lo), float(hi)))
        object.__setattr__(self, "epochs", int(self.epochs))

    @property
    def power(self) -> int:
        """2 (quadratic) or 3 (cubic)."""
        return 2 if self.nonlinearity == "quadratic" else 3

    @property
    def coefficient(self) -> float:
        """``c`` of ``φ``."""
        if self.degradation is not None:
            return float(self.degradation)
        return 0.5 if self.nonlinearity == "quadratic" else 1.0 / 6.0


@dataclass(frozen=True)
class Topology:
    """Units, connections and outputs of a circuit (see :mod:`sbmlcrn.circuits.nonlinear`)."""

    channels: tuple[str, ...]
    units: tuple[str, ...]
    sources: tuple[int, ...]
    outputs: tuple[int, ...]
    n_outputs: int
    connections: tuple[tuple[int, int], ...]
    connection_ids: tuple[str, ...]

    def output_id(self, k: int) -> str:
        """Species base of output ``k``'s error (``e``, or ``e1``, ``e2``, … for several)."""
        return "e" if self.n_outputs == 1 else f"e{k + 1}"


def topology(task: str, n_channels: int, augmented: bool, n_classes: int = 2) -> Topology:
    """The units and connections of ``task`` with ``n_channels`` loaded inputs."""
    channels = channel_ids(n_channels, augmented)
    d = len(channels)
    if task == "regression":
        conns = tuple((i, i) for i in range(d))
        return Topology(channels, channels, tuple(range(d)), (0,) * d, 1, conns, channels)
    if task == "classification":
        conns = tuple((i, j) for i in range(d) for j in range(d))
        ids = tuple(f"{channels[i]}_{channels[j]}" for i, j in conns)
        return Topology(channels, channels, tuple(range(d)), (0,) * d, 1, conns, ids)
    units = tuple(f"c{k + 1}" for k in range(n_classes))
    conns = tuple((k, j) for k in range(n_classes) for j in range(d))
    ids = tuple(f"{units[k]}_{channels[j]}" for k, j in conns)
    return Topology(
        channels, units, (-1,) * n_classes, tuple(range(n_classes)), n_classes, conns, ids
    )


def reference_model(top: Topology, config: NonlinearConfig) -> NonlinearModel:
    """The :class:`~sbmlcrn.reference.NonlinearModel` of a topology and configuration."""
    return NonlinearModel(
        connections=top.connections,
        outputs=top.outputs,
        sources=top.sources,
        power=config.power,
        coefficient=config.coefficient,
        odd=config.square == "per-rail",
        horizon=config.horizon,
        mode=config.gradient,
        backward=config.backward,
    )


def encode_labels(
    task: str, y: np.ndarray, config: NonlinearConfig, classes: Sequence[float], source: str
) -> np.ndarray:
    """Targets ``n × K``: ``y`` (regression), class values (binary) or one-hot (multiclass)."""
    y = np.asarray(y, dtype=float)
    if task == "regression":
        return y.reshape(-1, 1)
    check_class_labels(y, classes, source)
    lo, hi = config.class_values
    if task == "classification":
        return np.where(y == 1, hi, lo).reshape(-1, 1)
    out = np.full((len(y), len(classes)), lo)
    for k, c in enumerate(classes):
        out[y == c, k] = hi
    return out


def check_class_labels(y: np.ndarray, classes: Sequence[float], source: str) -> None:
    """Refuse a label of ``y`` that is not one of the circuit's ``classes`` (naming its row)."""
    bad = np.flatnonzero(~np.isin(y, np.asarray(classes)))
    if bad.size:
        allowed = ", ".join(f"{c:g}" for c in classes)
        raise DataError(
            f"{source}: the circuit's labels are {allowed}; data row {bad[0] + 1} has "
            f"{float(y[bad[0]]):g}."
        )


def class_list(task: str, y: np.ndarray, source: str) -> tuple[float, ...]:
    """The class values of ``task``: none (regression), 0/1, or every label 0 … K−1 of ``y``."""
    if task == "regression":
        return ()
    if task == "classification":
        return (0.0, 1.0)
    classes = tuple(float(c) for c in np.unique(y))
    if len(classes) < 2 or any(c != int(c) or c < 0 for c in classes):
        raise DataError(
            f"{source}: multi-class labels must be integers 0, 1, …, K−1 with K >= 2. "
            f"Got {list(classes)}."
        )
    if classes != tuple(float(k) for k in range(len(classes))):
        raise DataError(f"{source}: multi-class labels must be 0 … K−1. Got {list(classes)}.")
    return classes


def parameter_names(
    task: str, top: Topology, features: Sequence[str], augmented: bool
) -> tuple[str, ...]:
    """One name per connection: ``feature`` (regression), ``z<unit>.feature`` or
    ``class<k>.feature``; the constant input is called ``offset``."""
    cols = list(features)
    if augmented:
        cols.append(unique_name("offset", cols))
    if task == "regression":
        return tuple(cols)
    if task == "classification":
        units = [f"z{u}" for u in top.units]
        return tuple(f"{units[i]}.{cols[j]}" for i, j in top.connections)
    return tuple(f"class{i}.{cols[j]}" for i, j in top.connections)


def resolve_config(config: NonlinearConfig, x_tilde: np.ndarray, top: Topology) -> NonlinearConfig:
    """``config`` with ``lr``, ``init``, ``backward`` and ``degradation`` filled in."""
    lr = config.lr
    if lr is None:
        per_output = max(top.outputs.count(k) for k in range(top.n_outputs))
        if top.connections == tuple((i, i) for i in range(len(top.units))):
            per_output = 1  # diagonal: each input reaches the output through one parameter
        lr = default_learning_rate(config.horizon, x_tilde, per_output)
    n = len(top.connections)
    folded = config.init_dist == "half-normal"
    init = initial_parameters(config.init, n, config.seed, config.init_scale, folded)
    backward = config.backward if config.backward is not None else config.horizon
    return replace(
        config,
        lr=float(lr),
        init=init,
        backward=float(backward),
        degradation=config.coefficient,
    )
