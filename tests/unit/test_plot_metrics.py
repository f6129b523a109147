"""The numbers the run plots show (issue 17, friction 7): the confusion matrix, the
majority-class baseline, the metric texts named as the CLI names them, the subsample of the
training data, the loss label and the parameters over simulated time."""

from __future__ import annotations

import numpy as np
import pytest

from sbmlcrn.errors import InputError
from sbmlcrn.studies.plots import metric_label
from sbmlcrn.training import plot_metrics as pm


def test_confusion_matrix_counts_true_rows_against_predicted_columns() -> None:
    y = np.array([0.0, 0.0, 1.0, 2.0, 2.0, 2.0])
    p = np.array([0.0, 1.0, 1.0, 2.0, 0.0, 2.0])
    m = pm.confusion_matrix(y, p, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(m, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert m.dtype.kind == "i" and m.sum() == len(y)
    with pytest.raises(InputError, match=r"classes parameter of confusion_matrix.*Got 2 outside"):
        pm.confusion_matrix(y, p, [0.0, 1.0])
    with pytest.raises(InputError, match="predicted parameter of confusion_matrix"):
        pm.confusion_matrix(y, p[:2], [0.0, 1.0, 2.0])


def test_majority_baseline_uses_the_training_majority() -> None:
    train = np.array([1.0, 1.0, 0.0, 2.0, 1.0])
    assert pm.majority_baseline(train, np.array([1.0, 0.0, 0.0, 1.0])) == (1.0, 0.5)
    assert pm.majority_baseline(np.array([0.0, 1.0]), np.array([1.0])) == (0.0, 0.0)  # tie
    majority, base = pm.majority_baseline(np.array([]), np.array([1.0]))
    assert np.isnan(majority) and np.isnan(base)


def test_regression_text_names_the_mse_as_the_cli() -> None:
    y = np.array([1.0, 2.0, 3.0])
    text = pm.regression_text("response", y, y + 1.0)
    assert text == f"R² = {pm.r_squared(y, y + 1.0):.3f}, MSE = 1 (response units²)"
    assert metric_label("mse") == "test MSE (target units²)"
    assert metric_label("balanced_accuracy") == "test balanced accuracy"


def test_sample_indices_are_evenly_spaced_and_capped() -> None:
    np.testing.assert_array_equal(pm.sample_indices(5, 10), np.arange(5))
    idx = pm.sample_indices(10_000, 1000)
    assert len(idx) == 1000 and idx[0] == 0 and idx[-1] == 9999
    assert np.all(np.diff(idx) > 0)


def test_parameter_series_largest_and_refusal() -> None:
    series = pm.ParameterSeries(
        np.array([0.0, 1.0]), ("a", "b", "c"), np.array([[0, 0, 0], [0.1, -3, 3]]), False, "θ"
    )
    assert series.largest(2) == [1, 2]

    class NoTrajectory:
        parameter_trajectory = None

    with pytest.raises(InputError, match="fresh run holding its parameter trajectory"):
        pm.parameter_series(NoTrajectory())  # type: ignore[arg-type]
