"""The result of a training run, fresh from :func:`sbmlcrn.train` or read back from disk.

A :class:`TrainingRun` holds everything ``result.json`` records plus the model's SBML and
Antimony text, so a run loaded from its directory (:func:`sbmlcrn.load_run`) predicts,
reports and re-saves exactly like the run that wrote it. A fresh run also keeps what only
exists in memory: the compiled circuit, the reference run, the parameter trajectory, the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sbmlcrn.circuits.common import LOSS_ID, theta_ids
from sbmlcrn.circuits.registry import Circuit, circuit_spec
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network
from sbmlcrn.errors import InputError
from sbmlcrn.reference import ReferenceRun
from sbmlcrn.simulate import Tolerances, load_roadrunner
from sbmlcrn.training.model import TrainedModel, effective_model, predict
from sbmlcrn.training.predictions import select_inputs

__all__ = ["TrainingRun"]


@dataclass(frozen=True)
class TrainingRun:
    """Everything a training run produced.

    Attributes
    ----------
    circuit_name
        The circuit (``linear-regression``, …).
    model
        The trained model (features, resolved config, loading step, learned θ, classes).
    sbml, antimony
        The training model (``model.xml``, ``model.ant``).
    parameters
        Learned parameters, read from the simulated parameter species (``θ = p⁺ − p⁻``).
    parameter_species
        Parameter name → its two rail species in the training model.
    error_species
        Each output's two error rail species (None for runs recorded before they were).
    training_end_time
        The time at which the training model has finished learning.
    train_loss
        Mean ``½‖ŷ − t‖²`` per epoch, read from the error species.
    reference_parameters, reference_train_loss
        The numpy reference SGD's parameters and loss per epoch.
    max_abs_deviation
        ``max |θ_CRN − θ_reference|``.
    test
        Test metrics (``mse`` or ``accuracy`` and ``n``) computed by the inference network,
        or None.
    engine
        How the training was simulated (``events``, ``phases``; ``phases`` for stochastic runs).
    timings
        Seconds per stage: ``build_s``, ``reference_s``, ``simulate_s``, ``test_s`` (with a
        test set) and ``total_s``, the wall time from the start of training to its end; a saved
        run's record adds ``save_s`` and ``plots_s`` (:func:`sbmlcrn.training.store.save_run`)
        and its ``total_s`` runs to the moment the record was written.
    sections
        Extra sections of ``result.json`` (``stochastic``, ``clock``).
    target
        The name of the target column, if known.
    network_stats, schedule
        Size of the training network; the phase schedule (samples, epochs, period, phases).
    software
        Versions of the software that trained the run (filled when the run is saved).
    created
        When the run was first saved (a W3C date; ``SOURCE_DATE_EPOCH`` when set, else the
        time of the save); kept when a loaded run is saved again.
    circuit, reference, parameter_trajectory, test_predictions, train_data, test_data
        In memory only (None for a run loaded from disk): the compiled circuit, the reference
        run, the parameters at each epoch start and the end, the test predictions, the data.
    started
        In memory only: :func:`time.perf_counter` when training started (None for a run loaded
        from disk), the origin of ``total_s``.
    """

    circuit_name: str
    model: TrainedModel
    sbml: str
    antimony: str
    parameters: Mapping[str, float]
    parameter_species: Mapping[str, tuple[str, str]]
    error_species: tuple[tuple[str, str], ...] | None
    training_end_time: float
    train_loss: np.ndarray
    reference_parameters: Mapping[str, float]
    reference_train_loss: np.ndarray
    max_abs_deviation: float
    test: Mapping[str, float] | None
    engine: str = "events"
    timings: Mapping[str, float] = field(default_factory=dict)
    sections: Mapping[str, Any] = field(default_factory=dict)
    target: str | None = None
    network_stats: Mapping[str, Any] = field(default_factory=dict)
    schedule: Mapping[str, Any] = field(default_factory=dict)
    software: Mapping[str, str] | None = field(default=None, repr=False)
    created: str | None = field(default=None, repr=False)
    circuit: Circuit | None = field(default=None, repr=False)
    reference: ReferenceRun | None = field(default=None, repr=False)
    parameter_trajectory: np.ndarray | None = field(default=None, repr=False)
    test_predictions: np.ndarray | None = field(default=None, repr=False)
    train_data: Dataset | None = field(default=None, repr=False)
    test_data: Dataset | None = field(default=None, repr=False)
    started: float | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # text class labels of the training data name the model's classes (result.json)
        labels = self.train_data.class_labels if self.train_data is not None else ()
        if labels and not self.model.class_labels:
            object.__setattr__(self, "model", replace(self.model, class_labels=labels))

    @property
    def class_labels(self) -> tuple[str, ...]:
        """The text class labels, in class-value order (``0 … K−1``); empty for numbers."""
        return self.model.class_labels

    @property
    def task(self) -> str:
        """``regression``, ``classification`` or ``multiclass``."""
        return circuit_spec(self.circuit_name).task

    @property
    def features(self) -> tuple[str, ...]:
        """The input columns, in the order the model reads them."""
        return self.model.features

    @property
    def effective_model(self) -> dict[str, Any] | None:
        """The learned linear predictor in the data's raw units (None for nonlinear circuits):
        ``coef`` per input, ``intercept`` and, for classifiers, ``threshold``."""
        return effective_model(self.model)

    @property
    def network(self) -> Network:
        """The forward-only inference network with the learned parameters (what predicts)."""
        return self.model.inference_network()

    def predict(self, x: Any, *, tolerances: Tolerances | None = None) -> np.ndarray:
        """Predict with the CRN inference network.

        Parameters
        ----------
        x
            Raw inputs: an array (one row per sample, columns in :attr:`features` order), or a
            pandas DataFrame or :class:`~sbmlcrn.core.data.Dataset` holding at least the
            :attr:`features` columns (any order).
        tolerances
            Integrator tolerances (default: the simulator's).

        Returns
        -------
        np.ndarray
            ``ŷ`` (regression) or the predicted labels: as text (an object array) when the
            training data's labels were text.
        """
        out = predict(self.model, select_inputs(self.features, x), tolerances=tolerances)
        if self.model.class_labels:
            return np.array([self.model.class_name(v) for v in out], dtype=object)
        return out

    def roadrunner(self, selections: Sequence[str] | None = None) -> Any:
        """A RoadRunner instance of the training model, ready to simulate.

        Its selections are ``time``, the learned parameters ``theta_<column>`` (the model's
        assignment rules: plus rail − minus rail) and the current ``loss`` unless
        ``selections`` is given (a model written before these existed: ``time`` and both
        rails of every parameter). ``rr.simulate(0, run.training_end_time)`` retrains the
        model; :meth:`loss_times` gives the times at which ``loss`` is a sample's loss
        (:meth:`sample_losses` reads them). A phases run on more data than an event model
        holds (its ``model_form`` section) saved the event-free network: simulating it alone
        does not retrain (its data are in ``schedule.csv``).
        """
        if selections is None:
            ids = self.observable_ids()
            if ids:
                selections = ["time", *ids, LOSS_ID]
            else:
                selections = ["time"] + [s for p in self.parameter_species.values() for s in p]
        return load_roadrunner(self.sbml, selections)

    def observable_ids(self) -> tuple[str, ...]:
        """The model's ``theta_<column>`` ids, in the order of :attr:`parameters` (empty for a
        model written before the observables existed)."""
        ids = theta_ids(list(self.parameters))
        if all(f'id="{i}"' in self.sbml for i in (*ids, LOSS_ID)):
            return ids
        return ()

    def loss_times(self) -> np.ndarray:
        """One time per cycle (sample, or mini-batch) in the middle of its backward phase,
        where the model's ``loss`` is that cycle's loss (the error is accumulated during the
        forward phase, so a uniform grid would alias it)."""
        sched = self.schedule
        period = float(sched["period"])
        phases = list(sched["phases"])
        start = sum(float(p["duration"]) for p in phases[:-1])
        middle = start + 0.5 * float(phases[-1]["duration"])
        cycles = int(sched["samples"]) * int(sched["epochs"])
        return np.arange(cycles) * period + middle

    def sample_losses(self) -> np.ndarray:
        """The model's ``loss`` at :meth:`loss_times`, simulated in RoadRunner: one row per
        epoch, one column per cycle (the training loss per epoch is the rows' mean)."""
        if not self.observable_ids():
            raise InputError(
                "This run's model has no 'loss' (written before sbmlcrn named its observables);"
                " train it again to read its per-sample losses."
            )
        if "model_form" in self.sections:
            raise InputError(
                "This run's model.xml is the event-free network (its data are in "
                "schedule.csv): simulating it alone does not train it."
            )
        rr = load_roadrunner(self.sbml, ["time", LOSS_ID])
        times = self.loss_times()
        out = rr.simulate(times=[0.0, *times.tolist()])
        losses = np.asarray(out[LOSS_ID], dtype=float)[1:]
        return losses.reshape(int(self.schedule["epochs"]), -1)
