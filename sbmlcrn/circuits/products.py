"""Product-unit circuits: hidden product units and a trained readout, the default nonlinear design.

The learning model
------------------
Inputs are loaded as for the other circuits (standardised, then the constant 1). The hidden
layer is the *product units* ``φ_f = x̃_i x̃_j`` for every pair ``i ≤ j`` of loaded channels:
with the constant among them these are the bias, every input, every square and every pairwise
product (``(D + 1)(D + 2)/2`` units for ``D`` inputs; ``degree=1`` keeps only the bias and the
inputs). The readout ``ŷ_k = Σ_f w_kf φ_f`` is trained by per-sample SGD on

* ``squared``: ``½ (ŷ − t)²`` (regression, on standardised targets);
* ``squared-hinge``: ``½ max(0, 1 − t ŷ)²`` with ``t = ±1`` (classification; one output per
  class against the rest for several classes, predicted class = largest output).

The chemistry (two phases per sample; every value dual-rail; bimolecular at most)
--------------------------------------------------------------------------------
* Forward (gate ``g_fwd``, time ``T``): ``x_i^a + x_j^b → … + h_f^(a·b)`` at ``1/T`` (``2/T``
  for the cross rails of a square): ``h_f = (t/T) φ_f``, a product unit per reaction set.
  Squared loss: ``w_f^a + h_f^b → … + e^(a·b)`` at ``2/T`` into the error loaded with ``−t``,
  so ``e = ŷ − t`` at the end of the phase. Squared hinge: the label sign is loaded as a
  species ``ℓ`` (``t<k>``), ``ℓ^a + h_f^b → … + u_f^(a·b)`` at ``2/T`` makes the signed units
  ``u_f = ℓ φ_f``, and ``w^a + u^b → … + m^(−a·b)`` at ``3/T`` takes ``t ŷ`` from the margin
  loaded with 1: ``m = 1 − t ŷ``.
* Backward (gate ``g_bwd``, time ``T_b``): squared loss, ``e^a + h^b → … + w^(−a·b)`` at
  ``η/T_b`` moves ``w`` by ``−η e φ``; squared hinge, ``m⁺ + m⁻ → ∅`` at ``k`` (gated by
  ``g_bwd``) while ``m⁺ + u^b → … + w^b`` at ``η/T_b``: the update reads only the positive
  rail of the margin, the *chemical ReLU*: ``w`` moves by ``η t max(0, 1 − t ŷ) φ`` plus a
  softening of order ``log(k)/k`` (closed form in :mod:`sbmlcrn.reference.products`).

Decisions (measurements in ``docs/design.md``, "Hidden units by chemistry")
---------------------------------------------------------------------------
* **Product units with a trained readout**, chosen by measuring candidates in numpy first:
  an augmented Neural ODE (at most 93 % on XOR, needs a third phase or trimolecular reactions
  for its readout), a ReLU network (96.5 %, but its backward pass needs a step function that
  mass action only approximates) and trainable product units (diverge with the hinge) all
  lost to fixed product units with a trained readout (97.3 % on XOR, 98–100 % on AND, OR and
  rings). The loss is convex in ``w``: no initialisation or seed dependence beyond the data.
* **The squared hinge** because the loss mattered more than the architecture: squared error
  on ±1 targets caps XOR near 93 % whatever the hidden layer; the hinge needs only the ReLU,
  which annihilation computes, while a logistic loss would need a third phase.
* **No annihilation of the parameters with the hinge**: their rails are then sums of positive
  and negative updates, so the split of every product over the rails is known and the
  reference stays in closed form (rails grow with the total variation of the SGD path: about
  15–60 after 100 epochs on the built-in tasks). The margin's annihilation is gated to the
  backward phase for the same reason. With the squared loss no reaction reads one rail
  alone, so the error and the weights annihilate at ``k`` (default 1) as in the linear
  circuits; without it their rails grow geometrically (each feeds the other's production).
* **Defaults**: ``T = T_b = 1``, ``k = 100`` (hinge) or 1 (squared), epochs by
  :func:`default_epochs` (100 for ~100 samples and one output), degree 2 up to 3 inputs
  (else 1), ``η = c / mean‖φ‖²`` with ``c = 0.1`` for the squared loss (a tenth of the step
  that zeroes the error, as the linear circuits) and ``c = 0.3`` for the hinge, initial
  weights ``N(0, 0.1²)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np

from sbmlcrn.circuits.clock import PhaseClock
from sbmlcrn.circuits.common import (
    TrainingReadouts,
    batch_slots,
    channel_ids,
    check_batch,
    check_positive,
    check_schedule,
    check_seed,
    check_training_data,
    finite_init,
    inference_parameters,
    initial_parameters,
    load_rails,
    output_observables,
    parameter_readouts,
    rail_pair,
    slot_values,
    training_observables,
    two_phase_clock,
    unique_name,
)
from sbmlcrn.circuits.linear import FeatureMap
from sbmlcrn.circuits.nonlinear_model import TASKS, check_class_labels, class_list
from sbmlcrn.circuits.products_reactions import (
    error_ids,
    parameter_id,
    readout_reactions,
    training_reactions,
    unit_id,
    unit_reactions,
)
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network, Parameter, Readout, Role, Species
from sbmlcrn.errors import InputError
from sbmlcrn.reference.products import LOSSES, ProductModel, feature_pairs, product_features

__all__ = [
    "LOSSES",
    "ProductCircuit",
    "ProductConfig",
    "compile_products",
    "default_epochs",
    "encode_product_labels",
    "product_inference_network",
    "product_loads",
]

#: ``η = c / mean‖φ‖²``: ``c`` per loss.
_LR_FACTOR = {"squared": 0.1, "squared-hinge": 0.3}
#: Inputs up to which the default degree is 2. Decision: the product units grow as
#: ``(D + 1)(D + 2)/2`` per output and the simulation's cost faster (a dense Jacobian);
#: measured on Iris (4 inputs, 3 classes): degree 2 reached 92.4 % in numpy against 93.6 %
#: for degree 1, at about three times the simulation time per sample.
MAX_DEGREE2_INPUTS = 3
#: Output updates (samples × epochs × outputs) the default epochs aim at, and their bounds.
#: Decision: the hinge's cost is the margin's stiff annihilation, paid per output and sample
#: (measured: 2.2 ms per sample for XOR, 10 ms for 3 classes on 4 inputs), so a budget keeps
#: each run near a minute; measured in numpy, XOR needs ~100 epochs (97.2 %), Iris is flat
#: from 20 to 100 (93.2–94.0 %) and three concentric classes gain 91.3 → 93.8 % from 33 to
#: 100 epochs.
EPOCH_BUDGET, MIN_EPOCHS, MAX_EPOCHS = 10_000, 30, 100
#: The default rate of the margin's annihilation (the chemical ReLU of the hinge).
HINGE_ANNIHILATION = 100.0
#: The constant channel's value (its product units are the bias and the inputs themselves).
_CONSTANT = 1.0


@dataclass(frozen=True)
class ProductConfig:
    """Hyper-parameters of a product-unit circuit; every value is checked on construction.

    Parameters
    ----------
    design
        Always ``"products"``: names the design in records and options.
    degree
        2: the product units of every pair of channels; 1: the bias and the inputs only;
        None: 2 for up to :data:`MAX_DEGREE2_INPUTS` inputs, else 1 (resolved at compile).
    loss
        ``squared`` or ``squared-hinge``; None: squared for regression, the hinge otherwise.
    horizon, backward
        Forward time ``T`` and backward time ``T_b`` (None: ``T``); they change no result,
        only how long the simulator integrates.
    lr
        Learning rate ``η``; None: ``c / mean‖φ‖²`` (``c`` 0.1 squared, 0.3 hinge).
    epochs
        Passes over the training data; None: :func:`default_epochs` (100 for about 100
        samples and one output, fewer for larger data and several classes, at least 30).
    annihilation
        Rate ``k`` of the margin's ``m⁺ + m⁻ → ∅`` (the chemical ReLU; None: 100); with the
        squared loss, of ``v⁺ + v⁻ → ∅`` for the error and the weights (None: 1).
    standardize, standardize_target
        Standardise the inputs (and regression targets) with the training data's statistics.
    init, seed
        Initial readout weights (output-major); None draws ``N(0, 0.1²)`` from ``seed``.
    batch_size
        Samples per SGD step ``B``: ``B`` slots of inputs, units and errors (margins) run side
        by side in one forward phase, and one backward phase moves the weights by the mean of
        their steps (1: the per-sample network, byte for byte).
    """

    design: str = "products"
    degree: int | None = None
    loss: str | None = None
    horizon: float = 1.0
    lr: float | None = None
    epochs: int | None = None
    backward: float | None = None
    annihilation: float | None = None
    standardize: bool = True
    standardize_target: bool = True
    init: tuple[float, ...] | None = None
    seed: int = 0
    batch_size: int = 1

    def __post_init__(self) -> None:
        check_positive("batch size", "--batch-size", self.batch_size, integer=True)
        object.__setattr__(self, "batch_size", int(self.batch_size))
        if self.design != "products":
            raise InputError(
                f"The design parameter of ProductConfig must be 'products'. "
                f"Got {self.design!r} instead."
            )
        if self.degree is not None and (self.degree not in (1, 2) or isinstance(self.degree, bool)):
            raise InputError(f"The degree (--degree) must be 1 or 2. Got {self.degree!r} instead.")
        if self.loss is not None and self.loss not in LOSSES:
            raise InputError(
                f"The loss (--loss) must be one of {', '.join(LOSSES)}. Got {self.loss!r} instead."
            )
        if self.annihilation is not None:
            check_positive("annihilation rate", "--annihilation", self.annihilation)
        stand_in = {"annihilation": 1.0, "epochs": 1 if self.epochs is None else self.epochs}
        check_schedule(SimpleNamespace(**{**vars(self), **stand_in}))  # type: ignore[arg-type]
        object.__setattr__(self, "init", finite_init(self.init))
        check_seed(self.seed)
        if self.epochs is not None:
            object.__setattr__(self, "epochs", int(self.epochs))

    @property
    def augmentation(self) -> float:
        """The constant channel's value (always 1)."""
        return _CONSTANT

    @property
    def class_values(self) -> tuple[float, float]:
        """Targets of labels 0 and 1 (and of "not this class" / "this class")."""
        return (-1.0, 1.0)

    def loss_for(self, task: str) -> str:
        """The loss actually used for ``task``."""
        if self.loss is not None:
            return self.loss
        return "squared" if task == "regression" else "squared-hinge"


