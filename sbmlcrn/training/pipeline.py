"""Training runs: compile → write → simulate the one SBML model → read, check, save.

:func:`train` never does learning arithmetic: it builds the training network, simulates the
SBML text in RoadRunner and *reads* the learned parameters from the parameter species. The
numpy reference runs alongside only to measure the deviation. :func:`save_run` writes a run
directory atomically (a temporary directory renamed at the end), so an interrupted or failed
run leaves no half-written output.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import platform
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn._version import __version__
from sbmlcrn.circuits.linear import (
    MAX_CYCLES,
    FeatureMap,
    LinearCircuit,
    LinearConfig,
    compile_linear,
    encode_targets,
    inference_network,
    rails,
)
from sbmlcrn.circuits.nonlinear import (
    NonlinearCircuit,
    NonlinearConfig,
    compile_nonlinear,
    encode_labels,
    nonlinear_inference_network,
    topology,
)
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network
from sbmlcrn.errors import DataError, InputError, SimulationError
from sbmlcrn.io.atomic import atomic_output_dir, check_output_dir
from sbmlcrn.io.sbml import to_antimony, to_sbml
from sbmlcrn.reference import ReferenceRun, linear_sgd, nonlinear_sgd
from sbmlcrn.simulate import Tolerances, roadrunner_version, simulate, simulate_batch
from sbmlcrn.training.checkpoint import CheckpointStore, simulate_checkpointed

__all__ = [
    "CIRCUITS",
    "ENGINES",
    "EXPLOSION_FACTOR",
    "MAX_ANNIHILATION",
    "MAX_CONCENTRATION",
    "MAX_DATA_VALUES",
    "MAX_END_TIME",
    "MAX_REACTIONS",
    "MAX_STIFFNESS",
    "RUN_FILES",
    "TrainedModel",
    "TrainingRun",
    "check_out_dir",
    "circuit_task",
    "effective_model",
    "load_model",
    "predict",
    "reference_run",
    "save_run",
    "train",
]

#: How :func:`train` simulates the training: the one SBML model with its events, or its
#: event-free network driven phase by phase on one loaded model.
ENGINES = ("events", "phases")

CIRCUITS: Mapping[str, str] = {
    "linear-regression": "regression",
    "linear-classification": "classification",
    "nonlinear-regression": "regression",
    "nonlinear-classification": "classification",
    "nonlinear-multiclass": "multiclass",
}

Config = LinearConfig | NonlinearConfig
Circuit = LinearCircuit | NonlinearCircuit


def circuit_kind(name: str) -> str:
    """``linear`` or ``nonlinear`` (the family of circuit ``name``)."""
    circuit_task(name)
    return "linear" if name.startswith("linear-") else "nonlinear"


def default_config(name: str) -> Config:
    """The default hyper-parameters of circuit ``name``."""
    return LinearConfig() if circuit_kind(name) == "linear" else NonlinearConfig()


def _check_config(name: str, config: Config | None) -> Config:
    if config is None:
        return default_config(name)
    want = LinearConfig if circuit_kind(name) == "linear" else NonlinearConfig
    if not isinstance(config, want):
        raise InputError(
            f"The config parameter of train must be a {want.__name__} for circuit {name!r}. "
            f"Got {type(config).__name__} instead."
        )
    return config


def circuit_task(name: str) -> str:
    """The task of circuit ``name``; unknown names get a did-you-mean suggestion."""
    if name in CIRCUITS:
        return CIRCUITS[name]
    import difflib

    close = difflib.get_close_matches(name, list(CIRCUITS), n=1, cutoff=0.4)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InputError(f"Unknown circuit {name!r}; known circuits: {', '.join(CIRCUITS)}.{hint}")


# ---------------------------------------------------------------------------------------------
# Size guard rails: refuse, before compiling, inputs that would exhaust memory or take hours.
# ---------------------------------------------------------------------------------------------

#: Most data values (samples × (inputs + 1)) one training model may hold. The data sit in the
#: model's event lookups: measured 10,000 samples × 3 values = a 50 MB SBML file, 5 s to build,
#: 24 s to load in RoadRunner and 1.2 GB of peak memory, all growing linearly (so the largest
#: model stays under :data:`sbmlcrn.validation.safexml.MAX_SBML_BYTES`).
MAX_DATA_VALUES = 30_000

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
    ("classification", "exact"): 24,
    ("classification", "first-order"): 12,
    ("multiclass", "exact"): 24,
    ("multiclass", "first-order"): 12,
}


def estimated_reactions(circuit: str, n_inputs: int, config: Config, n_classes: int = 2) -> int:
    """About how many reactions the training network of ``circuit`` has for ``n_inputs``
    inputs (an upper estimate from the per-parameter counts of ``sbmlcrn stats``)."""
    task = circuit_task(circuit)
    channels = n_inputs + (config.augmentation is not None)
    if circuit_kind(circuit) == "linear":
        params, key = channels, ("linear", "exact")
    else:
        gradient = getattr(config, "gradient", "exact")
        if task == "regression":
            params = channels
        elif task == "classification":
            params = channels * channels
        else:
            params = max(n_classes, 2) * channels
        key = (task, gradient)
    return _REACTIONS_PER_PARAMETER.get(key, 30) * params + 1


def check_size(
    circuit: str, data: Dataset, config: Config, *, max_reactions: int | None = None
) -> None:
    """Refuse training data too large for one model, before anything is compiled.

    Raises
    ------
    InputError
        If ``samples × (inputs + 1)`` exceeds :data:`MAX_DATA_VALUES`, the network would
        exceed ``max_reactions`` (default :data:`MAX_REACTIONS`) reactions, or a value loaded
        unscaled (the augmentation, inputs with ``standardize=False``) exceeds
        :data:`MAX_CONCENTRATION`.
    """
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
    if values > MAX_DATA_VALUES:
        fit = MAX_DATA_VALUES // (d + 1)
        raise InputError(
            f"{data.name}: {n:,} samples x {d + 1} columns = {values:,} values; one training "
            f"model holds at most {MAX_DATA_VALUES:,} (about 40 kB of memory each to compile "
            f"and simulate): subsample the data to at most {fit:,} rows."
        )
    cycles = n * int(config.epochs)
    if cycles > MAX_CYCLES:
        raise InputError(
            f"{n:,} samples x {float(config.epochs):g} epochs = {float(cycles):.3g} training "
            f"steps; at most {MAX_CYCLES:,} fit in one model (lower --epochs)."
        )
    _check_rates(config, cycles)
    classes = 2
    if data.y is not None and circuit_task(circuit) == "multiclass":
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
    k_ann = float(config.annihilation)
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


@dataclass(frozen=True)
class TrainedModel:
    """What prediction needs: the task, the resolved config, the loading step and θ."""

    circuit: str
    features: tuple[str, ...]
    config: Config
    feature_map: FeatureMap
    parameters: Mapping[str, float]
    classes: tuple[float, ...] = ()

    @property
    def task(self) -> str:
        """``regression``, ``classification`` or ``multiclass``."""
        return CIRCUITS[self.circuit]

    def theta(self) -> np.ndarray:
        """Parameters in channel (connection) order."""
        return np.array(list(self.parameters.values()), dtype=float)

    def inference_network(self) -> Network:
        """The forward-only inference network with the learned parameters."""
        if isinstance(self.config, LinearConfig):
            return inference_network(self.task, self.theta(), self.config, len(self.features))
        return nonlinear_inference_network(
            self.task, self.theta(), self.config, len(self.features), max(len(self.classes), 2)
        )

    def inference_sbml(self) -> str:
        """SBML of the forward-only inference network with the learned parameters."""
        return to_sbml(self.inference_network())


@dataclass(frozen=True)
class TrainingRun:
    """Everything a training run produced (see :func:`train`)."""

    circuit_name: str
    circuit: Circuit
    sbml: str
    antimony: str
    parameters: Mapping[str, float]
    parameter_trajectory: np.ndarray
    train_loss: np.ndarray
    reference: ReferenceRun
    max_abs_deviation: float
    test: Mapping[str, float] | None
    test_predictions: np.ndarray | None
    timings: Mapping[str, float]
    test_data: Dataset | None = field(default=None, repr=False)
    train_data: Dataset | None = field(default=None, repr=False)
    engine: str = "events"

    @property
    def model(self) -> TrainedModel:
        """The trained model, for prediction."""
        return TrainedModel(
            self.circuit_name,
            self.circuit.features,
            self.circuit.config,
            self.circuit.feature_map,
            self.parameters,
            getattr(self.circuit, "classes", ()),
        )


def train(
    circuit: str,
    data: Dataset,
    *,
    test: Dataset | None = None,
    config: Config | None = None,
    tolerances: Tolerances | None = None,
    progress: Callable[[str], None] | None = None,
    max_deviation: float | None = None,
    checkpoint: CheckpointStore | None = None,
    max_reactions: int | None = None,
    engine: str = "events",
) -> TrainingRun:
    """Train ``circuit`` on ``data`` by simulating its one SBML training model.

    Parameters
    ----------
    circuit
        One of :data:`CIRCUITS`.
    data
        Training data (with a target; labels 0/1 for classification, 0…K−1 for multiclass).
    test
        Optional test data; its metric (``mse`` or ``accuracy``) is computed by the CRN
        inference network.
    config
        Hyper-parameters: a :class:`~sbmlcrn.circuits.linear.LinearConfig` for linear
        circuits, a :class:`~sbmlcrn.circuits.nonlinear.NonlinearConfig` for the others.
    tolerances
        CVODE settings.
    progress
        Called with a short status line before each stage.
    max_deviation
        Largest accepted difference between the CRN's and the reference's parameters,
        relative to ``max(1, max |θ|)`` (default 1e-6 for linear circuits, whose chemistry is
        exact, and 1e-4 for nonlinear ones, the bound the reference's own ODE solver and
        CVODE are checked to); a larger one raises
        :class:`~sbmlcrn.errors.SimulationError` instead of returning wrong parameters.
    checkpoint
        Store the simulation's state there after every epoch
        (:class:`~sbmlcrn.training.checkpoint.CheckpointStore`); with ``resume=True`` on the store,
        continue an interrupted run from its last stored epoch (same final result). The caller
        removes the store when the run is saved (``checkpoint.clear()``).
    max_reactions
        Largest training network accepted (default :data:`MAX_REACTIONS`); see also
        :data:`MAX_DATA_VALUES`. Larger inputs raise :class:`~sbmlcrn.errors.InputError`
        before anything is compiled.
    engine
        How the training is simulated (:data:`ENGINES`). ``"events"`` (default) simulates
        the one SBML training model, whose time events switch the phases and load the
        samples: the standard artifact, exactly as COPASI or Tellurium would run it.
        ``"phases"`` loads the same network without its events once and stops CVODE at every
        phase boundary, setting what the events would set (gates, the sample's data, cleared
        transients: the values the events' own lookups give); the learning is the same
        chemistry. Same parameters to ~1e-11 (tested ≤ 1e-9 relative); 2.9× faster with
        10,000 samples because the event-free model holds no data and compiles faster,
        0.75–1.4× on ordinary runs (see BENCHMARKS.md). ``model.xml`` is the one SBML model
        either way. Checkpoints (``--resume``) need ``"events"``.

    Returns
    -------
    TrainingRun
        Learned parameters read from the simulated parameter species, the reference SGD run
        and their largest absolute deviation, the training loss per epoch, test metrics.
    """
    say = progress or (lambda _msg: None)
    if engine not in ENGINES:
        raise InputError(
            f"The engine parameter of train must be one of {', '.join(ENGINES)}. Got "
            f"{engine!r} instead."
        )
    if engine == "phases" and checkpoint is not None and checkpoint.resume:
        raise InputError(
            "--resume continues a run of the events engine; a run with --engine phases keeps "
            "no checkpoint: run it afresh."
        )
    task = circuit_task(circuit)
    config = _check_config(circuit, config)
    check_size(circuit, data, config, max_reactions=max_reactions)
    linear = isinstance(config, LinearConfig)
    if max_deviation is None:
        max_deviation = 1e-6 if linear else 1e-4
    if test is not None and set(test.features) == set(data.features):
        order = [test.features.index(f) for f in data.features]
        test = Dataset(data.features, test.x[:, order], test.y, test.target, name=test.name)
    if test is not None and test.features != data.features:
        raise DataError(
            f"The test data's input columns {list(test.features)} differ from the training "
            f"data's {list(data.features)}."
        )
    if test is not None and test.y is not None and isinstance(config, LinearConfig):
        encode_targets(task, test.y, config, source=test.name)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    compiled: Circuit
    if isinstance(config, LinearConfig):
        compiled = compile_linear(task, data, config)
    else:
        compiled = compile_nonlinear(task, data, config)
        if test is not None and test.y is not None and task != "regression":
            encode_labels(task, test.y, compiled.config, compiled.classes, test.name)
    check_loaded(compiled)
    sbml = to_sbml(compiled.network)
    antimony = to_antimony(compiled.network)
    timings["build_s"] = time.perf_counter() - t0
    cfg = compiled.config
    say(
        f"training {circuit}: {len(data)} samples x {cfg.epochs} epochs, "
        f"{compiled.network.stats()['reactions']} reactions, simulating to t = "
        f"{compiled.clock.end_time:g}"
    )
    err_times = compiled.forward_error_times()
    epoch_times = compiled.epoch_start_times()
    end = compiled.clock.end_time
    grid = np.unique(np.array([0.0, *epoch_times, *err_times, end]))
    pspecies = compiled.parameter_species
    err_species = compiled.error_species
    watched = [*(s for pair in err_species for s in pair)]
    watched += [s for pair in pspecies.values() for s in pair]
    n_epochs = cfg.epochs

    epoch_at = np.asarray(epoch_times, dtype=float)
    err_at = np.asarray(err_times, dtype=float)
    show_epoch = getattr(progress, "epoch", None)

    def epoch_done(t: float, end_time: float, rows: Mapping[str, np.ndarray]) -> None:
        """Report the epoch that ended at ``t`` with the loss its errors give (read from the
        rows just simulated: the same values the final loss curve uses)."""
        slack = 1e-9 * max(1.0, end_time)
        done = n_epochs if t >= end_time - slack else int(np.sum(epoch_at <= t + slack)) - 1
        want = err_at[(done - 1) * len(data) : done * len(data)]
        at = np.clip(np.searchsorted(rows["time"], want - slack), 0, len(rows["time"]) - 1)
        loss = None
        if done >= 1 and np.all(np.abs(rows["time"][at] - want) <= slack):
            e = np.stack([rows[p][at] - rows[m][at] for p, m in err_species], axis=1)
            loss = float(0.5 * np.mean(np.sum(e**2, axis=1)))
        if show_epoch is not None:
            show_epoch(done, n_epochs, loss)
        else:
            tail = f", loss {loss:.6g}" if loss is not None else ""
            say(f"epoch {done}/{n_epochs} simulated{tail}")

    t0 = time.perf_counter()
    ref = reference_run(compiled)
    timings["reference_s"] = time.perf_counter() - t0
    check_forward_blowup(compiled, ref)
    if not np.all(np.isfinite(ref.theta)) or float(np.max(np.abs(ref.theta))) > 1e12:
        raise InputError(
            f"SGD diverges with learning rate {cfg.lr:.3g} and horizon {cfg.horizon:g} on this "
            "data (the reference's parameters or states blow up); lower --lr or --horizon"
            + ("." if linear else ", or keep inputs standardised.")
        )
    check_numerics(compiled, ref)
    if show_epoch is not None:
        progress.start(n_epochs)  # type: ignore[union-attr]
    t0 = time.perf_counter()
    try:
        if engine == "phases":
            from sbmlcrn.training.stochastic import drive

            def drive_epoch(done: int, total: int, loss: float) -> None:
                if show_epoch is not None:
                    show_epoch(done, total, loss)
                elif progress is not None:
                    say(f"epoch {done}/{total} simulated, loss {loss:.6g}")

            driven = drive(compiled, tolerances=tolerances, epoch_done=drive_epoch)
            learned = dict(zip(pspecies, map(float, driven.theta), strict=True))
            trajectory = np.asarray(driven.trajectory, dtype=float)
            errors = np.asarray(driven.errors, dtype=float)
        else:
            run_simulation = simulate
            if checkpoint is not None:
                run_simulation = functools.partial(simulate_checkpointed, store=checkpoint)
            sim = run_simulation(
                sbml,
                grid,
                species=watched,
                tolerances=tolerances,
                breakpoints=epoch_times[1:],  # mid-forward: no event fires there
                progress=epoch_done if progress is not None else None,
            )

            def signed(pair: tuple[str, str], times: list[float]) -> np.ndarray:
                rows = np.searchsorted(sim.times, times)
                return sim[pair[0]][rows] - sim[pair[1]][rows]

            learned = {n: sim.final[p] - sim.final[m] for n, (p, m) in pspecies.items()}
            trajectory = np.column_stack([signed(pair, epoch_times) for pair in pspecies.values()])
            trajectory = np.vstack([trajectory, np.array(list(learned.values()))])
            errors = np.stack(
                [signed(pair, err_times).reshape(cfg.epochs, len(data)) for pair in err_species],
                axis=2,
            )
    except BaseException as exc:
        if show_epoch is not None:
            progress.close()  # type: ignore[union-attr]  # end the bar line
        if not isinstance(exc, SimulationError):
            raise
        raise SimulationError(
            f"{exc} — the training model could not be simulated; values of very different "
            "scales make it stiff: keep inputs and targets standardised (the default), or "
            "change --lr, --horizon or --annihilation."
        ) from exc
    timings["simulate_s"] = time.perf_counter() - t0
    train_loss = 0.5 * np.mean(np.sum(errors**2, axis=2), axis=1)

    deviation = float(np.max(np.abs(np.array(list(learned.values())) - ref.theta)))
    scale = max(1.0, float(np.max(np.abs(ref.theta))))
    if not math.isfinite(deviation) or deviation > max_deviation * scale:
        per_rail = getattr(cfg, "square", "") == "per-rail"
        raise SimulationError(
            f"The parameters the chemistry learned differ from the reference SGD by "
            f"{deviation:.3g} (allowed: {max_deviation:g} x max(1, |theta|) = "
            f"{max_deviation * scale:.3g}); "
            + (
                "the per-rail square equals -c z|z| only while one rail is 0: raise "
                "--annihilation (or use the exact signed square)."
                if per_rail
                else "the model is numerically unreliable with these settings (an extreme "
                "--annihilation or --horizon, or unscaled data)."
            )
        )

    if test is not None:
        say(f"evaluating on {len(test)} test samples with the inference network")
    return finish_run(
        circuit,
        compiled,
        sbml=sbml,
        antimony=antimony,
        learned=learned,
        trajectory=trajectory,
        train_loss=train_loss,
        reference=ref,
        deviation=deviation,
        data=data,
        test=test,
        timings=timings,
        tolerances=tolerances,
        engine=engine,
    )


def finish_run(
    circuit: str,
    compiled: Circuit,
    *,
    sbml: str,
    antimony: str,
    learned: Mapping[str, float],
    trajectory: np.ndarray,
    train_loss: np.ndarray,
    reference: ReferenceRun,
    deviation: float,
    data: Dataset,
    test: Dataset | None,
    timings: dict[str, float],
    tolerances: Tolerances | None = None,
    engine: str = "events",
) -> TrainingRun:
    """The :class:`TrainingRun` of a simulated training (deterministic, stochastic or with a
    chemical clock): the test metric from the CRN inference network with the ``learned``
    parameters (its time added to ``timings`` as ``test_s``), and every result in one record.
    """
    metrics = None
    preds = None
    if test is not None:
        run_model = TrainedModel(
            circuit,
            data.features,
            compiled.config,
            compiled.feature_map,
            learned,
            getattr(compiled, "classes", ()),
        )
        t0 = time.perf_counter()
        preds = predict(run_model, test.x, tolerances=tolerances)
        metrics = evaluate(circuit_task(circuit), preds, test, compiled.config)
        timings["test_s"] = time.perf_counter() - t0
    return TrainingRun(
        circuit_name=circuit,
        circuit=compiled,
        sbml=sbml,
        antimony=antimony,
        parameters=learned,
        parameter_trajectory=trajectory,
        train_loss=train_loss,
        reference=reference,
        max_abs_deviation=deviation,
        test=metrics,
        test_predictions=preds,
        timings=timings,
        test_data=test,
        train_data=data,
        engine=engine,
    )


@np.errstate(over="ignore", invalid="ignore")  # a diverging SGD is reported, not warned about
def reference_run(circuit: Circuit) -> ReferenceRun:
    """The numpy reference SGD on the same loaded data, targets, θ₀ and hyper-parameters.

    For nonlinear circuits the errors are ``epochs × n × K``; for linear ones ``epochs × n``.
    """
    if isinstance(circuit, NonlinearCircuit):
        return nonlinear_sgd(
            circuit.model(),
            circuit.inputs,
            circuit.targets,
            circuit.theta0,
            lr=float(circuit.config.lr),  # type: ignore[arg-type]
            epochs=circuit.config.epochs,
            exact=circuit.config.gradient == "exact",
        )
    cfg = circuit.config
    return linear_sgd(
        circuit.inputs,
        circuit.targets,
        circuit.theta0,
        horizon=cfg.horizon,
        lr=float(cfg.lr),  # type: ignore[arg-type]
        epochs=cfg.epochs,
        bias=cfg.bias,
    )


def evaluate(task: str, predictions: np.ndarray, data: Dataset, config: Config) -> dict[str, float]:
    """``mse`` (regression) or ``accuracy`` (classification) of predictions on ``data``."""
    if data.y is None:
        raise DataError(f"{data.name}: evaluation needs a target column.")
    if task == "regression":
        return {"mse": float(np.mean((predictions - data.y) ** 2)), "n": len(data)}
    if isinstance(config, LinearConfig):
        encode_targets(task, data.y, config, source=data.name)  # checks the labels
    return {"accuracy": float(np.mean(predictions == data.y)), "n": len(data)}


def predict(
    model: TrainedModel,
    x: np.ndarray,
    *,
    tolerances: Tolerances | None = None,
    network: Network | None = None,
) -> np.ndarray:
    """Predict with the CRN inference network (simulated in RoadRunner), one sample at a time.

    The host only loads each sample (the stored standardisation, then dual rails) and reads the
    output species; regression returns ``ŷ``, classification the label 0/1 (``ŷ`` above the
    midpoint of the class values), multiclass the label of the largest output.

    Parameters
    ----------
    model
        The trained model.
    x
        Raw inputs, one row per sample (a single sample may be 1-D).
    tolerances
        Integrator tolerances (default: the simulator's).
    network
        The inference network to simulate instead of ``model.inference_network()``, e.g. one
        with perturbed rate constants; it must load and read the same species.

    Returns
    -------
    np.ndarray
        One prediction per sample.
    """
    raw = np.atleast_2d(np.asarray(x, dtype=float))
    if raw.shape[1] != len(model.features):
        raise DataError(
            f"The data must have {len(model.features)} input columns "
            f"({', '.join(model.features)}). Got {raw.shape[1]}."
        )
    x_tilde = model.feature_map(raw)
    initial: dict[str, np.ndarray] = {}

    def load(base: str, column: np.ndarray) -> None:
        r = np.array([rails(v) for v in column]).reshape(-1, 2)
        initial[f"{base}_p"] = r[:, 0]
        initial[f"{base}_m"] = r[:, 1]

    for j in range(len(model.features)):
        load(f"x{j + 1}", x_tilde[:, j])
    net = network if network is not None else model.inference_network()
    outs = list(net.readouts)
    if isinstance(model.config, NonlinearConfig):
        aug = model.config.augmentation is not None
        top = topology(model.task, x_tilde.shape[1], aug, max(len(model.classes), 2))
        for i, u in enumerate(top.units):
            src = top.sources[i]
            if src >= 0 and top.channels[src] != "b":
                load(f"z{u}", x_tilde[:, src])
    out = simulate_batch(
        to_sbml(net),
        model.config.horizon,
        initial,
        [s for ro in outs for s in (ro.plus, ro.minus)],
        tolerances=tolerances,
    )
    values = np.column_stack([np.asarray(out[ro.plus]) - np.asarray(out[ro.minus]) for ro in outs])
    lo, hi = model.config.class_values
    if model.task == "multiclass":
        pick = np.argmax(values, axis=1) if hi > lo else np.argmin(values, axis=1)
        return np.asarray(model.classes)[pick]
    y_hat = model.feature_map.decode_output(values[:, 0])
    if model.task == "classification":
        # label 1 on the side of the midpoint where its class value lies (values may decrease)
        return ((y_hat - 0.5 * (lo + hi)) * np.sign(hi - lo) > 0).astype(float)
    return y_hat


def effective_model(model: TrainedModel) -> dict[str, Any] | None:
    """The learned predictor as an affine function of the *raw* inputs.

    ``ŷ = Σ_i coef_i · x_i + intercept``, from ``ŷ = Σ x̃ (1 + T θ) + D T h`` and the loading
    step, in raw target units (the target scaling undone). For classifiers, label 1 is
    predicted where ``ŷ > threshold``. Reporting only: the network never uses these numbers.
    None for nonlinear circuits (no affine form).
    """
    cfg = model.config
    if not isinstance(cfg, LinearConfig):
        return None
    theta = model.theta()
    gain = 1.0 + cfg.horizon * theta
    d = len(model.features)
    mean = np.asarray(model.feature_map.mean) if model.feature_map.mean else np.zeros(d)
    scale = np.asarray(model.feature_map.scale) if model.feature_map.scale else np.ones(d)
    coef = gain[:d] / scale
    intercept = float(-np.sum(mean * coef)) + len(theta) * cfg.horizon * cfg.bias
    if cfg.augmentation is not None:
        intercept += float(cfg.augmentation) * float(gain[d])
    fmap = model.feature_map
    coef = coef * fmap.target_scale
    intercept = fmap.target_mean + fmap.target_scale * intercept
    out: dict[str, Any] = {
        "coef": dict(zip(model.features, map(float, coef), strict=True)),
        "intercept": float(intercept),
    }
    if model.task == "classification":
        out["threshold"] = 0.5 * (cfg.class_values[0] + cfg.class_values[1])
    return out


def software_versions() -> dict[str, str]:
    """Versions of sbmlcrn and the simulation stack."""
    import antimony
    import libsbml

    return {
        "sbmlcrn": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "libroadrunner": roadrunner_version(),
        "antimony": str(getattr(antimony, "__version__", "unknown")),
        "python-libsbml": libsbml.getLibSBMLDottedVersion(),
    }


def _config_dict(cfg: Config) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


def result_dict(run: TrainingRun) -> dict[str, Any]:
    """The JSON content of ``result.json`` for ``run``."""
    c = run.circuit
    model = run.model
    return {
        "circuit": run.circuit_name,
        "task": c.task,
        "inputs": list(c.features),
        "target": run.train_data.target if run.train_data is not None else None,
        "parameters": dict(run.parameters),
        "parameter_species": {k: list(v) for k, v in c.parameter_species.items()},
        "training_end_time": c.clock.end_time,
        "reference_parameters": dict(
            zip(c.parameter_names, map(float, run.reference.theta), strict=True)
        ),
        "max_abs_deviation": run.max_abs_deviation,
        "train_loss": [float(v) for v in run.train_loss],
        "reference_train_loss": [float(v) for v in run.reference.train_loss],
        "test": dict(run.test) if run.test is not None else None,
        "effective_model": effective_model(model),
        "classes": list(model.classes),
        "config": _config_dict(c.config),
        "feature_map": c.feature_map.to_dict(),
        "network": c.network.stats(),
        "schedule": {
            "samples": c.clock.n_samples,
            "epochs": c.clock.epochs,
            "period": c.clock.period,
            "phases": [{"name": p.name, "duration": p.duration} for p in c.clock.phases],
        },
        "engine": run.engine,
        "timings": dict(run.timings),
        "software": software_versions(),
    }


#: The files :func:`save_run` writes; a directory holding anything else is not replaced.
RUN_FILES = frozenset(
    {"model.xml", "model.ant", "result.json", "loss.png", "decision.png", "predictions.png"}
)


def check_out_dir(out: str | Path) -> Path:
    """Refuse an output path that :func:`save_run` must not write or replace.

    ``out`` may not exist yet (its nearest existing ancestor must be a directory), may be an
    empty directory, or may be a previous run holding only the files of a run.
    """
    return check_output_dir(
        out, files=RUN_FILES, marker="result.json", what="a previous sbmlcrn run"
    )


def save_run(
    run: TrainingRun,
    out: str | Path,
    *,
    plots: bool = True,
    sections: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model.xml``, ``model.ant``, ``result.json`` and plots into directory ``out``.

    Files go to a temporary sibling directory first, which becomes ``out`` only when
    everything is written (into an existing ``out``, the files are moved one by one,
    ``result.json`` last). An existing ``out`` is replaced only if it is empty or holds a
    previous run (a ``result.json``); any other existing path is refused. ``sections`` adds
    top-level entries to ``result.json`` (e.g. a stochastic run's ``stochastic`` section).
    """
    target = check_out_dir(out)
    result = result_dict(run) | dict(sections or {})
    with atomic_output_dir(target, files=RUN_FILES, marker="result.json") as tmp:
        (tmp / "model.xml").write_text(run.sbml, encoding="utf-8")
        (tmp / "model.ant").write_text(run.antimony, encoding="utf-8")
        (tmp / "result.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        if plots:
            from sbmlcrn.training.plots import plot_decision, plot_loss, plot_predictions

            plot_loss(run, tmp / "loss.png")
            if run.circuit.task == "classification" and len(run.circuit.features) == 2:
                plot_decision(run, tmp / "decision.png")
            if run.circuit.task == "regression" and run.test_predictions is not None:
                plot_predictions(run, tmp / "predictions.png")
    return target


def load_model(run_dir: str | Path) -> TrainedModel:
    """Read the trained model of a run directory written by :func:`save_run`."""
    path = Path(run_dir) / "result.json"
    if not path.is_file():
        raise InputError(f"{run_dir}: not a training run directory (no result.json).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        circuit = data["circuit"]
        kind = LinearConfig if circuit_kind(circuit) == "linear" else NonlinearConfig
        fields = {f.name for f in dataclasses.fields(kind)}
        cfg = {
            k: tuple(v) if isinstance(v, list) else v
            for k, v in data["config"].items()
            if k in fields
        }
        return TrainedModel(
            circuit=circuit,
            features=tuple(data["inputs"]),
            config=kind(**cfg),
            feature_map=FeatureMap.from_dict(data["feature_map"]),
            parameters={k: float(v) for k, v in data["parameters"].items()},
            classes=tuple(float(c) for c in data.get("classes", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: is not a valid sbmlcrn result ({exc}).") from exc
