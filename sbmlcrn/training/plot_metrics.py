"""The numbers and texts the run plots show (no matplotlib): metrics computed from the CRN
inference network's predictions, the confusion matrix, the label of the training loss, and
the learned parameters over simulated time (in raw units when the model has a closed form).

Reporting only: nothing here learns or predicts; the predictions come from
:func:`sbmlcrn.training.model.predict`, the raw-unit coefficients from
:func:`sbmlcrn.training.equations.raw_polynomials` applied to each recorded θ.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sbmlcrn.errors import InputError
from sbmlcrn.training.equations import raw_polynomials

if TYPE_CHECKING:
    from sbmlcrn.training.run import TrainingRun

__all__ = [
    "ParameterSeries",
    "balanced_accuracy",
    "class_label",
    "confusion_matrix",
    "loss_kind",
    "loss_label",
    "majority_baseline",
    "misclassified",
    "parameter_series",
    "r_squared",
    "regression_text",
    "sample_indices",
]

#: Name of the metric the CLI prints for regression (``test mse = …``), as the plots write it.
MSE = "MSE"


def _paired(
    truth: np.ndarray, predicted: np.ndarray, caller: str, what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Both as flat float arrays; refused unless there is one prediction per true ``what``."""
    y = np.asarray(truth, dtype=float).ravel()
    p = np.asarray(predicted, dtype=float).ravel()
    if y.shape != p.shape:
        raise InputError(
            f"The predicted parameter of {caller} must have one {what} per true {what}. "
            f"Got {p.size} predictions for {y.size} {what}s instead."
        )
    return y, p


def r_squared(measured: np.ndarray, predicted: np.ndarray) -> float:
    """Coefficient of determination ``1 − SS_res / SS_tot`` (nan for a constant target).

    Parameters
    ----------
    measured, predicted
        The target values and the predictions, one per sample.

    Returns
    -------
    float
        ``R²`` (1 for a perfect fit, 0 for predicting the mean, negative when worse).
    """
    y, p = _paired(measured, predicted, "r_squared", "value")
    ss_tot = float(np.sum((y - y.mean()) ** 2)) if y.size else 0.0
    if ss_tot == 0.0:
        return float("nan")
    return 1.0 - float(np.sum((y - p) ** 2)) / ss_tot


def regression_text(target: str, measured: np.ndarray, predicted: np.ndarray) -> str:
    """``R² = 0.970, MSE = 0.1945 (y units²)``: the MSE as ``sbmlcrn train`` prints it
    (``test mse``), the mean of ``(ŷ − y)²`` in the target's raw units."""
    y, p = _paired(measured, predicted, "regression_text", "value")
    mse = float(np.mean((p - y) ** 2)) if y.size else float("nan")
    return f"R² = {r_squared(y, p):.3f}, {MSE} = {mse:.4g} ({target} units²)"


def misclassified(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Boolean mask of the samples whose predicted label differs from the true one."""
    y, p = _paired(labels, predicted, "misclassified", "label")
    return y != p


def balanced_accuracy(labels: np.ndarray, predicted: np.ndarray) -> float:
    """Mean over the classes present in ``labels`` of the fraction predicted right (nan if
    there are no samples)."""
    y = np.asarray(labels, dtype=float).ravel()
    wrong = misclassified(y, predicted)
    if y.size == 0:
        return float("nan")
    return float(np.mean([1.0 - np.mean(wrong[y == c]) for c in np.unique(y)]))


def confusion_matrix(
    labels: np.ndarray, predicted: np.ndarray, classes: Sequence[float]
) -> np.ndarray:
    """Counts ``m[i, j]`` of the samples of true class ``classes[i]`` predicted as
    ``classes[j]`` (integers; labels outside ``classes`` are refused).

    Parameters
    ----------
    labels, predicted
        True and predicted class values, one per sample.
    classes
        The class values, in the order of the rows and columns.

    Returns
    -------
    np.ndarray
        A ``len(classes) × len(classes)`` integer array.
    """
    y, p = _paired(labels, predicted, "confusion_matrix", "label")
    values = np.asarray(classes, dtype=float)
    index = {float(c): i for i, c in enumerate(values)}
    unknown = sorted({float(v) for v in np.concatenate([y, p])} - set(index))
    if unknown:
        raise InputError(
            "The classes parameter of confusion_matrix must hold every label. "
            f"Got {', '.join(f'{v:g}' for v in unknown)} outside it instead."
        )
    out = np.zeros((len(values), len(values)), dtype=int)
    for a, b in zip(y, p, strict=True):
        out[index[float(a)], index[float(b)]] += 1
    return out


def majority_baseline(train_labels: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The majority class of the training labels (the smallest value on a tie) and the
    accuracy of always predicting it on ``labels`` (nan without samples)."""
    train = np.asarray(train_labels, dtype=float).ravel()
    y = np.asarray(labels, dtype=float).ravel()
    if train.size == 0:
        return float("nan"), float("nan")
    values, counts = np.unique(train, return_counts=True)
    majority = float(values[int(np.argmax(counts))])
    return majority, float(np.mean(y == majority)) if y.size else float("nan")


def class_label(target: str | None, value: float | str) -> str:
    """Legend text of a class: the target column and the label as the data has it
    (``species = 2``, ``diagnosis = tumor`` for a text label)."""
    shown = value if isinstance(value, str) else f"{value:g}"
    return f"{target or 'y'} = {shown}"


def sample_indices(n: int, cap: int) -> np.ndarray:
    """At most ``cap`` indices of ``range(n)``, evenly spaced (all of them when ``n ≤ cap``)."""
    if n <= cap:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, cap).round().astype(int))