@dataclass(frozen=True)
class ProductCircuit(TrainingReadouts):
    """A compiled product-unit circuit (``config`` resolved: ``lr``, ``backward``, ``init``)."""

    task: str
    config: ProductConfig
    features: tuple[str, ...]
    parameter_names: tuple[str, ...]
    feature_map: FeatureMap
    clock: PhaseClock
    network: Network
    classes: tuple[float, ...]
    pairs: tuple[tuple[int, int], ...]
    inputs: np.ndarray = field(repr=False)
    targets: np.ndarray = field(repr=False)

    @property
    def n_outputs(self) -> int:
        """Outputs: one per class for multiclass, else one."""
        return len(self.classes) if self.task == "multiclass" else 1

    def model(self) -> ProductModel:
        """The mathematics, for the numpy reference."""
        cfg = self.config
        assert cfg.lr is not None and cfg.backward is not None
        return ProductModel(
            self.pairs,
            self.n_outputs,
            cfg.loss_for(self.task),
            cfg.lr,
            cfg.backward,
            cfg.annihilation,
        )


def encode_product_labels(
    task: str, y: np.ndarray, classes: Sequence[float], source: str
) -> np.ndarray:
    """Targets ``n × K``: ``y`` (regression), ±1 (binary), ±1 one-vs-rest (multiclass)."""
    y = np.asarray(y, dtype=float)
    if task == "regression":
        return y.reshape(-1, 1)
    check_class_labels(y, classes, source)
    if task == "classification":
        return np.where(y == 1, 1.0, -1.0).reshape(-1, 1)
    return np.where(y[:, None] == np.asarray(classes)[None, :], 1.0, -1.0)


