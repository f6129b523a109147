"""Prediction on tables: choosing a trained model's input columns, predicting a whole table.

:func:`select_inputs` is the one place that picks a model's input columns, by name and in the
model's order, out of a table (a :class:`~sbmlcrn.core.data.Dataset` or a pandas DataFrame);
:func:`predict_table` predicts every row of a CSV file or a ``Dataset`` and keeps the table's
own columns, so that :mod:`sbmlcrn.io.predictions` writes them back beside the predictions.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.core.data import Dataset, read_csv
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.io.predictions import predictions_csv, write_predictions
from sbmlcrn.simulate import Tolerances
from sbmlcrn.training.model import TrainedModel, predict

__all__ = ["MissingInputsError", "Predictions", "predict_table", "select_inputs"]


class MissingInputsError(DataError):
    """A table lacks some of the input columns a model was trained on.

    Attributes
    ----------
    features
        The model's input columns, in its order.
    missing
        Those the table lacks.
    """

    def __init__(self, features: Sequence[str], missing: Sequence[str]) -> None:
        self.features = list(features)
        self.missing = list(missing)
        super().__init__(
            f"The x parameter of predict must hold the columns {self.features}. "
            f"Got a DataFrame without {self.missing}."
        )


def select_inputs(features: Sequence[str], x: Any) -> Any:
    """The model's input columns of ``x``, in the model's order.

    Parameters
    ----------
    features
        The model's input columns.
    x
        A :class:`~sbmlcrn.core.data.Dataset` or a pandas DataFrame (anything with ``columns``)
        holding at least the ``features`` columns, in any order; anything else (an array with
        its columns in ``features`` order) is returned unchanged.

    Returns
    -------
    np.ndarray or object
        The inputs as an array of floats, one column per feature (``x`` itself if it is not a
        table).

    Raises
    ------
    MissingInputsError
        The table lacks some of the ``features`` columns.
    """
    columns = x.features if isinstance(x, Dataset) else getattr(x, "columns", None)
    if columns is None:
        return x
    missing = [f for f in features if f not in columns]
    if missing:
        raise MissingInputsError(features, missing)
    if isinstance(x, Dataset):
        return x.x[:, [x.features.index(f) for f in features]]
    return np.asarray(x[list(features)], dtype=float)


@dataclass(frozen=True)
class Predictions:
    """The predictions of a model for every row of a table.

    Attributes
    ----------
    columns
        The table's columns (all of them, in the table's order).
    values
        The table, one row per sample.
    predictions
        One prediction per row: ``ŷ`` (regression) or the predicted label.
    integer
        Whether the predictions are binary class labels (written as integers).
    """

    columns: tuple[str, ...]
    values: np.ndarray
    predictions: np.ndarray
    integer: bool

    def __len__(self) -> int:
        return len(self.predictions)

    def to_csv(self) -> str:
        """The predictions CSV text (:func:`sbmlcrn.io.predictions.predictions_csv`)."""
        return predictions_csv(self.columns, self.values, self.predictions, integer=self.integer)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the predictions CSV to ``path`` atomically; return the path written."""
        return write_predictions(
            path, self.columns, self.values, self.predictions, integer=self.integer
        )


def predict_table(
    model: TrainedModel,
    data: Dataset | str | os.PathLike[str],
    *,
    tolerances: Tolerances | None = None,
) -> Predictions:
    """Predict every row of a table with the model's CRN inference network.

    Parameters
    ----------
    model
        The trained model.
    data
        A CSV file (header row; every column is read and written back, a target column
        too) or a :class:`~sbmlcrn.core.data.Dataset` (its input columns), holding at least
        the model's input columns in any order.
    tolerances
        Integrator tolerances (default: the simulator's).

    Returns
    -------
    Predictions
        The table and its predictions.

    Raises
    ------
    InputError
        The file cannot be read as a table of numbers, or it lacks input columns.
    """
    if isinstance(data, Dataset):
        table, source = data, data.name
    else:
        table, source = read_csv(data, target=None, require_target=False), str(data)
    try:
        x = select_inputs(model.features, table)
    except MissingInputsError as exc:
        raise InputError(
            f"{source}: lacks the input columns {exc.missing} the model was trained on."
        ) from None
    preds = predict(model, x, tolerances=tolerances)
    return Predictions(table.features, table.x, preds, model.task == "classification")