def loss_kind(run: TrainingRun) -> str:
    """Which training loss ``run`` records: ``"squared-hinge"`` (the product units'
    classifiers), ``"standardised"`` (½MSE on the standardised target), ``"target"`` (½MSE in
    target units) or ``"class-values"`` (½MSE on the classes' target values); the one
    decision behind the loss plot's label and the CLI's wording."""
    task = run.task
    loss_for = getattr(run.model.config, "loss_for", None)
    if task != "regression" and callable(loss_for) and loss_for(task) == "squared-hinge":
        return "squared-hinge"
    if task == "regression":
        fmap = run.model.feature_map
        standardised = fmap.target_scale != 1.0 or fmap.target_mean != 0.0
        return "standardised" if standardised else "target"
    return "class-values"


def loss_label(run: TrainingRun) -> str:
    """The y-axis label of the loss plot: what the recorded training loss measures, in which
    units (it is ½MSE, not the MSE of the test metric, and on the loaded target)."""
    kind = loss_kind(run)
    if kind == "squared-hinge":
        return "training loss: ½·mean max(0, 1 − t·ŷ)² per epoch\n(t = ±1 by class)"
    if kind == "standardised":
        return f"training loss: ½{MSE} per epoch\n(on the standardised target)"
    if kind == "target":
        return f"training loss: ½{MSE} per epoch\n(target units²)"
    values = getattr(run.model.config, "class_values", None)
    where = f"t: class values {values[0]:g} / {values[1]:g}" if values else "t: class values"
    norm = "‖ŷ − t‖²" if run.task == "multiclass" else "(ŷ − t)²"
    return f"training loss: ½·mean {norm} per epoch\n({where})"


@dataclasses.dataclass(frozen=True)
class ParameterSeries:
    """The learned parameters at every epoch start and at the end of training.

    Attributes
    ----------
    time
        Simulated time of each row (the training model's clock).
    names
        One name per column (from the data's columns).
    values
        ``len(time) × len(names)``.
    raw
        Whether the columns are raw-unit coefficients of the learned predictor (else θ).
    unit
        What the values are, for an axis label.
    """

    time: np.ndarray
    names: tuple[str, ...]
    values: np.ndarray
    raw: bool
    unit: str

    def largest(self, k: int) -> list[int]:
        """The columns of the ``k`` largest final magnitudes, largest first (ties: first)."""
        final = np.abs(self.values[-1]) if len(self.values) else np.zeros(len(self.names))
        return sorted(range(len(self.names)), key=lambda j: (-float(final[j]), j))[:k]


def _term(mono: tuple[int, ...], features: Sequence[str]) -> str:
    if not mono:
        return "constant"
    if len(mono) == 2 and mono[0] == mono[1]:
        return f"{features[mono[0]]}²"
    return "·".join(features[i] for i in mono)


def _raw_series(run: TrainingRun, trajectory: np.ndarray) -> ParameterSeries | None:
    """The raw-unit coefficients at every row of ``trajectory`` (None without a closed form)."""
    keys = list(run.parameters)
    rows = []
    for theta in trajectory:
        values = dict(zip(keys, map(float, theta), strict=True))
        model = dataclasses.replace(run.model, parameters=values)
        polys = raw_polynomials(model)
        if polys is None:
            return None
        rows.append(polys)
    final = rows[-1]
    terms = [(k, m) for k, poly in enumerate(final) for m in poly]
    values = np.array([[polys[k].get(m, 0.0) for k, m in terms] for polys in rows])
    feats = run.features
    if len(final) == 1:
        names = tuple(_term(m, feats) for _, m in terms)
    else:
        classes = run.model.classes or tuple(float(k) for k in range(len(final)))
        names = tuple(f"{run.model.class_name(classes[k])}: {_term(m, feats)}" for k, m in terms)
    target = run.target or "y"
    unit = (
        f"coefficient ({target} per raw input unit)"
        if run.task == "regression"
        else "coefficient of the output score (raw inputs)"
    )
    return ParameterSeries(np.zeros(0), names, values, True, unit)


def parameter_series(run: TrainingRun, *, raw: bool = True) -> ParameterSeries:
    """The parameters of a fresh run over simulated time, from its parameter trajectory.

    Parameters
    ----------
    run
        A fresh run (holding ``parameter_trajectory``: θ at every epoch start and the end).
    raw
        Give the learned predictor's coefficients in the data's raw units when the model has
        a closed form (linear and product-unit circuits); θ otherwise.

    Returns
    -------
    ParameterSeries
        Rows at the simulated times ``training_end_time · e / epochs``.
    """
    traj = run.parameter_trajectory
    if traj is None:
        raise InputError(
            "The run parameter of parameter_series must be a fresh run holding its parameter "
            "trajectory. Got a run without one (loaded from disk?) instead."
        )
    traj = np.atleast_2d(np.asarray(traj, dtype=float))
    time = np.linspace(0.0, float(run.training_end_time), len(traj))
    series = _raw_series(run, traj) if raw else None
    if series is None:
        names = tuple(f"θ[{name}]" for name in run.parameters)
        return ParameterSeries(time, names, traj, False, "θ = p⁺ − p⁻ (loaded inputs)")
    return dataclasses.replace(series, time=time)