# ----------------------------------------------------------------------------- naming


def _unit_names(features: Sequence[str], pairs: Sequence[tuple[int, int]]) -> list[str]:
    """``offset``, ``x1``, ``x1^2``, ``x1*x2``: the product units in the data's names."""
    cols = list(features)
    b = len(cols)
    names = []
    for i, j in pairs:
        if i == b and j == b:
            names.append(unique_name("offset", cols))
        elif j == b:
            names.append(cols[i])
        elif i == j:
            names.append(f"{cols[i]}^2")
        else:
            names.append(f"{cols[i]}*{cols[j]}")
    return names


def _parameter_names(
    task: str, features: Sequence[str], pairs: Sequence[tuple[int, int]], classes: Sequence[float]
) -> tuple[str, ...]:
    units = _unit_names(features, pairs)
    if task != "multiclass":
        return tuple(units)
    return tuple(f"class{int(c)}.{u}" for c in classes for u in units)


# ----------------------------------------------------------------------------- species


def _input_species(channels: Sequence[str], slot: str = "") -> list[Species]:
    """The inputs of batch slot ``slot``; a slot's constant is loaded (0 in an empty slot)."""
    species: list[Species] = []
    for c in channels:
        value = _CONSTANT if c == "b" and not slot else 0.0
        species += rail_pair(f"x{c}{slot}", value, Role.INPUT)
    return species


