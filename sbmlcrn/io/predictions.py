"""The predictions CSV of ``sbmlcrn predict``: the input table's columns, then ``prediction``.

If the table already has a column named ``prediction``, the output column is named
``prediction_1`` (or the first of ``prediction_2``, ``prediction_3``, … that is free), so the
header never holds a name twice and the input column is written back unchanged.

Every input value is written as Python's shortest round-tripping ``repr`` of the double it was
read as; a regression prediction likewise, a class label (binary classification) as an integer.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sbmlcrn.io.atomic import write_atomic

__all__ = ["prediction_column", "predictions_csv", "write_predictions"]


def prediction_column(columns: Sequence[str]) -> str:
    """The name of the output column: ``prediction``, or the first free ``prediction_<n>``.

    Parameters
    ----------
    columns
        The names of the table's columns.

    Returns
    -------
    str
        A name not among ``columns``.
    """
    taken = set(columns)
    name, n = "prediction", 0
    while name in taken:
        n += 1
        name = f"prediction_{n}"
    return name


def predictions_csv(
    columns: Sequence[str],
    values: np.ndarray,
    predictions: np.ndarray,
    *,
    integer: bool = False,
) -> str:
    """The text of a predictions CSV file.

    Parameters
    ----------
    columns
        The names of the table's columns (the header row, before the output column named by
        :func:`prediction_column`).
    values
        The table, one row per sample and one column per name in ``columns``.
    predictions
        One prediction per row of ``values``.
    integer
        Write the predictions as integers (class labels) instead of floats.

    Returns
    -------
    str
        The CSV text, ``\\n`` line endings.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*columns, prediction_column(columns)])
    for row, value in zip(values, predictions, strict=True):
        writer.writerow(
            [*map(repr, map(float, row)), int(value) if integer else repr(float(value))]
        )
    return buf.getvalue()


def write_predictions(
    path: str | os.PathLike[str],
    columns: Sequence[str],
    values: np.ndarray,
    predictions: np.ndarray,
    *,
    integer: bool = False,
) -> Path:
    """Write :func:`predictions_csv` to ``path`` atomically and return the path written.

    Parameters
    ----------
    path
        The file to write (replaced atomically; see :func:`sbmlcrn.io.atomic.write_atomic`).
    columns, values, predictions, integer
        As for :func:`predictions_csv`.

    Returns
    -------
    Path
        The file written.
    """
    text = predictions_csv(columns, values, predictions, integer=integer)
    return write_atomic(path, text)
