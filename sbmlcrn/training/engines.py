"""Engines: how the training model is simulated. Each returns the same :class:`EngineResult`.

- ``events`` — the one SBML training model with its events, one CVODE run from 0 to the end
  time: the standard artifact, exactly as COPASI or Tellurium would run it (checkpoints for
  ``--resume`` need it).
- ``phases`` — the event-free network loaded once and driven phase by phase with CVODE
  (:mod:`sbmlcrn.training.driver`): the same learning to ~1e-11, faster when the data are large.
- ``gillespie`` — the same driver with RoadRunner's Gillespie integrator on whole molecules
  (stochastic training; needs ``molecules``).

Every engine reads the learned parameters and the errors from their rail species; none of them
does learning arithmetic.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sbmlcrn.errors import InputError
from sbmlcrn.simulate import SimulationResult, Tolerances, simulate
from sbmlcrn.training.checkpoint import CheckpointStore, simulate_checkpointed
from sbmlcrn.training.driver import drive, epoch_loss, signed_rails
from sbmlcrn.training.transforms import TrainingModel

__all__ = [
    "ENGINES",
    "EngineResult",
    "check_engine",
    "events_sampling",
    "read_events",
    "run_engine",
    "stochastic_info",
]

#: The engines, by name (see the module docstring).
ENGINES = ("events", "phases", "gillespie")


@dataclass(frozen=True)
class EngineResult:
    """What an engine read from the simulated rails.

    ``theta``: learned parameters (``parameter_species`` order); ``trajectory``: parameters at
    every epoch start and at the end (``epochs + 1`` rows); ``errors``: the signed error at
    every cycle (``epochs × n × outputs``); ``seconds``: simulation time.
    """

    theta: np.ndarray
    trajectory: np.ndarray
    errors: np.ndarray
    seconds: float


#: ``epoch_done(done, total, loss)``: called after each simulated epoch.
EpochCallback = Callable[[int, int, float | None], None]


def _epoch_reporter(model: TrainingModel, epoch_done: EpochCallback) -> Callable[..., None]:
    """The per-segment callback of the ``events`` engine: the epoch that ended at ``t`` and
    the loss its errors give, read from the rows just simulated (the values the final loss
    curve uses)."""
    epoch_at = np.asarray(model.epoch_times, dtype=float)
    err_at = np.asarray(model.error_times, dtype=float)
    n = model.circuit.clock.n_samples
    n_epochs = model.circuit.config.epochs
    err_species = model.circuit.error_species

    def report(t: float, end_time: float, rows: Mapping[str, np.ndarray]) -> None:
        slack = 1e-9 * max(1.0, end_time)
        done = n_epochs if t >= end_time - slack else int(np.sum(epoch_at <= t + slack)) - 1
        want = err_at[(done - 1) * n : done * n]
        at = np.clip(np.searchsorted(rows["time"], want - slack), 0, len(rows["time"]) - 1)
        loss = None
        if done >= 1 and np.all(np.abs(rows["time"][at] - want) <= slack):
            e = np.stack([rows[p][at] - rows[m][at] for p, m in err_species], axis=1)
            loss = epoch_loss(model.circuit, e)
        epoch_done(done, n_epochs, loss)

    return report


def events_sampling(model: TrainingModel) -> tuple[np.ndarray, list[str]]:
    """The output grid of the ``events`` engine (0, the epoch starts, the error times and the
    end time) and the species it samples (the error rails, then the parameter rails)."""
    circuit = model.circuit
    end = circuit.clock.end_time
    grid = np.unique(np.array([0.0, *model.epoch_times, *model.error_times, end]))
    pairs = (*circuit.error_species, *circuit.parameter_species.values())
    return grid, [s for pair in pairs for s in pair]


def read_events(
    model: TrainingModel,
    sim: SimulationResult,
    seconds: float,
    rename: Callable[[str], str] | None = None,
) -> EngineResult:
    """What a simulation of the ``events`` engine learned: the parameters, their trajectory and
    the errors, read from ``model``'s rail species in ``sim`` (each species id passed through
    ``rename`` first, for a model that holds ``model`` under other ids)."""
    circuit = model.circuit
    pspecies = circuit.parameter_species
    _, watched = events_sampling(model)
    name = rename or (lambda s: s)

    def at(times: tuple[float, ...]) -> dict[str, np.ndarray]:
        rows = np.searchsorted(sim.times, times)
        return {s: sim[name(s)][rows] for s in watched}

    final = {s: np.array([sim.final[name(s)]]) for s in watched}
    theta = signed_rails(final, pspecies.values())[0]
    trajectory = np.vstack([signed_rails(at(model.epoch_times), pspecies.values()), theta])
    epochs, n = circuit.config.epochs, circuit.clock.n_samples
    errors = signed_rails(at(model.error_times), circuit.error_species).reshape(epochs, n, -1)
    return EngineResult(theta, trajectory, errors, seconds)


def _events(
    model: TrainingModel,
    *,
    tolerances: Tolerances | None,
    epoch_done: EpochCallback | None,
    checkpoint: CheckpointStore | None,
) -> EngineResult:
    grid, watched = events_sampling(model)
    run_simulation = simulate
    if checkpoint is not None:
        run_simulation = functools.partial(simulate_checkpointed, store=checkpoint)
    options = {}
    if model.event_gated:  # per-epoch segments: stops mid-forward, where no event fires
        options["breakpoints"] = list(model.epoch_times[1:])
        if epoch_done is not None:
            options["progress"] = _epoch_reporter(model, epoch_done)
    t0 = time.perf_counter()
    sim = run_simulation(model.sbml, grid, species=watched, tolerances=tolerances, **options)
    return read_events(model, sim, time.perf_counter() - t0)


def _driven(
    model: TrainingModel,
    *,
    tolerances: Tolerances | None,
    epoch_done: EpochCallback | None,
    seed: int,
    stochastic: bool,
) -> EngineResult:
    driven = drive(
        model.circuit,
        molecules=model.molecules if stochastic else None,
        seed=seed,
        tolerances=tolerances,
        epoch_done=epoch_done,
    )
    return EngineResult(
        np.asarray(driven.theta, dtype=float),
        np.asarray(driven.trajectory, dtype=float),
        np.asarray(driven.errors, dtype=float),
        driven.seconds,
    )


def check_engine(
    engine: str, model_clock: str, molecules: int | None, checkpoint: CheckpointStore | None
) -> None:
    """Refuse a combination of engine, clock, molecules and checkpoint that cannot run."""
    if engine not in ENGINES:
        raise InputError(
            f"The engine parameter of train must be one of {', '.join(ENGINES)}. Got "
            f"{engine!r} instead."
        )
    if (engine == "gillespie") != (molecules is not None):
        raise InputError(
            "The molecules parameter of train must be given with engine='gillespie' (stochastic "
            f"training) and only then. Got engine={engine!r}, molecules={molecules!r} instead."
        )
    if engine != "events" and model_clock != "events":
        raise InputError(
            "The chemical clock is simulated as one model (engine='events'); the phase-by-phase "
            f"engines drive the event schedule. Got engine={engine!r} with clock='chemical'."
        )
    if engine != "events" and checkpoint is not None and checkpoint.resume:
        raise InputError(
            "--resume continues a run of the events engine; a run with --engine phases keeps "
            "no checkpoint: run it afresh."
        )


def run_engine(
    engine: str,
    model: TrainingModel,
    *,
    tolerances: Tolerances | None = None,
    epoch_done: EpochCallback | None = None,
    checkpoint: CheckpointStore | None = None,
    seed: int = 0,
) -> EngineResult:
    """Simulate the training ``model`` with ``engine`` and read what it learned."""
    if engine == "events":
        return _events(model, tolerances=tolerances, epoch_done=epoch_done, checkpoint=checkpoint)
    return _driven(
        model,
        tolerances=tolerances,
        epoch_done=epoch_done,
        seed=seed,
        stochastic=engine == "gillespie",
    )


def stochastic_info(molecules: int, seed: int) -> dict[str, Any]:
    """The ``stochastic`` section of ``result.json`` for a ``gillespie`` run."""
    return {
        "method": "gillespie (RoadRunner direct method), driven phase by phase",
        "molecules_per_unit": int(molecules),
        "seed": int(seed),
        "compartment_size": int(molecules),
        "substance_units": "item",
        "quantisation": "initial amounts and loaded data rounded to whole molecules",
        "max_abs_deviation_is": "molecular noise and quantisation vs the deterministic reference",
    }