def _unit_species(
    channels: Sequence[str], pairs: Sequence[tuple[int, int]], slot: str = ""
) -> list[Species]:
    species: list[Species] = []
    for pair in pairs:
        species += rail_pair(f"h{unit_id(channels, pair)}{slot}", 0.0, Role.HIDDEN)
    return species


def _slot_species(
    channels: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    x_tilde: np.ndarray,
    targets: np.ndarray,
    hinge: bool,
    batch: int,
    loads: dict[str, list[float]],
    clears: dict[str, float],
) -> list[Species]:
    """Every slot's error (margin), label and signed units, and what each load sets: the
    inputs, ``−t`` into the error or 1 into the margin and ``t`` into the label, for slot ``i``
    the samples ``i, i + B, …`` (0 where the last batch is short: an empty slot learns nothing).
    """
    n_out = targets.shape[1]
    species: list[Species] = []
    for i, slot in enumerate(batch_slots(batch)):
        for j, c in enumerate(channels):
            if c != "b" or slot:
                load_rails(loads, f"x{c}{slot}", slot_values(x_tilde[:, j], batch, i))
        for pair in pairs:
            clears[f"h{unit_id(channels, pair)}{slot}_p"] = 0.0
            clears[f"h{unit_id(channels, pair)}{slot}_m"] = 0.0
        for k, err in enumerate(error_ids(n_out, slot)):
            species += rail_pair(err, 0.0, Role.ERROR)
            if not hinge:
                load_rails(loads, err, slot_values(-targets[:, k], batch, i))
                continue
            clears[f"{err}_p"], clears[f"{err}_m"] = 1.0, 0.0  # the margin starts at 1
            species += rail_pair(f"t{k + 1}{slot}", 0.0, Role.INPUT)
            load_rails(loads, f"t{k + 1}{slot}", slot_values(targets[:, k], batch, i))
            for pair in pairs:
                base = f"u{k + 1}_{unit_id(channels, pair)}{slot}"
                species += rail_pair(base, 0.0, Role.TRANSIENT)
                clears[f"{base}_p"] = clears[f"{base}_m"] = 0.0
    return species


def _weight_species(
    channels: Sequence[str], pairs: Sequence[tuple[int, int]], n_out: int, theta: Sequence[float]
) -> list[Species]:
    species: list[Species] = []
    ids = [parameter_id(channels, p, k, n_out) for k in range(n_out) for p in pairs]
    for pid, value in zip(ids, theta, strict=True):
        species += rail_pair(f"p{pid}", value, Role.PARAMETER)
    return species


def default_epochs(n_samples: int, n_outputs: int) -> int:
    """``clip(⌈EPOCH_BUDGET / (n · K)⌉, MIN_EPOCHS, MAX_EPOCHS)``."""
    want = math.ceil(EPOCH_BUDGET / max(1, n_samples * n_outputs))
    return max(MIN_EPOCHS, min(MAX_EPOCHS, want))


def _degree(config: ProductConfig, n_inputs: int) -> int:
    if config.degree is not None:
        return config.degree
    return 2 if n_inputs <= MAX_DEGREE2_INPUTS else 1


