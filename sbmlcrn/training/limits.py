"""Guard rails: refuse, before compiling or simulating, inputs the chemistry cannot train.

Size limits (data values, reactions) are checked on the data and the configuration before
anything is compiled; numerical limits (concentrations, stiffness, explosion of the SGD) on the
compiled circuit and on the numpy reference, which predicts every value the chemistry will
hold. Every message names the option to change. The numbers were measured (see each constant).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sbmlcrn.circuits.linear import MAX_CYCLES, LinearConfig
from sbmlcrn.circuits.nonlinear import NonlinearConfig
from sbmlcrn.circuits.nonlinear_model import square_for
from sbmlcrn.circuits.products import HINGE_ANNIHILATION
from sbmlcrn.circuits.products import MAX_EPOCHS as MAX_PRODUCT_EPOCHS
from sbmlcrn.circuits.registry import (
    Circuit,
    Config,
    circuit_kind,
    circuit_spec,
    default_config,
    family_of,
)
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.reference import ReferenceRun

__all__ = [
    "EXPLOSION_FACTOR",
    "MAX_ANNIHILATION",
    "MAX_CONCENTRATION",
    "MAX_DATA_VALUES",
    "MAX_END_TIME",
    "MAX_EPOCHS",
    "MAX_EVENT_MODEL_DATA_VALUES",
    "MAX_PHASES_DATA_VALUES",
    "MAX_REACTIONS",
    "MAX_STATS_INPUTS",
    "MAX_STATS_REACTIONS",
    "MAX_STIFFNESS",
    "MAX_TRAINING_ROWS",
    "check_epochs",
    "check_forward_blowup",
    "check_loaded",
    "check_numerics",
    "check_size",
    "check_stats_inputs",
    "check_test_scale",
    "estimated_reactions",
    "event_model_fits",
]


# ---------------------------------------------------------------------------------------------
# Size guard rails: refuse, before compiling, inputs that would exhaust memory or take hours.
# ---------------------------------------------------------------------------------------------

#: Most data values (samples × (inputs + 1)) one training model may hold. The data sit in the
#: model's event lookups: measured 10,000 samples × 3 values = a 50 MB SBML file, 5 s to build,
#: 24 s to load in RoadRunner and 1.2 GB of peak memory, all growing linearly (so the largest
#: model stays under :data:`sbmlcrn.validation.safexml.MAX_SBML_BYTES`).
MAX_DATA_VALUES = 30_000

#: Most data values (samples × (inputs + 1)) of a run of the ``phases`` engine, which loads the
#: event-free network once and sets each sample's values from the host: its cost grows linearly
#: with the samples. Measured (``scripts/scale.py --cli``, BENCHMARKS.md "Scale"): 100,000
#: samples × 3 values, linear regression D = 3, 1 epoch: the whole ``sbmlcrn train`` command in
#: 50 s and 514 MB of peak memory, which writes the event-free model instead of the event model
#: (:data:`MAX_EVENT_MODEL_DATA_VALUES`).
MAX_PHASES_DATA_VALUES = 300_000

#: Most data values (samples × (inputs + 1)) whose *event* model a run writes as ``model.xml``.
#: Decision: a ``phases`` run of more data values writes the event-free training network
#: instead (the same species, reactions and gates, no events) and its schedule's loads as
#: ``schedule.csv`` (:mod:`sbmlcrn.training.transforms`): the event model grows by about 5.4 kB
#: per data value (540 MB, ~3.5 GB of peak memory to write, at 100,000 samples × 3 values) and
#: beyond this size ``sbmlcrn validate`` refuses it
#: (:data:`sbmlcrn.validation.safexml.MAX_SBML_BYTES`, 64 MiB), so it would be no usable
#: artifact. Equal to :data:`MAX_DATA_VALUES`: every run the ``events`` engine accepts keeps
#: its event model, byte for byte.
MAX_EVENT_MODEL_DATA_VALUES = MAX_DATA_VALUES

#: Most rows of a training CSV file read for a checkpointed (event-clock) run: with at least one
#: input and the target, more rows than this cannot fit in :data:`MAX_DATA_VALUES`, so reading
#: stops there instead of filling memory with a file that would be refused anyway.
MAX_TRAINING_ROWS = MAX_DATA_VALUES // 2

#: Most epochs accepted (``--epochs``), checked before anything is read: one model holds at
#: most :data:`sbmlcrn.circuits.linear.MAX_CYCLES` training steps (samples x epochs).
MAX_EPOCHS = 1_000_000

#: Most inputs ``sbmlcrn stats`` accepts (``--inputs``).
MAX_STATS_INPUTS = 100_000

#: Largest network (reactions, estimated by :func:`estimated_reactions`) ``sbmlcrn stats``
#: builds: a larger one would not fit in memory.
MAX_STATS_REACTIONS = 200_000

#: Largest training network (reactions) compiled by default. RoadRunner's load time grows
#: faster than the reaction count (BENCHMARKS.md: 4.7 s at 2,003 reactions, ×2.1–2.7 per
#: doubling; measured here: minutes and over 1.3 GB for a 1,000-input linear circuit of
#: 11,001 reactions).
MAX_REACTIONS = 10_000

# reactions per trainable parameter, rounded up from `sbmlcrn stats` (docs/design.md)
_REACTIONS_PER_PARAMETER = {
    ("linear", "exact"): 12,
    ("linear", "first-order"): 12,
    ("regression", "exact"): 30,
    ("regression", "first-order"): 16,
    ("regression", "linapprox"): 30,
    ("classification", "exact"): 24,
    ("classification", "first-order"): 12,
    ("classification", "linapprox"): 24,
    ("products", "squared"): 14,
    ("products", "squared-hinge"): 16,
    ("multiclass", "exact"): 24,
    ("multiclass", "first-order"): 12,
    ("multiclass", "linapprox"): 24,
}


def estimated_reactions(circuit: str, n_inputs: int, config: Config, n_classes: int = 2) -> int:
    """About how many reactions the training network of ``circuit`` has for ``n_inputs``
    inputs (an upper estimate from the per-parameter counts of ``sbmlcrn stats``)."""
    spec = circuit_spec(circuit)
    params = spec.parameter_count(config, n_inputs, n_classes)
    family = family_of(config)
    if family.name == "linear":
        key = ("linear", "exact")
    elif family.name == "products":
        key = ("products", config.loss_for(spec.task))  # type: ignore[union-attr]
    else:
        key = (spec.task, getattr(config, "gradient", "exact"))
    batch = int(getattr(config, "batch_size", 1))  # B slots of the per-sample part
    return batch * (_REACTIONS_PER_PARAMETER.get(key, 30) * params + 1)


def event_model_fits(n_samples: int, n_inputs: int) -> bool:
    """Whether the event model of ``n_samples`` rows of ``n_inputs`` inputs holds at most
    :data:`MAX_EVENT_MODEL_DATA_VALUES` data values (``samples × (inputs + 1)``)."""
    return int(n_samples) * (int(n_inputs) + 1) <= MAX_EVENT_MODEL_DATA_VALUES


def check_epochs(epochs: int | None) -> None:
    """Refuse more than :data:`MAX_EPOCHS` epochs (None: the circuit's default).

    Raises
    ------
    InputError
        ``epochs`` exceeds :data:`MAX_EPOCHS`.
    """
    if isinstance(epochs, int) and epochs > MAX_EPOCHS:
        raise InputError(
            f"--epochs {float(epochs):g} is too large; one model holds at most {MAX_EPOCHS:,} "
            "training steps (samples x epochs)."
        )


def check_stats_inputs(
    circuit: str,
    inputs: Sequence[int],
    *,
    gradient: str = "exact",
    nonlinearity: str = "quadratic",
    classes: int = 3,
    design: str | None = None,
) -> None:
    """Refuse input counts whose ``sbmlcrn stats`` network would not fit in memory.

    Parameters
    ----------
    circuit
        The circuit's name (an unknown name is refused with its nearest match).
    inputs
        The numbers of inputs D asked for.
    gradient, nonlinearity
        The options of a nonlinear circuit (ignored by linear circuits).
    classes
        The number of classes of a multiclass circuit.
    design
        The design of a nonlinear circuit (None: its default, the product units).

    Raises
    ------
    InputError
        An unknown circuit, more than :data:`MAX_STATS_INPUTS` inputs, or a network of more than
        :data:`MAX_STATS_REACTIONS` reactions.
    """
    circuit_kind(circuit)  # an unknown circuit: did-you-mean
    config = default_config(circuit, design)
    if isinstance(config, NonlinearConfig):
        config = NonlinearConfig(
            gradient=gradient, nonlinearity=nonlinearity, square=square_for(gradient)
        )
    for d in inputs:
        if d > MAX_STATS_INPUTS:
            raise InputError(f"--inputs {float(d):g} is too large; at most {MAX_STATS_INPUTS}.")
        if d >= 1 and estimated_reactions(circuit, d, config, classes) > MAX_STATS_REACTIONS:
            raise InputError(
                f"--inputs {float(d):g} would make a {circuit} network of about "
                f"{float(estimated_reactions(circuit, d, config, classes)):.3g} "
                f"reactions; stats builds networks of at most {MAX_STATS_REACTIONS:,}."
            )


def _size_cause(circuit: str, data: Dataset, config: Config, max_reactions: int | None) -> None:
    """Name the true cause of two size limits before the general checks of :func:`check_size`.

    The general checks would say "subsample the data to at most 0 rows" when the columns of one
    row alone exceed :data:`MAX_DATA_VALUES`, and "use fewer input columns" when a multiclass
    network is too large because of its classes; these cases are refused here instead.
    """
    d = data.n_inputs
    if d + 1 > MAX_DATA_VALUES:
        raise InputError(
            f"{data.name}: {d:,} input columns (+1 constant input) = {d + 1:,} values in every "
            f"row alone exceed the {MAX_DATA_VALUES:,} values one training model holds; use "
            "fewer input columns."
        )
    if data.y is None or circuit_spec(circuit).task != "multiclass":
        return
    limit = MAX_REACTIONS if max_reactions is None else int(max_reactions)
    classes = len(np.unique(data.y))
    reactions = estimated_reactions(circuit, d, config, classes)
    if reactions > limit and estimated_reactions(circuit, d, config, 2) <= limit:
        raise InputError(
            f"{data.name}: {classes:,} classes make a {circuit} training network of about "
            f"{reactions:,} reactions; at most {limit:,} are compiled (RoadRunner's compile "
            "time and memory grow faster than the network: seconds at 2,000 reactions, "
            "minutes at 10,000); use fewer classes (merge or drop some)."
        )


def check_size(
    circuit: str,
    data: Dataset,
    config: Config,
    *,
    max_reactions: int | None = None,
    engine: str = "events",
) -> None:
    """Refuse training data too large for one model, before anything is compiled.

    ``engine`` is the engine that will simulate the run: ``"phases"`` accepts up to
    :data:`MAX_PHASES_DATA_VALUES` data values, every other engine :data:`MAX_DATA_VALUES`.

    Raises
    ------
    InputError
        If ``samples × (inputs + 1)`` exceeds that limit, the network would exceed
        ``max_reactions`` (default :data:`MAX_REACTIONS`) reactions, or a value loaded
        unscaled (the augmentation, inputs with ``standardize=False``) exceeds
        :data:`MAX_CONCENTRATION`.
    """
    _size_cause(circuit, data, config, max_reactions)
    limit = MAX_REACTIONS if max_reactions is None else int(max_reactions)
    n, d = len(data), data.n_inputs
    aug = config.augmentation
    if aug is not None and abs(aug) > MAX_CONCENTRATION:
        raise InputError(
            f"--augmentation {aug:g} would load a constant input above the "
            f"{MAX_CONCENTRATION:g} the solver can integrate; use a value of order 1."
        )
    if not config.standardize and len(data):
        big = float(np.max(np.abs(data.x)))
        if big > MAX_CONCENTRATION:
            j = int(np.argmax(np.max(np.abs(data.x), axis=0)))
            raise InputError(
                f"{data.name}: input {data.features[j]!r} reaches {big:.3g}, loaded unscaled "
                f"(--no-standardize) above the {MAX_CONCENTRATION:g} the solver can integrate; "
                "keep inputs standardised or rescale the column."
            )
    values = n * (d + 1)
    if engine == "phases" and values > MAX_PHASES_DATA_VALUES:
        fit = MAX_PHASES_DATA_VALUES // (d + 1)
        raise InputError(
            f"{data.name}: {n:,} samples x {d + 1} columns = {values:,} values; a run of the "
            f"phases engine holds at most {MAX_PHASES_DATA_VALUES:,}: subsample the data to at "
            f"most {fit:,} rows."
        )
    if engine != "phases" and values > MAX_DATA_VALUES:
        fit = MAX_DATA_VALUES // (d + 1)
        raise InputError(
            f"{data.name}: {n:,} samples x {d + 1} columns = {values:,} values; one training "
            f"model holds at most {MAX_DATA_VALUES:,} (about 40 kB of memory each to compile "
            f"and simulate): subsample the data to at most {fit:,} rows"
            + (
                f", or train with the phases engine (--engine phases, engine='phases'), which "
                f"holds up to {MAX_PHASES_DATA_VALUES:,}."
                if engine == "events" and values <= MAX_PHASES_DATA_VALUES
                else "."
            )
        )
    # None: the product units' default epochs, at most MAX_PRODUCT_EPOCHS
    epochs = config.epochs if config.epochs is not None else MAX_PRODUCT_EPOCHS
    cycles = n * int(epochs)
    if cycles > MAX_CYCLES:
        raise InputError(
            f"{n:,} samples x {float(epochs):g} epochs = {float(cycles):.3g} training "
            f"steps; at most {MAX_CYCLES:,} fit in one model (lower --epochs)."
        )
    _check_rates(config, cycles)
    classes = 2
    if data.y is not None and circuit_spec(circuit).task == "multiclass":
        classes = len(np.unique(data.y))
    reactions = estimated_reactions(circuit, d, config, classes)
    if reactions > limit:
        raise InputError(
            f"{data.name}: {d:,} input columns make a {circuit} training network of about "
            f"{reactions:,} reactions; at most {limit:,} are compiled (RoadRunner's compile "
            "time and memory grow faster than the network: seconds at 2,000 reactions, "
            "minutes at 10,000); use fewer input columns."
        )


# ---------------------------------------------------------------------------------------------
# Numerical guard rails: refuse, before simulating, settings the solver cannot integrate.
# ---------------------------------------------------------------------------------------------

#: Largest concentration (data value, target, parameter or error, as loaded) accepted. Measured
#: with unstandardised linear-regression data: CVODE (rtol 1e-10) failed at a scale of 1e16 and
#: trained exactly at 1e14; above ~1e15 a rail's last digits are below double precision.
MAX_CONCENTRATION = 1e12

#: Largest annihilation rate (--annihilation). Measured on standardised data: CVODE failed at
#: 3,000 even with T = 0.1 (nonlinear classifier) and succeeded at 1,000 with T <= 0.3.
MAX_ANNIHILATION = 1000.0

#: Largest ``annihilation rate x longest phase`` (dimensionless). Measured on standardised
#: data with every circuit: CVODE failed from 700 (a 700 s backward phase, nonlinear) and 1,000
#: (linear: rate 1,000 with T = 1, or a 1,000 s backward phase) and succeeded up to 500.
MAX_STIFFNESS = 500.0

#: Latest training end time accepted: beyond it the event times (multiples of the period)
#: lose the precision that separates the phases.
MAX_END_TIME = 1e12

#: Growth of the training loss over its first epoch's value that counts as a gradient
#: explosion (a decreasing loss is the rule; 10,000x is divergence, not noise). Growth of
#: more than 10x in each of two consecutive epochs counts too (found by the property tests:
#: 4.3e3 → 1.6e5 → 6.1e6 over three epochs made CVODE fail).
EXPLOSION_FACTOR = 1e4


def _check_rates(config: Config, n_cycles: int) -> None:
    """Stiffness and duration limits that depend on the configuration alone."""
    # None: the product units' default, at most their margin's rate
    k_ann = float(config.annihilation if config.annihilation is not None else HINGE_ANNIHILATION)
    horizon = float(config.horizon)
    backward = float(config.backward) if config.backward is not None else horizon
    if k_ann > MAX_ANNIHILATION:
        raise InputError(
            f"--annihilation {k_ann:g} makes the training ODE too stiff for CVODE (rates above "
            f"{MAX_ANNIHILATION:g} failed to integrate); lower --annihilation."
        )
    for option, duration in (("--horizon", horizon), ("--backward", backward)):
        if k_ann * duration > MAX_STIFFNESS:
            raise InputError(
                f"--annihilation {k_ann:g} x {option} {duration:g} = {k_ann * duration:.4g} "
                f"exceeds {MAX_STIFFNESS:g}: the annihilation reactions make the ODE too stiff "
                f"for CVODE over so long a phase; lower --annihilation or {option}."
            )
    if isinstance(config, NonlinearConfig):
        c = config.coefficient
        if c * max(horizon, backward) > MAX_STIFFNESS:
            raise InputError(
                f"--degradation {c:g} x the longest phase {max(horizon, backward):g} = "
                f"{c * max(horizon, backward):.3g} exceeds {MAX_STIFFNESS:g}: the nonlinear "
                "term would blow up or be too stiff to integrate; lower --degradation, "
                "--horizon or --backward."
            )
    end = n_cycles * (horizon + backward)
    if not math.isfinite(end) or end > MAX_END_TIME:
        raise InputError(
            f"The training run would last t = {end:.3g} ({n_cycles:,} samples x epochs x "
            f"(--horizon {horizon:g} + --backward {backward:g})); at most {MAX_END_TIME:g}, "
            "beyond which event times lose precision; lower --horizon or --backward."
        )


def check_loaded(circuit: Circuit) -> None:
    """Refuse a compiled circuit whose loaded values (inputs, targets, initial parameters) or
    phases are beyond what the solver integrates; each message names the option to change."""
    cfg = circuit.config
    checks = (
        (
            "inputs",
            np.asarray(circuit.inputs, dtype=float),
            "keep inputs standardised (drop --no-standardize), or rescale the data columns",
        ),
        (
            "targets",
            np.asarray(circuit.targets, dtype=float),
            "use class values of order 1 (--class-values)"
            if circuit.task != "regression"
            else "standardise the targets (drop --no-standardize, or --standardize-target), "
            "or rescale the target column",
        ),
        (
            "initial parameters",
            np.asarray(circuit.theta0, dtype=float),
            "lower --init-scale" if isinstance(cfg, NonlinearConfig) else "use smaller init",
        ),
    )
    for what, values, advice in checks:
        scale = float(np.max(np.abs(values))) if values.size else 0.0
        if not math.isfinite(scale) or scale > MAX_CONCENTRATION:
            raise InputError(
                f"The training network's {what} would load concentrations of {scale:.3g}, above "
                f"the {MAX_CONCENTRATION:g} the solver can integrate at its precision; {advice}."
            )
    for phase in circuit.clock.phases:
        if cfg.annihilation * phase.duration > MAX_STIFFNESS:
            raise InputError(
                f"--annihilation {cfg.annihilation:g} x the {phase.name} phase "
                f"({phase.duration:g} s) = {cfg.annihilation * phase.duration:.3g} exceeds "
                f"{MAX_STIFFNESS:g}: too stiff for CVODE; lower --annihilation, --horizon or "
                "--backward."
            )


def check_test_scale(compiled: Circuit, test: Dataset) -> None:
    """Refuse, before training, test inputs the inference network cannot integrate.

    The test metric is computed after the whole training; a test value that the training
    data's standardisation maps beyond :data:`MAX_CONCENTRATION`
    (e.g. ``1e149``) made CVODE fail only then. The loaded values are checked here instead.
    """
    if not len(test):
        return
    loaded = np.abs(np.asarray(compiled.feature_map(test.x), dtype=float))
    if not loaded.size:
        return
    row, col = np.unravel_index(int(np.argmax(loaded)), loaded.shape)
    scale = float(loaded[row, col])
    if math.isfinite(scale) and scale <= MAX_CONCENTRATION:
        return
    column = test.features[col] if col < len(test.features) else "the constant input"
    value = float(test.x[row, col]) if col < test.x.shape[1] else float("nan")
    raise DataError(
        f"{test.name}: data row {row + 1}, column {column!r}: the value {value:.6g} "
        f"would load a concentration of {scale:.3g} into the inference network (after the "
        f"training data's standardisation), above the {MAX_CONCENTRATION:g} the solver can "
        "integrate; rescale the test data or drop the row."
    )


def check_forward_blowup(circuit: Circuit, ref: ReferenceRun) -> None:
    """Name the cause when the reference diverged because ``-c z^2`` blows up in the forward
    phase: ``z' = -c z^2`` from ``z0 < 0`` reaches infinity at ``t = 1 / (c |z0|)``, so an
    input with ``c |x| T >= 1`` cannot be simulated whatever the learning rate."""
    cfg = circuit.config
    if not isinstance(cfg, NonlinearConfig) or cfg.nonlinearity != "quadratic":
        return
    if np.all(np.isfinite(ref.theta)) and float(np.max(np.abs(ref.theta))) <= 1e12:
        return
    low = float(np.min(circuit.inputs))
    reach = cfg.coefficient * max(-low, 0.0) * cfg.horizon
    if reach >= 1.0:
        raise InputError(
            f"The forward phase blows up: the term -c z^2 (c = {cfg.coefficient:g}) takes the "
            f"loaded input {low:.3g} to infinity at t = {1 / (cfg.coefficient * -low):.3g}, "
            f"before the horizon T = {cfg.horizon:g} ends (c |x| T = {reach:.3g} >= 1); keep "
            "inputs standardised (no --no-standardize), or lower --horizon or --degradation."
        )


def check_numerics(circuit: Circuit, ref: ReferenceRun) -> None:
    """Refuse a run whose parameters or errors would overflow the solver's precision, or whose
    SGD explodes, as the numpy reference (which predicts every parameter and error the
    chemistry will hold) shows; each message names the option to change."""
    cfg = circuit.config
    lr = float(cfg.lr) if cfg.lr is not None else float("nan")
    for what, values, advice in (
        ("parameters", np.asarray(ref.theta_per_epoch, dtype=float), f"lower --lr (now {lr:.3g})"),
        ("errors", np.asarray(ref.errors, dtype=float), "lower --lr or --horizon"),
    ):
        scale = float(np.max(np.abs(values))) if values.size else 0.0
        if not math.isfinite(scale) or scale > MAX_CONCENTRATION:
            raise InputError(
                f"The training network's {what} would reach concentrations of {scale:.3g} "
                f"during training, above the {MAX_CONCENTRATION:g} the solver can integrate; "
                f"{advice}."
            )
    loss = np.asarray(ref.train_loss, dtype=float)
    if loss.size:
        base = max(float(loss[0]), 1e-6)
        exploded = ~np.isfinite(loss) | (loss > EXPLOSION_FACTOR * base)
        # or a loss that grows more than 10x in each of two consecutive epochs
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = loss[1:] / np.maximum(loss[:-1], 1e-300)
        twice = np.flatnonzero((ratio[1:] > 10.0) & (ratio[:-1] > 10.0)) + 2
        exploded[twice] = True
        grown = np.flatnonzero(exploded)
        if grown.size:
            k = int(grown[0])
            raise InputError(
                f"Gradient explosion: the training loss grows from {loss[0]:.3g} (epoch 1) to "
                f"{loss[k]:.3g} (epoch {k + 1}) in the reference SGD on this data; lower --lr "
                f"(now {lr:.3g})" + ("." if isinstance(cfg, LinearConfig) else " or --horizon.")
            )
