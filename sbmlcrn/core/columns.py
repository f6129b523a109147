"""Choosing a table's columns and reading text class labels, for :mod:`sbmlcrn.core.data`.

:func:`input_columns` picks the input columns of a header (all but the target, or those named
by ``features``, or all but those named by ``drop``); :func:`class_labels` maps a target column
of text labels to the class values ``0 … K−1`` (the labels in sorted order). The messages name
the command-line options (``--features``, ``--drop``) and their Python keywords.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sbmlcrn.errors import DataError

__all__ = [
    "class_labels",
    "column_list",
    "input_columns",
    "is_number",
    "not_numeric",
    "shown_cell",
    "text_target",
]


def column_list(names: Sequence[str], limit: int = 12) -> str:
    """The first ``limit`` column names, comma-separated (a 1,000-column header stays short)."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, … ({len(names)} columns)"


def shown_cell(text: str, limit: int = 40) -> str:
    """``repr`` of a cell, cut to ``limit`` characters (a hostile cell can be 128 kB long)."""
    text = text.strip()
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} chars)"


def _named(label: str, option: str, given: Sequence[str], names: Sequence[str]) -> list[str]:
    """``given`` checked: names of the header, each once."""
    if isinstance(given, str):
        given = [given]
    out: list[str] = []
    for name in given:
        if not isinstance(name, str):
            raise DataError(
                f"The {option} parameter of read_csv must be a list of column names. "
                f"Got {type(name).__name__} {name!r} in it instead."
            )
        if name not in names:
            raise DataError(
                f"{label}: --{option} names {name!r}, which is not a column "
                f"(columns: {column_list(names)})."
            )
        if name in out:
            raise DataError(f"{label}: --{option} names {name!r} twice.")
        out.append(name)
    return out


def input_columns(
    label: str,
    names: Sequence[str],
    target: str | None,
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    *,
    missing_from: str | None = None,
) -> list[int]:
    """The indices of the input columns of a header, in the order they are read.

    Parameters
    ----------
    label
        The file, named in error messages.
    names
        The header's column names.
    target
        The target column (never an input), or None.
    features
        The input columns, in this order (None: every column but the target and ``drop``).
    drop
        Columns that are not inputs (never read).
    missing_from
        ``features`` are the inputs of a trained model: those the header lacks are named
        together, ``lacks the input columns [...] <missing_from>``.

    Raises
    ------
    DataError
        ``features`` and ``drop`` both given, a name that is not a column (the message lists
        the columns), a name given twice, the target named as an input, or no input left.
    """
    if features is not None and drop is not None:
        raise DataError(
            f"{label}: --features and --drop exclude each other: name the inputs to keep "
            "or the columns to leave out, not both."
        )
    if features is not None and missing_from is not None:
        missing = [f for f in features if f not in names]
        if missing:
            raise DataError(
                f"{label}: lacks the input columns {missing} {missing_from} "
                f"(columns: {column_list(names)})."
            )
    if features is not None:
        chosen = _named(label, "features", features, names)
        if target is not None and target in chosen:
            raise DataError(
                f"{label}: --features names the target column {target!r}; the target is "
                "never an input (name another column with --target)."
            )
    else:
        dropped = set(_named(label, "drop", drop or (), names))
        chosen = [n for n in names if n != target and n not in dropped]
    if not chosen:
        if features is None and not drop and target in names:
            raise DataError(f"{label}: has only the target column {target!r} and no inputs.")
        raise DataError(
            f"{label}: no input column is left (columns: {column_list(names)}; target: {target!r})."
        )
    return [list(names).index(n) for n in chosen]


def not_numeric(
    label: str, lineno: int, column: str, text: str, *, first: bool, how: str = "drop"
) -> DataError:
    """The error of a cell that is not a number in an input column: on the first data row the
    column is taken for a text column (an ID) and the way to leave it out is named (``how``:
    ``drop`` names ``--drop``, ``features`` leaving it out of ``--features``); later, the cell."""
    if how == "features":
        leave = "leave it out of --features (features=[...] in Python)"
    else:
        leave = f"drop it with --drop {column} (drop=[{column!r}] in Python)"
    if first:
        return DataError(
            f"{label}: column {column!r} is not numeric ({shown_cell(text)} on line {lineno}); "
            f"{leave}."
        )
    return DataError(
        f"{label}: line {lineno}, column {column!r}: {shown_cell(text)} is not a number; fix "
        f"the cell, or {leave}."
    )


def text_target(label: str, lineno: int, column: str, text: str) -> DataError:
    """The error of a text target where only numbers are accepted (regression)."""
    return DataError(
        f"{label}: the target column {column!r} is not numeric ({shown_cell(text)} on line "
        f"{lineno}); text class labels are accepted by the classification circuits only, "
        "a regression needs a numeric target."
    )


def is_number(text: str) -> bool:
    """Whether ``text`` is a number to :func:`float` (``_`` separators excluded)."""
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text


def class_labels(
    label: str,
    column: str,
    cells: Sequence[str],
    lines: Sequence[int],
    known: Sequence[str] | None = None,
) -> tuple[np.ndarray, tuple[str, ...]] | None:
    """Class values of a target column of text labels, and the labels.

    Parameters
    ----------
    label, column
        The file and the target column, named in error messages.
    cells
        The column's cells, one per data row.
    lines
        The line number of each cell.
    known
        The labels of the training data (the mapping to use), or None to map the labels of
        ``cells`` (sorted) to ``0 … K−1``.

    Returns
    -------
    tuple or None
        ``(values, labels)``: the class value of each cell (the index of its label) and the
        labels; None when ``known`` is None and every cell is a number (the column is read as
        numbers, as before text labels existed).

    Raises
    ------
    DataError
        An empty label, or a label not among ``known``.
    """
    stripped = [c.strip() for c in cells]
    if known is None and all(is_number(c) for c in stripped):
        return None
    for c, n in zip(stripped, lines, strict=True):
        if not c:
            raise DataError(f"{label}: line {n}: the target column {column!r} is empty.")
    labels = tuple(known) if known is not None else tuple(sorted(set(stripped)))
    index = {name: k for k, name in enumerate(labels)}
    values = np.empty(len(stripped))
    for i, (c, n) in enumerate(zip(stripped, lines, strict=True)):
        k = index.get(c)
        if k is None:
            raise DataError(
                f"{label}: line {n}: the label {shown_cell(c)} of column {column!r} is not one "
                f"of the training labels ({column_list(labels)})."
            )
        values[i] = k
    return values, labels
