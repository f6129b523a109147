"""Linear Neural CRNs: regression and binary classification, trained inside one SBML model.

The learning model (Nagipogu & Reif's linear circuit, generalised)
------------------------------------------------------------------
An input ``x ∈ R^d`` becomes ``x̃ ∈ R^D``: each column standardised with the training data's
mean and standard deviation (default; see below), then, unless ``augmentation`` is None, one
constant entry ``a`` appended, whose weight is the trainable offset. The hidden state follows
``dz/dt = θ ⊙ x̃ + h`` from ``z(0) = x̃`` for ``t ∈ [0, T]``, the output is ``ŷ = Σ_i z_i(T) =
Σ_i x̃_i + T Σ_i (θ_i x̃_i + h)``, the loss ``½ (ŷ − t)²`` for target ``t``, and one SGD step
``θ ← θ − η T (ŷ − t) x̃`` follows each sample (the adjoint is constant because ``∂f/∂z = 0``,
so the first-order gradient is exact here). ``h`` is the authors' fixed bias (0 by default).

The chemistry
-------------
Signed values are dual-rail pairs ``v = v_p − v_m``. Per input channel ``i``:

* forward (gate ``g_fwd``, for a time ``T``):
  ``x_s → x_s + e_s`` at ``1/T`` (adds ``x̃_i``, the ``z(0)`` term) and
  ``p_a + x_b → p_a + x_b + e_(a·b)`` at 1 (adds ``T θ_i x̃_i``); with ``h ≠ 0`` one
  zeroth-order ``∅ → e_sign(h)`` at ``D |h|``.
* backward (gate ``g_bwd``, for a time ``T_b``):
  ``e_a + x_b → e_a + x_b + p_(−a·b)`` at ``η T / T_b`` (moves ``θ_i`` by ``−η T e x̃_i``).
* always: ``e_p + e_m → ∅`` and ``p_p + p_m → ∅`` at ``k_ann``; they keep rails small and
  change no signed value.

The error species is loaded with ``−t`` when a sample is loaded, so at the end of the forward
phase it holds ``ŷ − t``: output and error are accumulated during the forward phase itself and
two phases per sample suffice. Every catalyst is constant within a phase, so each phase solves
its linear ODE exactly and the chemistry computes precisely the SGD step of the reference.

Decisions
---------
* **Standardised inputs** (default): data of any scale then trains with the same defaults. The
  scaling is part of loading the data (the event loads ``(x − μ)/σ``), not of learning; ``μ`` and
  ``σ`` are stored with the run and applied again in ``predict``.
* **Standardised targets** (regression, default): the error and parameter rails then stay of
  order 1 whatever the scale of ``y`` (unscaled targets of ~1000 made the annihilation stiff
  enough for CVODE to fail); ``μ_y`` and ``σ_y`` are stored with the run, and ``predict`` and
  the affine model in ``result.json`` are in raw units. The loss per epoch is the circuit's,
  on the scaled targets.
* **Default learning rate** ``η = 0.1 / (T² · mean‖x̃‖²)``: one SGD step shrinks the error along
  ``x̃`` by the factor ``1 − η T² ‖x̃‖²``, so this is a tenth of the step that zeroes it (a
  twentieth of the largest stable step) on average, small enough that constant-step SGD ends
  within a few per cent of the least-squares error and large enough to converge in tens of
  epochs.
* **Backward duration** ``T_b = T`` (the adjoint runs over the same horizon); the backward rate
  is ``η T / T_b`` so the update is independent of ``T_b``.
* **Classification** regresses on class values ``(−1, +1)`` for labels ``(0, 1)`` and predicts
  label 1 where ``ŷ`` exceeds their midpoint; symmetric targets keep the error's rails balanced.
* **Initial parameters**: ``N(0, 0.1²)`` from ``seed`` unless given.
* **Annihilation rate** ``k_ann = 1``: it changes no signed value, so in exact arithmetic any
  rate gives the same learning; numerically it must be moderate relative to the rails (order 1
  here): a fast one (10 and more) makes the system stiff — after every event CVODE restarts with
  steps near 1e-20 — and a very slow one (1e-8) lets the rails grow until the learned value is
  the difference of two huge numbers. :func:`sbmlcrn.training.pipeline.train` refuses a run whose
  parameters disagree with the reference, so such a setting fails loudly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from sbmlcrn.circuits.clock import PhaseClock
from sbmlcrn.circuits.common import (
    MAX_CYCLES,
    SIGNS,
    TrainingReadouts,
    batch_slots,
    catalysis,
    channel_ids,
    check_batch,
    check_finite,
    check_positive,
    check_schedule,
    check_seed,
    check_training_data,
    default_learning_rate,
    finite_init,
    inference_parameters,
    initial_parameters,
    load_rails,
    output_observables,
    parameter_readouts,
    rail_pair,
    rails,
    slot_values,
    training_observables,
    two_phase_clock,
    unique_name,
)
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network, Parameter, Reaction, Readout, Role, Species
from sbmlcrn.errors import DataError, InputError

# MAX_CYCLES and rails live in sbmlcrn.circuits.common; they are re-exported here, where the
# layers above have always imported them.
__all__ = [
    "ANNIHILATE",
    "MAX_CYCLES",
    "FeatureMap",
    "LinearCircuit",
    "LinearConfig",
    "compile_linear",
    "encode_targets",
    "inference_network",
    "parameter_names",
    "rails",
]

TASKS = ("regression", "classification")

#: When the rails of the error and the parameters annihilate (``LinearConfig.annihilate``).
#: Decision: ``"forward"`` (gated with the forward phase) is the default of mini-batches. The
#: annihilation ``v_p + v_m → ∅`` is the only nonlinear term of the linear network; without
#: it every phase is a polynomial in time that CVODE's Adams method steps through in ~10
#: steps, with it 30–120 steps per phase at any rate from 0.001 to 1 (D = 8, 200 × 10:
#: 377,825 steps at B = 1, 29,576 at B = 16; 34,648 and 2,405 without it). It cannot be
#: dropped or run once per epoch: the parameters' rails feed the error's and back (each
#: catalyses both), so unannihilated rails grow geometrically (1.7e6 after 10 epochs, measured)
#: and the signed values lose their digits. In the forward phase only, it keeps every rail
#: below ~2 there and made the B = 16 run 1.5× faster (measured in ``scripts/batch_bench.py``).
#: It changes no signed value. ``"always"`` stays the default at B = 1: the authors' circuit,
#: byte for byte.
ANNIHILATE = ("always", "forward")


@dataclass(frozen=True)
class LinearConfig:
    """Hyper-parameters of a linear circuit; every value is checked on construction.

    Parameters
    ----------
    horizon
        Forward time ``T``.
    lr
        Learning rate ``η``; None chooses ``0.1 / (T² · mean‖x̃‖²)`` from the training data.
    epochs
        Passes over the training data.
    backward
        Backward-phase duration ``T_b``; None means ``T``.
    augmentation
        Value ``a`` of the appended constant input (its weight is the offset); None for none.
    bias
        The authors' fixed bias ``h`` in ``dz/dt = θ ⊙ x̃ + h``.
    standardize
        Standardise each input column with the training data's mean and deviation.
    init
        Initial parameters ``θ₀`` (one per channel, offset last); None draws ``N(0, 0.1²)``.
    seed
        Seed of the initial parameters.
    annihilation
        Rate constant of ``v_p + v_m → ∅``; it changes no signed value.
    class_values
        Regression targets of labels 0 and 1 (classification only).
    batch_size
        Samples per SGD step ``B``: ``B`` copies of the inputs and the error run side by side
        in one forward phase and one backward phase moves ``θ`` by ``−η T/B Σ_b e_b x̃_b``
        (1: today's per-sample network, byte for byte).
    annihilate
        When ``v_p + v_m → ∅`` runs: ``"always"`` (the authors' circuit) or ``"forward"``
        (gated with the forward phase); None (default) chooses ``"always"`` for
        ``batch_size`` 1 and ``"forward"`` above (:data:`ANNIHILATE` has the reasons).
    """

    horizon: float = 1.0
    lr: float | None = None
    epochs: int = 20
    backward: float | None = None
    augmentation: float | None = 1.0
    bias: float = 0.0
    standardize: bool = True
    init: tuple[float, ...] | None = None
    seed: int = 0
    annihilation: float = 1.0
    class_values: tuple[float, float] = (-1.0, 1.0)
    batch_size: int = 1
    annihilate: str | None = None

    def __post_init__(self) -> None:
        check_schedule(self)
        check_positive("batch size", "--batch-size", self.batch_size, integer=True)
        object.__setattr__(self, "batch_size", int(self.batch_size))
        if self.annihilate is not None and self.annihilate not in ANNIHILATE:
            raise InputError(
                f"The annihilate parameter (--annihilate) must be one of {list(ANNIHILATE)}. "
                f"Got {self.annihilate!r} instead."
            )
        check_finite("augmentation", self.augmentation)
        check_finite("bias", self.bias)
        object.__setattr__(self, "init", finite_init(self.init))
        check_seed(self.seed)
        lo, hi = self.class_values
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise InputError(f"The class values must be finite and increasing. Got {(lo, hi)}.")
        object.__setattr__(self, "epochs", int(self.epochs))


@dataclass(frozen=True)
class FeatureMap:
    """The loading step: ``x ↦ x̃`` (standardisation, then the constant entry) and, for
    regression with standardisation, the target scaling ``t = (y − μ_y) / σ_y``.

    Both are data preparation done while *loading* a sample and *reading* an output; the
    learning itself happens in the network, on the scaled values.
    """

    mean: tuple[float, ...] | None
    scale: tuple[float, ...] | None
    augmentation: float | None
    target_mean: float = 0.0
    target_scale: float = 1.0

    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        standardize: bool,
        augmentation: float | None,
        y: np.ndarray | None = None,
        standardize_target: bool | None = None,
    ) -> FeatureMap:
        """Fit on training inputs ``x`` and, if given, regression targets ``y``.

        ``standardize_target`` None follows ``standardize``. Constant columns (and a constant
        target) keep scale 1.
        """
        t_mean, t_scale = 0.0, 1.0
        if y is not None and (standardize if standardize_target is None else standardize_target):
            t_mean = float(np.mean(y))
            t_std = float(np.std(y))
            t_scale = t_std if t_std > 0 else 1.0
        if not standardize:
            return cls(None, None, augmentation, t_mean, t_scale)
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        return cls(tuple(map(float, mean)), tuple(map(float, std)), augmentation, t_mean, t_scale)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Map raw inputs (n × d) to the circuit's inputs (n × D)."""
        u = np.asarray(x, dtype=float)
        if self.mean is not None and self.scale is not None:
            if u.shape[1] != len(self.mean):
                raise DataError(
                    f"The data must have {len(self.mean)} input columns. Got {u.shape[1]}."
                )
            u = (u - np.asarray(self.mean)) / np.asarray(self.scale)
        if self.augmentation is not None:
            u = np.hstack([u, np.full((u.shape[0], 1), float(self.augmentation))])
        return u

    def encode_target(self, y: np.ndarray) -> np.ndarray:
        """Raw regression targets → the circuit's targets."""
        return (np.asarray(y, dtype=float) - self.target_mean) / self.target_scale

    def decode_output(self, y_hat: np.ndarray) -> np.ndarray:
        """The circuit's outputs → raw target units."""
        return self.target_mean + self.target_scale * np.asarray(y_hat, dtype=float)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "mean": self.mean,
            "scale": self.scale,
            "augmentation": self.augmentation,
            "target_mean": self.target_mean,
            "target_scale": self.target_scale,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> FeatureMap:
        """Inverse of :meth:`to_dict`."""

        def tup(v: object) -> tuple[float, ...] | None:
            return None if v is None else tuple(float(a) for a in v)  # type: ignore[union-attr]

        aug = data.get("augmentation")
        return cls(
            tup(data.get("mean")),
            tup(data.get("scale")),
            None if aug is None else float(aug),  # type: ignore[arg-type]
            float(data.get("target_mean", 0.0)),  # type: ignore[arg-type]
            float(data.get("target_scale", 1.0)),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class LinearCircuit(TrainingReadouts):
    """A compiled linear circuit: the training network and what is needed to read it.

    ``config`` is resolved: ``lr``, ``backward`` and ``init`` are filled in.
    """

    task: str
    config: LinearConfig
    features: tuple[str, ...]
    parameter_names: tuple[str, ...]
    feature_map: FeatureMap
    clock: PhaseClock
    network: Network
    inputs: np.ndarray = field(repr=False)
    targets: np.ndarray = field(repr=False)


def encode_targets(
    task: str, y: np.ndarray, config: LinearConfig, *, source: str = "the data"
) -> np.ndarray:
    """Regression targets of the circuit: ``y`` itself, or class values for labels 0/1."""
    if task == "regression":
        return np.asarray(y, dtype=float)
    labels = np.asarray(y, dtype=float)
    bad = np.flatnonzero((labels != 0) & (labels != 1))
    if bad.size:
        more = f" (and {bad.size - 1} more)" if bad.size > 1 else ""
        raise DataError(
            f"{source}: classification needs labels 0 and 1 in the target column; "
            f"data row {bad[0] + 1} has {float(labels[bad[0]]):g}{more}."
        )
    lo, hi = config.class_values
    return np.where(labels == 1, hi, lo)


def parameter_names(features: Sequence[str], augmentation: float | None) -> tuple[str, ...]:
    """One name per channel: the feature names, then ``offset`` for the constant input."""
    names = list(features)
    if augmentation is not None:
        names.append(unique_name("offset", names))
    return tuple(names)


def _forward_reactions(
    channels: Sequence[str], out: str, horizon: float, bias: float, slot: str = ""
) -> list[Reaction]:
    """Forward-phase reactions producing ``Σ x̃ + T Σ (θ x̃ + h)`` into rails ``out_p/out_m``
    from the inputs of batch slot ``slot`` (``""``: the one sample of a per-sample network)."""
    reactions = []
    for c in channels:
        x = f"x{c}{slot}"
        for s in SIGNS:
            reactions.append(
                Reaction(
                    f"fx{c}{slot}_{s}",
                    (f"{x}_{s}",),
                    (f"{x}_{s}", f"{out}_{s}"),
                    "k_fx",
                    ("g_fwd",),
                )
            )
        reactions += catalysis(f"fw{c}{slot}", f"p{c}", x, out, +1, "k_fw", ("g_fwd",))
    if bias != 0.0:
        reactions.append(
            Reaction(f"fh{slot}", (), (f"{out}_{'p' if bias > 0 else 'm'}",), "k_fh", ("g_fwd",))
        )
    return reactions


def _input_species(
    channels: Sequence[str], augmentation: float | None, slot: str = ""
) -> list[Species]:
    """The input pairs ``x<c><slot>``: 0 until loaded; the constant ``a`` for channel ``b`` of a
    per-sample network (a batch slot's constant is loaded too: 0 in a slot left empty)."""
    species: list[Species] = []
    for c in channels:
        constant = float(augmentation) if c == "b" and not slot else 0.0  # type: ignore[arg-type]
        species += rail_pair(f"x{c}{slot}", constant, Role.INPUT)
    return species


def _parameter_species(channels: Sequence[str], theta: Sequence[float]) -> list[Species]:
    """The parameter pairs ``p<c>`` holding ``θ``."""
    species: list[Species] = []
    for c, t in zip(channels, theta, strict=True):
        species += rail_pair(f"p{c}", t, Role.PARAMETER)
    return species


def _backward_reactions(channels: Sequence[str], slot: str = "") -> list[Reaction]:
    """Backward-phase reactions moving every ``θ_c`` by ``−η T/B e x̃_c`` (rate ``k_bw``) for
    the sample of batch slot ``slot``."""
    reactions = []
    for c in channels:
        reactions += catalysis(
            f"bw{c}{slot}", f"e{slot}", f"x{c}{slot}", f"p{c}", -1, "k_bw", ("g_bwd",)
        )
    return reactions


def batch_learning_rate(lr: float, batch: int, horizon: float, x_tilde: np.ndarray) -> float:
    """The default rate for batches of ``batch``: ``B·η`` (the mean gradient of ``B`` samples
    moves as far per epoch as ``B`` single steps), capped at ``1 / (T² λ_max)``, half the
    largest stable step on the mean curvature ``E[x̃ x̃ᵀ]`` of the loaded data.

    Decision: measured on the ``D = 8``, 200 × 10 workload (numpy), the test MSE stayed at
    0.0124–0.0127 for B = 1…64 with ``B·η``, while ``η`` alone lost (3.8 at B = 16) and ``√B·η``
    too (0.18 at B = 64); without the cap ``B·η`` diverges for few inputs and large ``B``.
    """
    x = np.asarray(x_tilde, dtype=float)
    largest = float(np.max(np.linalg.eigvalsh(x.T @ x / len(x))))
    # rounded to 12 digits: the eigenvalue's last bits may differ between LAPACK builds, and
    # the rate is written into the model, which must be the same for the same inputs
    cap = float(f"{1.0 / (horizon**2 * max(largest, 1e-12)):.12g}")
    return float(min(batch * lr, cap))


def _forward_parameters(n: int, horizon: float, bias: float) -> list[Parameter]:
    params = [Parameter("k_fx", 1.0 / horizon), Parameter("k_fw", 1.0)]
    if bias != 0.0:
        params.append(Parameter("k_fh", n * abs(bias)))
    return params


def _resolve(config: LinearConfig, x_tilde: np.ndarray) -> LinearConfig:
    lr = config.lr
    if lr is None:
        lr = default_learning_rate(config.horizon, x_tilde)
        if config.batch_size > 1:
            lr = batch_learning_rate(lr, config.batch_size, config.horizon, x_tilde)
    init = initial_parameters(config.init, x_tilde.shape[1], config.seed, 0.1)
    backward = config.backward if config.backward is not None else config.horizon
    annihilate = config.annihilate or ("always" if config.batch_size == 1 else "forward")
    return replace(config, lr=float(lr), init=init, backward=float(backward), annihilate=annihilate)


def compile_linear(task: str, data: Dataset, config: LinearConfig | None = None) -> LinearCircuit:
    """Compile a linear circuit that trains on ``data`` inside one reaction network.

    Parameters
    ----------
    task
        ``"regression"`` or ``"classification"`` (labels 0/1).
    data
        Training data with a target.
    config
        Hyper-parameters (default :class:`LinearConfig`).

    Returns
    -------
    LinearCircuit
        The compiled circuit; simulating ``circuit.network`` from 0 to
        ``circuit.clock.end_time`` leaves the learned parameters in the parameter species.
    """
    if task not in TASKS:
        raise InputError(
            f"The task parameter of compile_linear must be one of {TASKS}. Got {task!r}."
        )
    config = config or LinearConfig()
    check_training_data(data, config.epochs)
    check_batch(config.batch_size, len(data))
    labels = encode_targets(task, data.y, config, source=data.name)
    y_fit = labels if task == "regression" else None
    fmap = FeatureMap.fit(data.x, config.standardize, config.augmentation, y_fit)
    targets = fmap.encode_target(labels)
    x_tilde = fmap(data.x)
    config = _resolve(config, x_tilde)
    n_ch = x_tilde.shape[1]
    channels = channel_ids(n_ch, config.augmentation is not None)
    names = parameter_names(data.features, config.augmentation)
    assert config.lr is not None and config.backward is not None and config.init is not None

    batch = config.batch_size
    slots = batch_slots(batch)
    species = []
    for slot in slots:
        species += _input_species(channels, config.augmentation, slot)
    species += _parameter_species(channels, config.init)
    for slot in slots:
        species += rail_pair(f"e{slot}", 0.0, Role.ERROR)
    loads: dict[str, list[float]] = {}
    for i, slot in enumerate(slots):
        for j, c in enumerate(channels):
            if c != "b" or slot:  # a slot's constant is loaded: a, or 0 when the slot is empty
                load_rails(loads, f"x{c}{slot}", slot_values(x_tilde[:, j], batch, i))
        load_rails(loads, f"e{slot}", slot_values(-targets, batch, i))  # the error starts at −t

    reactions = []
    for slot in slots:
        reactions += _forward_reactions(channels, f"e{slot}", config.horizon, config.bias, slot)
    for slot in slots:
        reactions += _backward_reactions(channels, slot)
    ann_gates = ("g_fwd",) if config.annihilate == "forward" else ()
    for slot in slots:
        reactions.append(
            Reaction(f"ann_e{slot}", (f"e{slot}_p", f"e{slot}_m"), (), "k_ann", ann_gates)
        )
    for c in channels:
        reactions.append(Reaction(f"ann_p{c}", (f"p{c}_p", f"p{c}_m"), (), "k_ann", ann_gates))

    n_batches = -(-len(data) // batch)
    clock = two_phase_clock(config.horizon, config.backward, n_batches, config.epochs)
    params = [
        *_forward_parameters(n_ch, config.horizon, config.bias),
        Parameter("k_bw", config.lr * config.horizon / (config.backward * batch)),
        Parameter("k_ann", config.annihilation),
        *clock.parameters(),
    ]
    readouts = parameter_readouts(names, channels)
    for slot in slots:
        name = unique_name(f"error{slot[1:]}", names)
        readouts.append(Readout(name, f"e{slot}_p", f"e{slot}_m", Role.ERROR))
    per_step = "" if batch == 1 else f" in batches of {batch}"
    notes = (
        f"sbmlcrn linear-{task} training network: {len(data)} samples{per_step} x "
        f"{config.epochs} epochs, "
        f"T = {config.horizon!r}, T_b = {config.backward!r}, eta = {config.lr!r}.\n"
        "Simulate from t = 0 to t_end; the learned parameters are then p<i>_p - p<i>_m."
    )
    network = Network(
        id=f"linear_{task}",
        species=tuple(species),
        parameters=tuple(params),
        reactions=tuple(reactions),
        events=clock.events(loads),
        readouts=tuple(readouts),
        notes=notes,
        observables=training_observables(readouts, slots=len(slots)),
    )
    return LinearCircuit(
        task=task,
        config=config,
        features=data.features,
        parameter_names=names,
        feature_map=fmap,
        clock=clock,
        network=network,
        inputs=x_tilde,
        targets=targets,
    )


def inference_network(
    task: str, theta: Sequence[float], config: LinearConfig, n_features: int
) -> Network:
    """The forward phase alone, for one sample, with parameters as initial concentrations.

    Set the input species ``x<i>_p``/``x<i>_m`` to the rails of the loaded (standardised) input,
    simulate from 0 to ``T`` and read ``yhat = yhat_p − yhat_m``. No events; the forward gate is
    a constant 1.
    """
    augmented = config.augmentation is not None
    channels = channel_ids(n_features + int(augmented), augmented)
    if len(theta) != len(channels):
        raise InputError(f"Expected {len(channels)} parameters. Got {len(theta)} instead.")
    species = _input_species(channels, config.augmentation)
    species += _parameter_species(channels, theta)
    species += rail_pair("yhat", 0.0, Role.OUTPUT)
    readout = Readout("yhat", "yhat_p", "yhat_m", Role.OUTPUT)
    params = [
        *_forward_parameters(len(channels), config.horizon, config.bias),
        *inference_parameters(config.horizon),
    ]
    return Network(
        id=f"linear_{task}_inference",
        species=tuple(species),
        parameters=tuple(params),
        reactions=tuple(_forward_reactions(channels, "yhat", config.horizon, config.bias)),
        readouts=(readout,),
        observables=output_observables((readout,)),
        notes=(
            f"sbmlcrn linear-{task} inference network: set x<i>_p/x<i>_m to the rails of the "
            "standardised input, simulate to t_end and read yhat_p - yhat_m."
        ),
    )