def _resolve(config: ProductConfig, task: str, phi: np.ndarray, n_params: int) -> ProductConfig:
    lr = config.lr
    if lr is None:
        mean_sq = float(np.mean(np.sum(phi**2, axis=1)))
        lr = _LR_FACTOR[config.loss_for(task)] / max(mean_sq, 1e-12)
    init = initial_parameters(config.init, n_params, config.seed, 0.1)
    backward = config.backward if config.backward is not None else config.horizon
    k_ann = config.annihilation
    if k_ann is None:
        k_ann = HINGE_ANNIHILATION if config.loss_for(task) == "squared-hinge" else 1.0
    return replace(config, lr=float(lr), init=init, backward=float(backward), annihilation=k_ann)


def _rates(config: ProductConfig, hinge: bool) -> list[Parameter]:
    t = config.horizon
    assert config.lr is not None and config.backward is not None
    assert config.annihilation is not None
    params = [Parameter("k_h", 1.0 / t), Parameter("k_h2", 2.0 / t)]
    if hinge:
        params += [Parameter("k_u", 2.0 / t), Parameter("k_m", 3.0 / t)]
    else:
        params.append(Parameter("k_y", 2.0 / t))
    params.append(Parameter("k_ann", config.annihilation))
    params.append(Parameter("k_bw", config.lr / (config.backward * config.batch_size)))
    return params


