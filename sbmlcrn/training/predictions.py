"""Prediction on tables: choosing a trained model's input columns, predicting a whole table.

:func:`select_inputs` is the one place that picks a model's input columns, by name and in the
model's order, out of a table (a :class:`~sbmlcrn.core.data.Dataset` or a pandas DataFrame);
:func:`predict_table` predicts every row of a CSV file or a ``Dataset`` and keeps the table's
own columns, so that :mod:`sbmlcrn.io.predictions` writes them back beside the predictions.
Columns that are not all numbers (a sample ID, a text target) are written back as they were,
and a classifier trained on text labels predicts its classes as those labels.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.core.data import Dataset, read_table
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.io.atomic import write_atomic
from sbmlcrn.io.predictions import prediction_column, predictions_csv, write_predictions
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
        The table's columns (all of them, or those kept, in the table's order).
    values
        The table, one row per sample (NaN in the ``text`` columns).
    predictions
        One prediction per row: ``ŷ`` (regression) or the predicted label.
    integer
        Whether the predictions are binary class labels (written as integers).
    text
        The columns that are not all numbers, their cells as read (written back as they are).
    labels
        The model's text class labels: prediction ``k`` is written as ``labels[k]``.
    """

    columns: tuple[str, ...]
    values: np.ndarray
    predictions: np.ndarray
    integer: bool
    text: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    labels: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.predictions)

    def to_csv(self) -> str:
        """The predictions CSV text (:func:`sbmlcrn.io.predictions.predictions_csv` for a table
        of numbers; text columns and text labels are written as they are)."""
        if not self.text and not self.labels:
            return predictions_csv(
                self.columns, self.values, self.predictions, integer=self.integer
            )
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([*self.columns, prediction_column(self.columns)])
        cells = [
            self.text[c] if c in self.text else [repr(float(v)) for v in self.values[:, j]]
            for j, c in enumerate(self.columns)
        ]
        for i, value in enumerate(self.predictions):
            writer.writerow([*(column[i] for column in cells), self._shown(value)])
        return buf.getvalue()

    def _shown(self, value: float) -> str:
        if self.labels:
            return self.labels[int(value)]
        return str(int(value)) if self.integer else repr(float(value))

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the predictions CSV to ``path`` atomically; return the path written."""
        if not self.text and not self.labels:
            return write_predictions(
                path, self.columns, self.values, self.predictions, integer=self.integer
            )
        return write_atomic(path, self.to_csv())


def predict_table(
    model: TrainedModel,
    data: Dataset | str | os.PathLike[str],
    *,
    tolerances: Tolerances | None = None,
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
) -> Predictions:
    """Predict every row of a table with the model's CRN inference network.

    Parameters
    ----------
    model
        The trained model.
    data
        A CSV file (header row; every column is read and written back, a target column
        too, and columns that are not all numbers as their text) or a
        :class:`~sbmlcrn.core.data.Dataset` (its input columns), holding at least the model's
        input columns in any order.
    tolerances
        Integrator tolerances (default: the simulator's).
    features, drop
        For a CSV file: the columns written back (``--features``), or those left out
        (``--drop``); the model's inputs are read either way.

    Returns
    -------
    Predictions
        The table and its predictions.

    Raises
    ------
    InputError
        The file cannot be read as a table of numbers, or it lacks input columns.
    """
    text: dict[str, tuple[str, ...]] = {}
    if isinstance(data, Dataset):
        table, source, columns = data, data.name, data.features
    else:
        read = read_table(data, required=model.features, features=features, drop=drop)
        table, source, columns, text = read.numbers, str(data), read.columns, dict(read.text)
    try:
        if table is None:  # not one numeric column
            raise MissingInputsError(model.features, model.features)
        x = select_inputs(model.features, table)
    except MissingInputsError as exc:
        raise InputError(
            f"{source}: lacks the input columns {exc.missing} the model was trained on."
        ) from None
    preds = predict(model, x, tolerances=tolerances)
    values = np.full((len(preds), len(columns)), np.nan)
    for j, c in enumerate(columns):
        if c not in text:
            values[:, j] = table.x[:, table.features.index(c)]
    if not text and columns == table.features:
        values = table.x
    return Predictions(
        columns, values, preds, model.task == "classification", text, model.class_labels
    )
