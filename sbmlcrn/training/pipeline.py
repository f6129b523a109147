"""The one training pipeline: compile → transform → write → run (engine) → check → result.

:func:`train` never does learning arithmetic: it compiles the circuit's training network,
applies the requested network transforms (chemical clock, molecule scaling), writes the SBML,
simulates it with an engine (events; phase by phase with CVODE or Gillespie) and *reads* the
learned parameters from the parameter species. The numpy reference runs alongside only to
check the chemistry: a deterministic event-gated run must match it, or
:class:`~sbmlcrn.errors.SimulationError` is raised instead of returning wrong parameters.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from sbmlcrn.circuits.chemclock import ChemicalClockConfig
from sbmlcrn.circuits.products import ProductConfig
from sbmlcrn.circuits.registry import Circuit, Config, circuit_spec, family_of, reference_run
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import DataError, InputError, SimulationError
from sbmlcrn.reference import ReferenceRun
from sbmlcrn.simulate import Tolerances
from sbmlcrn.training.checkpoint import CheckpointStore
from sbmlcrn.training.engines import EngineResult, check_engine, run_engine, stochastic_info
from sbmlcrn.training.limits import (
    check_forward_blowup,
    check_loaded,
    check_numerics,
    check_size,
    check_test_scale,
)
from sbmlcrn.training.model import TrainedModel, evaluate, predict
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.transforms import TrainingModel, check_molecules, prepare

__all__ = [
    "build_model",
    "check_deviation",
    "check_reference",
    "default_tolerances",
    "finish_run",
    "simulate_model",
    "train",
    "trained_model",
]


def _aligned_test(
    spec_task: str, family: Any, data: Dataset, test: Dataset | None, config: Config
) -> Dataset | None:
    """``test`` with its columns in the training data's order; its labels checked."""
    if test is None:
        return None
    if set(test.features) == set(data.features):
        order = [test.features.index(f) for f in data.features]
        test = Dataset(data.features, test.x[:, order], test.y, test.target, name=test.name)
    if test.features != data.features:
        raise DataError(
            f"The test data's input columns {list(test.features)} differ from the training "
            f"data's {list(data.features)}."
        )
    if test.y is not None:
        family.check_test_labels(spec_task, test.y, None, config, test.name)
    return test


def _describe(name: str, model: TrainingModel, n: int, seed: int) -> str:
    cfg = model.circuit.config
    end = model.circuit.clock.end_time
    if model.molecules is not None:
        return (
            f"training {name} stochastically: {model.molecules} molecules per unit, {n} "
            f"samples x {cfg.epochs} epochs, Gillespie seed {seed}, phase by phase to t = "
            f"{end:g}"
        )
    clock = model.sections.get("clock")
    if clock is not None:
        return (
            f"training {name} with a chemical clock ({clock['ring_species']}-species ring, "
            f"floor {clock['floor']:g}, {'re-armed' if clock['rearm'] else 'free-running'}"
            f"): {n} samples x {cfg.epochs} epochs, to t = {end:g}"
        )
    return (
        f"training {name}: {n} samples x {cfg.epochs} epochs, "
        f"{model.circuit.network.stats()['reactions']} reactions, simulating to t = {end:g}"
    )


#: Annihilation rate from which training starts with CVODE's BDF method (stiff) instead of
#: trying Adams first.
STIFF_ANNIHILATION = 10.0


def default_tolerances(compiled: Circuit) -> Tolerances | None:
    """The CVODE settings of a training run of ``compiled`` when the caller gives none
    (:func:`tolerances_for` its config and task)."""
    return tolerances_for(compiled.config, compiled.task)