def compile_products(
    task: str, data: Dataset, config: ProductConfig | None = None
) -> ProductCircuit:
    """Compile a product-unit circuit that trains on ``data`` inside one reaction network.

    Parameters
    ----------
    task
        ``"regression"``, ``"classification"`` (labels 0/1) or ``"multiclass"`` (0…K−1).
    data
        Training data with a target.
    config
        Hyper-parameters (default :class:`ProductConfig`).

    Returns
    -------
    ProductCircuit
        Simulating ``circuit.network`` from 0 to ``circuit.clock.end_time`` leaves the learned
        readout weights in the parameter species.
    """
    if task not in TASKS:
        raise InputError(
            f"The task parameter of compile_products must be one of {TASKS}. Got {task!r}."
        )
    config = config or ProductConfig()
    check_training_data(data, config.epochs or 1)
    check_batch(config.batch_size, len(data))
    classes = class_list(task, data.y, data.name)
    if config.epochs is None:
        outputs = len(classes) if task == "multiclass" else 1
        config = replace(config, epochs=default_epochs(len(data), outputs))
        check_training_data(data, config.epochs)
    labels = encode_product_labels(task, data.y, classes, data.name)
    regression = task == "regression"
    fmap = FeatureMap.fit(
        data.x,
        config.standardize,
        _CONSTANT,
        labels[:, 0] if regression else None,
        config.standardize_target,
    )
    targets = fmap.encode_target(labels) if regression else labels
    x_tilde = fmap(data.x)
    channels = channel_ids(x_tilde.shape[1], True)
    config = replace(config, degree=_degree(config, len(data.features)))
    assert config.degree is not None
    pairs = feature_pairs(len(channels), config.degree)
    n_out = len(classes) if task == "multiclass" else 1
    config = _resolve(config, task, product_features(x_tilde, pairs), n_out * len(pairs))
    hinge = config.loss_for(task) == "squared-hinge"
    assert config.init is not None and config.backward is not None

    batch = config.batch_size
    slots = batch_slots(batch)
    species = [s for slot in slots for s in _input_species(channels, slot)]
    species += [s for slot in slots for s in _unit_species(channels, pairs, slot)]
    species += _weight_species(channels, pairs, n_out, config.init)
    loads: dict[str, list[float]] = {}
    clears: dict[str, float] = {}
    species += _slot_species(channels, pairs, x_tilde, targets, hinge, batch, loads, clears)

    names = _parameter_names(task, data.features, pairs, classes)
    n_batches = -(-len(data) // batch)
    clock = two_phase_clock(config.horizon, config.backward, n_batches, config.epochs)
    readouts = parameter_readouts(
        names, [parameter_id(channels, p, k, n_out) for k in range(n_out) for p in pairs]
    )
    label = "margin" if hinge else "error"
    for slot in slots:
        for k, err in enumerate(error_ids(n_out, slot)):
            name = label + (str(k) if n_out > 1 else "") + (f"_{slot}" if slot else "")
            readouts.append(Readout(unique_name(name, names), f"{err}_p", f"{err}_m", Role.ERROR))
    network = Network(
        id=f"products_{task}",
        species=tuple(species),
        parameters=(*_rates(config, hinge), *clock.parameters()),
        reactions=tuple(training_reactions(channels, pairs, n_out, hinge, slots)),
        events=clock.events(loads, clears),
        readouts=tuple(readouts),
        notes=_notes(task, config, len(data), len(pairs)),
        observables=training_observables(
            readouts,
            hinge=hinge,
            slots=len(slots),
            labels=[
                (f"t{k + 1}{slot}_p", f"t{k + 1}{slot}_m") for slot in slots for k in range(n_out)
            ]
            if hinge
            else (),
        ),
    )
    return ProductCircuit(
        task=task,
        config=config,
        features=data.features,
        parameter_names=names,
        feature_map=fmap,
        clock=clock,
        network=network,
        classes=classes,
        pairs=pairs,
        inputs=x_tilde,
        targets=targets,
    )


def _notes(task: str, config: ProductConfig, n_samples: int, n_units: int) -> str:
    return (
        f"sbmlcrn nonlinear-{task} training network (product units, degree {config.degree}, "
        f"{config.loss_for(task)} loss): {n_units} product units, {n_samples} samples x "
        f"{config.epochs} epochs, T = {config.horizon!r}, T_b = {config.backward!r}, "
        f"eta = {config.lr!r}, k_ann = {config.annihilation!r}.\n"
        "Simulate from t = 0 to t_end; the learned weights are then p<i>_p - p<i>_m."
    )


def product_loads(
    task: str, config: ProductConfig, x_tilde: np.ndarray, n_inputs: int, n_classes: int
) -> dict[str, np.ndarray]:
    """What prediction loads into the inference network: the inputs ``x<i>``."""
    return {f"x{j + 1}": x_tilde[:, j] for j in range(n_inputs)}


def product_inference_network(
    task: str, theta: Sequence[float], config: ProductConfig, n_features: int, n_classes: int = 2
) -> Network:
    """The forward phase alone, for one sample, with the weights as initial concentrations.

    Set ``x<i>_p/_m`` to the rails of the loaded (standardised) input, simulate from 0 to ``T``
    and read ``yhat = yhat_p − yhat_m`` (``yhat<k>`` per class for several classes).
    """
    channels = channel_ids(n_features + 1, True)
    pairs = feature_pairs(len(channels), _degree(config, n_features))
    n_out = n_classes if task == "multiclass" else 1
    if len(theta) != n_out * len(pairs):
        raise InputError(f"Expected {n_out * len(pairs)} parameters. Got {len(theta)} instead.")
    outs = ["yhat"] if n_out == 1 else [f"yhat{k + 1}" for k in range(n_out)]
    species = _input_species(channels) + _unit_species(channels, pairs)
    species += _weight_species(channels, pairs, n_out, theta)
    for o in outs:
        species += rail_pair(o, 0.0, Role.OUTPUT)
    t = config.horizon
    reactions = unit_reactions(channels, pairs)
    reactions += readout_reactions(channels, pairs, n_out, outs, hinge=False)
    params = [Parameter("k_h", 1.0 / t), Parameter("k_h2", 2.0 / t), Parameter("k_y", 2.0 / t)]
    outputs = tuple(Readout(o, f"{o}_p", f"{o}_m", Role.OUTPUT) for o in outs)
    return Network(
        id=f"products_{task}_inference",
        species=tuple(species),
        parameters=(*params, *inference_parameters(t)),
        reactions=tuple(reactions),
        readouts=outputs,
        observables=output_observables(outputs),
        notes=(
            f"sbmlcrn nonlinear-{task} inference network (product units): set x<i>_p/x<i>_m to "
            "the rails of the standardised input, simulate to t_end and read yhat_p - yhat_m."
        ),
    )


def product_count(task: str, config: ProductConfig, n_inputs: int, n_classes: int) -> int:
    """The number of readout weights, counted without building anything."""
    degree = _degree(config, n_inputs)
    units = (n_inputs + 1) * (n_inputs + 2) // 2 if degree == 2 else n_inputs + 1
    return units * (max(n_classes, 2) if task == "multiclass" else 1)


def check_product_labels(task: str, y: np.ndarray, classes: Sequence[float], source: str) -> None:
    """Refuse test labels the circuit cannot score."""
    if task != "regression":
        encode_product_labels(task, y, classes, source)
