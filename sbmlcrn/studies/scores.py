"""How ``sbmlcrn reproduce`` scores one trained run: the authors' metric, and beside it the
balanced accuracy and the majority-class baseline of every classification row, and for the
per-rail rows the distance of the chemistry from the ideal odd square ``−c·z|z|``.

Decisions (issue 14):

* **The authors' metric.** XOR (and AND, OR, linear classification) is scored on a grid over
  the input square (40 × 40; 60 × 60 for linear classification), as the authors scored XOR;
  rings on a fresh validation set of their size (101 points for the quadratic circuit, 201 for
  the cubic), drawn from the same distribution as the training data. A grid is a poor metric
  for rings: 78–80 % of its labelled points are the outer class, so a constant classifier
  scores about 79 %.
* **Never fooled by a constant classifier.** Every classification row also reports the
  balanced accuracy (the mean of the per-class recalls) and the majority-class baseline (the
  accuracy of predicting the most frequent class) on the same points; a row "meets" the
  authors' value only if its accuracy is also above the baseline.
* **The ideal odd square.** The per-rail chemistry realises ``−c·z|z|`` only as far as
  annihilation keeps one rail of ``z`` at 0; its exact reference integrates the rails
  (:mod:`sbmlcrn.reference.rails`). Beside it, the ideal value-level model is trained on the
  same data, θ₀ and schedule (:func:`sbmlcrn.reference.nonlinear_sgd`), and the report gives
  the largest parameter difference and the metric the ideal model reaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sbmlcrn.circuits.registry import Circuit
from sbmlcrn.core.data import Task
from sbmlcrn.reference import ReferenceRun, nonlinear_sgd, relative_deviation
from sbmlcrn.studies.catalogue import HALF_MSE
from sbmlcrn.training.model import outputs_to_predictions, predict
from sbmlcrn.training.run import TrainingRun

__all__ = [
    "Scores",
    "classification_scores",
    "grid_points",
    "ideal_reference",
    "ideal_scores",
    "score_run",
]


@dataclass(frozen=True)
class Scores:
    """The metric of one run, and for classification its balanced accuracy and baseline."""

    value: float
    balanced: float | None = None
    baseline: float | None = None


def classification_scores(predicted: np.ndarray, truth: np.ndarray) -> Scores:
    """Accuracy, balanced accuracy and majority-class baseline of labels ``predicted``."""
    predicted = np.asarray(predicted, dtype=float).reshape(-1)
    truth = np.asarray(truth, dtype=float).reshape(-1)
    classes, counts = np.unique(truth, return_counts=True)
    recalls = [float(np.mean(predicted[truth == c] == c)) for c in classes]
    return Scores(
        value=float(np.mean(predicted == truth)),
        balanced=float(np.mean(recalls)),
        baseline=float(np.max(counts) / len(truth)),
    )


def grid_points(task: Task, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """The labelled points of a ``resolution × resolution`` grid over the task's square."""
    assert task.label is not None
    g = np.linspace(task.box[0], task.box[1], resolution)
    pts = np.array([[a, b] for b in g for a in g])
    truth = task.label(pts)
    keep = ~np.isnan(truth)
    return pts[keep], truth[keep]


def _regression_value(mse: float, metric: str) -> float:
    """The regression metric from the MSE: half of it for :data:`HALF_MSE` (the authors'
    ½·MSE), the MSE itself otherwise."""
    return 0.5 * mse if metric == HALF_MSE else mse


def score_run(
    run: TrainingRun, task: Task, metric: str, *, grid: int | None
) -> tuple[Scores, tuple[np.ndarray, np.ndarray] | None]:
    """The run's scores by ``metric``; with ``grid``, on a ``grid × grid`` grid (then the
    grid's points and labels are returned too, for :func:`ideal_scores`)."""
    if grid is not None:
        pts, truth = grid_points(task, grid)
        return classification_scores(predict(run.model, pts), truth), (pts, truth)
    assert run.test is not None
    if "mse" in run.test:
        return Scores(_regression_value(float(run.test["mse"]), metric)), None
    assert run.test_predictions is not None and task.test.y is not None
    return classification_scores(run.test_predictions, task.test.y), None


def ideal_reference(circuit: Circuit) -> ReferenceRun:
    """The circuit's value-level model (for the per-rail square: the ideal ``−c·z|z|``)
    trained on its data, θ₀ and schedule."""
    return nonlinear_sgd(
        circuit.model(),  # type: ignore[union-attr]
        circuit.inputs,
        circuit.targets,
        circuit.theta0,
        lr=float(circuit.config.lr),  # type: ignore[arg-type]
        epochs=circuit.config.epochs,
    )


def ideal_scores(
    run: TrainingRun, task: Task, metric: str, points: tuple[np.ndarray, np.ndarray] | None
) -> dict[str, Any] | None:
    """For a per-rail run: the ideal ``−c·z|z|`` model trained alike, its parameters' largest
    difference from the chemistry's (relative to ``max(1, |θ|)``) and its metric; None for
    other runs or when the ideal model's SGD fails."""
    circuit = run.circuit
    config = getattr(circuit, "config", None)
    if config is None or getattr(config, "square", None) != "per-rail":
        return None
    ref = ideal_reference(circuit)  # type: ignore[arg-type]
    if not np.all(np.isfinite(ref.theta)):
        return {"deviation": float("nan"), "value": float("nan")}
    deviation = relative_deviation(run.model.theta(), ref.theta)
    if points is not None:
        x, truth = points
    else:
        x, truth = task.test.x, task.test.y
    model = circuit.model()  # type: ignore[union-attr]
    outputs = model.predict(ref.theta, run.model.feature_map(np.asarray(x, dtype=float)))
    predicted = outputs_to_predictions(run.model, outputs)
    if run.task == "regression":
        value = _regression_value(float(np.mean((predicted - np.asarray(truth)) ** 2)), metric)
    else:
        value = classification_scores(predicted, np.asarray(truth)).value
    return {"deviation": deviation, "value": value}