def tolerances_for(config: Config, task: str) -> Tolerances | None:
    """The CVODE settings of a training run when the caller gives none, from the circuit's
    (resolved) ``config`` and ``task`` alone (what a run record holds): BDF from the start if
    the annihilation rate is at least :data:`STIFF_ANNIHILATION`, else the simulator's default
    (Adams, then BDF if Adams fails).

    Decision: fast annihilation makes the model stiff once the rails grow, Adams then fails
    mid-run and the BDF retry starts again from t = 0. Measured with the authors' settings
    (annihilation 100): rings quadratic 3 epochs 13.7 s (Adams, then BDF) vs 6.9 s (BDF),
    x1·x2 + x2² first-order 1.6 s vs 0.39 s; XOR quadratic 2.2 s vs 2.0 s. At the default
    rate 1, Adams stays 2–3× faster (:class:`~sbmlcrn.simulate.Tolerances`). The product
    units' hinge has its own rule (below); their squared loss annihilates at rate 1.
    """
    hinge = isinstance(config, ProductConfig) and config.loss_for(task) != "squared"
    if hinge:
        # Decision: the product units' cost is the hinge's stiff margin annihilation. BDF at
        # rtol 1e-8 stays within 4e-8 of the closed-form reference (bound 1e-6) and was the
        # fastest whole run (defaults, seed 0, idle machine: XOR 26 s, Iris 30 s, three
        # concentric classes 55 s; Adams first, then BDF from t = 0 when Adams gave up:
        # 38 s, 67 s, 62 s; at rtol 1e-10 every run took 1.5–2× longer).
        return Tolerances(relative=1e-8, absolute=1e-10, stiff=True)
    stiff = (config.annihilation or 0.0) >= STIFF_ANNIHILATION
    if family_of(config).name == "linear":
        # Decision: within a phase the signed values of the linear circuit are quadratures
        # (the forward phase's error grows at a rate set by θ and x̃, fixed then; the
        # backward phase's θ at a rate set by e and x̃), and annihilation, the one nonlinear
        # term, takes the same amount from both rails of a pair, so any linear multistep method
        # integrates p⁺ − p⁻ exactly whatever its step: CVODE's tolerances only decide how
        # well it follows the rails. Measured (D = 8, 200 × 10, B = 1 and 16): the deviation
        # from the reference stayed 2e-13–3e-12 from rtol 1e-10 down to 1e-6, where the
        # simulation was 3.4× faster (B = 1: 1.13 s → 0.33 s); the deviation check still
        # guards every run. This holds for Adams (its corrector iterates on a right-hand side
        # whose signed part does not depend on the state); BDF's Newton iteration is not exact
        # there: a stiff run (annihilation ≥ STIFF_ANNIHILATION, BDF from the start) at rtol
        # 1e-6 deviated by 1.14e-6 (found by a hypothesis test), so stiff runs keep the tight
        # default tolerances.
        if stiff:
            return Tolerances(stiff=True)
        return Tolerances(relative=1e-6, absolute=1e-8)
    if stiff:
        return Tolerances(stiff=True)
    return None


def check_reference(compiled: Circuit, ref: ReferenceRun) -> None:
    """Refuse settings under which the reference SGD (and so the chemistry) diverges."""
    cfg = compiled.config
    check_forward_blowup(compiled, ref)
    if not np.all(np.isfinite(ref.theta)) or float(np.max(np.abs(ref.theta))) > 1e12:
        linear = family_of(compiled).name == "linear"
        raise InputError(
            f"SGD diverges with learning rate {cfg.lr:.3g} and horizon {cfg.horizon:g} on this "
            "data (the reference's parameters or states blow up); lower --lr or --horizon"
            + ("." if linear else ", or keep inputs standardised.")
        )
    check_numerics(compiled, ref)


def check_deviation(
    compiled: Circuit,
    result: EngineResult,
    ref: ReferenceRun,
    bound: float | None,
    *,
    checked: bool,
) -> float:
    """``max |θ_CRN − θ_ref|``; when ``checked``, a deviation above ``bound × max(1, |θ|)``
    (default 1e-6 for the linear and product-unit circuits, exact chemistry, 1e-4 for the
    Neural ODE circuits, whose adjoint integrates a nonlinear ODE) raises."""
    deviation = float(np.max(np.abs(result.theta - ref.theta)))
    if bound is None:
        bound = 1e-4 if family_of(compiled).name == "nonlinear" else 1e-6
    scale = max(1.0, float(np.max(np.abs(ref.theta))))
    if checked and (not math.isfinite(deviation) or deviation > bound * scale):
        raise SimulationError(
            f"The parameters the chemistry learned differ from the reference SGD by "
            f"{deviation:.3g} (allowed: {bound:g} x max(1, |theta|) = {bound * scale:.3g}); "
            "the model is numerically unreliable with these settings (an extreme "
            "--annihilation or --horizon, or unscaled data)."
        )
    return deviation


def _epoch_callback(progress: Callable[[str], None] | None):
    """``epoch_done(done, total, loss)`` for the engines, shown by ``progress``: a live bar
    (``progress.epoch``) or a status line per epoch; None without progress."""
    if progress is None:
        return None
    show_epoch = getattr(progress, "epoch", None)
    if show_epoch is not None:
        return show_epoch

    def line(done: int, total: int, loss: float | None) -> None:
        tail = f", loss {loss:.6g}" if loss is not None else ""
        progress(f"epoch {done}/{total} simulated{tail}")

    return line


def simulate_model(
    engine: str,
    model: TrainingModel,
    progress: Callable[[str], None] | None,
    **options: Any,
) -> EngineResult:
    """Run the engine with the progress bar opened before and closed on any failure."""
    # the chemical clock is one CVODE run without epoch boundaries: no bar to advance
    bar = getattr(progress, "epoch", None) is not None and model.event_gated
    if bar:
        progress.start(model.circuit.config.epochs)  # type: ignore[union-attr]
    try:
        return run_engine(engine, model, epoch_done=_epoch_callback(progress), **options)
    except BaseException as exc:
        if bar:
            progress.close()  # type: ignore[union-attr]  # end the bar line
        if not isinstance(exc, SimulationError):
            raise
        raise SimulationError(
            f"{exc} — the training model could not be simulated; values of very different "
            "scales make it stiff: keep inputs and targets standardised (the default), or "
            "change --lr, --horizon or --annihilation."
        ) from exc


def build_model(
    circuit: str,
    data: Dataset,
    test: Dataset | None,
    config: Config | None,
    max_reactions: int | None,
    engine: str = "events",
    **transforms: Any,
) -> tuple[TrainingModel, Dataset | None]:
    """Check the inputs (the data limit is the ``engine``'s), compile the circuit, apply the
    transforms, write the model."""
    spec = circuit_spec(circuit)
    config = spec.check_config(config)
    check_size(circuit, data, config, max_reactions=max_reactions, engine=engine)
    family = family_of(config)
    test = _aligned_test(spec.task, family, data, test, config)
    compiled = family.compile(spec.task, data, config)
    if test is not None and test.y is not None:
        family.check_test_labels(spec.task, test.y, compiled, compiled.config, test.name)
    if test is not None:
        check_test_scale(compiled, test)
    check_loaded(compiled)
    return prepare(compiled, engine=engine, **transforms), test


def train(
    circuit: str,
    data: Dataset,
    *,
    test: Dataset | None = None,
    config: Config | None = None,
    engine: str = "events",
    clock: str = "events",
    clock_config: ChemicalClockConfig | None = None,
    molecules: int | None = None,
    seed: int = 0,
    tolerances: Tolerances | None = None,
    progress: Callable[[str], None] | None = None,
    max_deviation: float | None = None,
    checkpoint: CheckpointStore | None = None,
    max_reactions: int | None = None,
) -> TrainingRun:
    """Train ``circuit`` on ``data`` by simulating its one SBML training model.

    Parameters
    ----------
    circuit
        A registered circuit (:data:`sbmlcrn.circuits.registry.CIRCUITS`).
    data
        Training data (with a target; labels 0/1 for classification, 0…K−1 for multiclass).
    test
        Optional test data; its metric (``mse`` or ``accuracy``) is computed by the CRN
        inference network.
    config
        Hyper-parameters: a :class:`~sbmlcrn.circuits.linear.LinearConfig` for linear
        circuits, a :class:`~sbmlcrn.circuits.nonlinear.NonlinearConfig` for the others.
    engine
        How the training is simulated (:data:`~sbmlcrn.training.engines.ENGINES`).
        ``"events"`` (default) simulates the one SBML training model, whose time events
        switch the phases and load the samples: the standard artifact, exactly as COPASI or
        Tellurium would run it. ``"phases"`` loads the same network without its events once
        and stops CVODE at every phase boundary, setting what the events would set (gates,
        the sample's data, cleared transients: the values the events' own lookups give); same
        parameters to ~1e-11 (tested ≤ 1e-9 relative); 2.9× faster with 10,000 samples, 0.75–
        1.4× on ordinary runs (BENCHMARKS.md). ``"gillespie"`` is stochastic training: the
        same driver with RoadRunner's Gillespie integrator on whole molecules (needs
        ``molecules``; ``seed`` seeds it). ``model.xml`` is the one SBML model in every case
        (at volume ``molecules`` for stochastic runs). Checkpoints need ``"events"``.
    clock
        ``"events"`` (default) or ``"chemical"``: the gates become species of a calibrated
        oscillator in the network (``clock_config``); its learning approximates the
        event-gated one, so the deviation from the reference is reported, not refused.
    clock_config
        The chemical clock's shape (default :class:`ChemicalClockConfig`).
    molecules
        Molecules per unit of concentration, for ``engine="gillespie"``.
    seed
        Seed of the Gillespie random stream.
    tolerances
        CVODE settings.
    progress
        Called with a short status line before each stage; a
        :class:`~sbmlcrn.training.progress.Progress` also shows a live bar of epochs.
    max_deviation
        Largest accepted difference between the CRN's and the reference's parameters,
        relative to ``max(1, max |θ|)`` (default 1e-6 for the linear and product-unit
        circuits, whose chemistry is exact, and 1e-4 for the Neural ODE ones); checked for
        deterministic event-gated runs.
    checkpoint
        Store the simulation's state there after every epoch; with ``resume=True`` on the
        store, continue an interrupted run from its last stored epoch (same final result).
    max_reactions
        Largest training network accepted (default
        :data:`~sbmlcrn.training.limits.MAX_REACTIONS`).

    Returns
    -------
    TrainingRun
        Learned parameters read from the simulated parameter species, the reference SGD run
        and their largest absolute deviation, the training loss per epoch, test metrics.
    """
    say = progress or (lambda _msg: None)
    check_engine(engine, clock, molecules, checkpoint)
    if molecules is not None:
        molecules = check_molecules(molecules)
    started = t0 = time.perf_counter()  # started: the origin of timings["total_s"]
    model, test = build_model(
        circuit, data, test, config, max_reactions, engine, clock=clock,
        clock_config=clock_config, molecules=molecules,
    )  # fmt: skip
    compiled = model.base
    timings: dict[str, float] = {"build_s": time.perf_counter() - t0}
    say(_describe(circuit, model, len(data), seed))
    t0 = time.perf_counter()
    ref = reference_run(compiled)
    timings["reference_s"] = time.perf_counter() - t0
    check_reference(compiled, ref)
    if tolerances is None:
        tolerances = default_tolerances(compiled)
    result = simulate_model(
        engine, model, progress, tolerances=tolerances, checkpoint=checkpoint, seed=seed
    )
    timings["simulate_s"] = result.seconds
    exact = clock == "events" and molecules is None  # else noise or the clock's approximation
    deviation = check_deviation(compiled, result, ref, max_deviation, checked=exact)
    if test is not None:
        what = "(deterministic) inference network" if molecules else "inference network"
        say(f"evaluating on {len(test)} test samples with the {what}")
    if molecules is not None:
        model = dataclasses.replace(
            model, sections={**model.sections, "stochastic": stochastic_info(molecules, seed)}
        )
    return finish_run(
        circuit,
        model,
        result=result,
        reference=ref,
        deviation=deviation,
        data=data,
        test=test,
        timings=timings,
        tolerances=tolerances,
        engine="events" if engine == "events" else "phases",
        started=started,
    )


def trained_model(circuit: str, compiled: Circuit, theta: np.ndarray) -> TrainedModel:
    """What prediction needs from the compiled ``circuit`` with the learned ``theta``
    (``parameter_species`` order)."""
    learned = dict(zip(compiled.parameter_species, map(float, theta), strict=True))
    return TrainedModel(
        circuit,
        compiled.features,
        compiled.config,
        compiled.feature_map,
        learned,
        tuple(getattr(compiled, "classes", ())),
    )


def finish_run(
    circuit: str,
    model: TrainingModel,
    *,
    result: EngineResult,
    reference: ReferenceRun,
    deviation: float,
    data: Dataset,
    test: Dataset | None,
    timings: dict[str, float],
    tolerances: Tolerances | None = None,
    engine: str = "events",
    started: float | None = None,
    predictions: np.ndarray | None = None,
) -> TrainingRun:
    """The :class:`TrainingRun`: the test metric from the CRN inference network with the
    learned parameters (its time added to ``timings`` as ``test_s``), every result in one
    record; with ``started`` (:func:`time.perf_counter` when training started), ``timings``
    gains ``total_s``, the wall time from then to now. ``predictions``: the inference
    network's predictions of ``test`` if already simulated (a packed run's), else None."""
    compiled = model.circuit
    trained = trained_model(circuit, compiled, result.theta)
    learned = dict(trained.parameters)
    metrics = preds = None
    if test is not None:
        t0 = time.perf_counter()
        preds = predictions
        if preds is None:
            preds = predict(trained, test.x, tolerances=tolerances)
        metrics = evaluate(circuit_spec(circuit).task, preds, test, compiled.config)
        timings["test_s"] = timings.get("test_s", 0.0) + time.perf_counter() - t0
    errors = compiled.sample_errors(result.errors)  # a mini-batch's slots are its samples
    clock = compiled.clock
    if started is not None:
        timings["total_s"] = time.perf_counter() - started
    return TrainingRun(
        circuit_name=circuit,
        model=trained,
        sbml=model.sbml,
        antimony=model.antimony,
        parameters=learned,
        parameter_species=compiled.parameter_species,
        error_species=tuple(compiled.error_species),
        training_end_time=clock.end_time,
        train_loss=family_of(compiled).train_loss(
            circuit_spec(circuit).task, compiled.config, errors
        ),
        reference_parameters=dict(
            zip(compiled.parameter_names, map(float, reference.theta), strict=True)
        ),
        reference_train_loss=np.asarray(reference.train_loss, dtype=float),
        max_abs_deviation=deviation,
        test=metrics,
        engine=engine,
        timings=timings,
        sections=dict(model.sections),
        target=data.target,
        network_stats=compiled.network.stats(),
        schedule={
            "samples": clock.n_samples,
            "epochs": clock.epochs,
            "period": clock.period,
            "phases": [{"name": p.name, "duration": p.duration} for p in clock.phases],
        },
        circuit=compiled,
        reference=reference,
        parameter_trajectory=result.trajectory,
        test_predictions=preds,
        train_data=data,
        test_data=test,
        started=started,
    )
