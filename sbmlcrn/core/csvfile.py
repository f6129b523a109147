"""Reading CSV files row by row with clear errors, for :mod:`sbmlcrn.core.data`.

:func:`read_rows` reads the columns a caller picks from the header: numeric columns into a
packed array of doubles, text columns as their cells; every defect raises
:class:`~sbmlcrn.errors.DataError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import math
import os
import stat
from array import array
from collections.abc import Callable, Collection
from pathlib import Path
from typing import NamedTuple

import numpy as np

from sbmlcrn.core.columns import is_number, not_numeric, shown_cell, text_target
from sbmlcrn.errors import DataError

__all__ = [
    "MAX_ABS_VALUE",
    "MAX_CSV_BYTES",
    "Plan",
    "cell",
    "check_header",
    "checked_file",
    "human_bytes",
    "read_rows",
]

#: Largest CSV file :func:`read_csv` reads by default (1 GiB): a packed array of its numbers
#: takes at most about as much memory as the file.
MAX_CSV_BYTES = 1 << 30

#: Largest magnitude of a data value. Beyond ~1.3e154 a square overflows double precision, so
#: means of squares, standard deviations and the chemistry's products would be infinite.
MAX_ABS_VALUE = 1e150


class Plan(NamedTuple):
    """The columns :func:`read_rows` reads, by index in the header.

    Attributes
    ----------
    numeric
        Columns read as numbers, in this order.
    text
        Columns read as their cells (text).
    target
        The numeric column that is the target (its non-numbers are a text target), or None.
    lenient
        Numeric columns whose non-numbers are not refused: they are read as NaN and the
        column is reported (a column written back as it is, read as text in a second pass).
    """

    numeric: list[int]
    text: list[int]
    target: int | None = None
    lenient: Collection[int] = ()


def read_rows(
    path: str | os.PathLike[str],
    choose: Callable[[str, list[str]], Plan],
    *,
    min_rows: int = 1,
    max_bytes: int | None = MAX_CSV_BYTES,
    max_rows: int | None = None,
    hint: str | None = "drop",
) -> tuple[str, list[str], np.ndarray, list[list[str]], list[int], set[int]]:
    """Read the columns ``choose(label, names)`` picks (a :class:`Plan`).

    Returns the file's label, the header, the numeric columns (``n × len(numeric)``), the text
    columns' cells, the line number of each data row (only when text columns are read) and
    the lenient columns that held a non-number. ``hint``: how a non-number in a numeric input
    column is left out (``drop``: ``--drop``; ``features``: ``--features``; None: no hint).
    """
    p = checked_file(path, max_bytes)
    label = str(path)
    try:
        fh = p.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(f"{label}: cannot be read ({exc.strerror or exc}).") from exc
    values = array("d")
    n_rows = 0
    lines: list[int] = []
    with fh:
        try:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise DataError(f"{label}: the file is empty.")
            names = [h.strip() for h in header]
            if not any(names):
                raise DataError(f"{label}: the header row is empty.")
            check_header(label, names)
            numeric, text, tj, lenient = choose(label, names)
            failed: set[int] = set()
            texts: list[list[str]] = [[] for _ in text]
            width = len(names)
            for lineno, row in enumerate(reader, start=2):
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != width:
                    raise DataError(
                        f"{label}: line {lineno} has {len(row)} cells but the header has {width}."
                    )
                if max_rows is not None and n_rows >= max_rows:
                    raise DataError(
                        f"{label}: has more than {max_rows:,} data rows, the most accepted "
                        "here; split or subsample the data."
                    )
                first = n_rows == 0
                values.extend(
                    _lenient(row[j], j, failed)
                    if j in lenient
                    else cell(
                        label, lineno, names[j], row[j], target=j == tj, first=first, hint=hint
                    )
                    for j in numeric
                )
                for cells, j in zip(texts, text, strict=True):
                    cells.append(row[j])
                if text:
                    lines.append(lineno)
                n_rows += 1
        except UnicodeDecodeError as exc:
            raise DataError(f"{label}: is not UTF-8 text.") from exc
        except csv.Error as exc:
            raise DataError(f"{label}: is not a valid CSV file ({exc}).") from exc
        except OSError as exc:  # e.g. EIO, or EISDIR on odd file systems
            raise DataError(f"{label}: cannot be read ({exc.strerror or exc}).") from exc
    if n_rows < min_rows:
        raise DataError(
            f"{label}: has {n_rows} data row{'' if n_rows == 1 else 's'}; at least "
            f"{min_rows} {'is' if min_rows == 1 else 'are'} needed."
        )
    table = np.frombuffer(values, dtype=float).reshape(n_rows, len(numeric))
    return label, names, table, texts, lines, failed


def _lenient(text: str, j: int, failed: set[int]) -> float:
    """The number in a cell of lenient column ``j``; NaN (and ``j`` added to ``failed``) for
    a non-number, a non-finite or a too large one."""
    if is_number(text):
        value = float(text)
        if math.isfinite(value) and abs(value) <= MAX_ABS_VALUE:
            return value
    failed.add(j)
    return math.nan


def checked_file(path: str | os.PathLike[str], max_bytes: int | None) -> Path:
    """``path`` if it is a regular file of at most ``max_bytes`` (checked with one stat)."""
    p = Path(path)
    label = str(path)
    try:  # one stat: a directory that cannot be searched raises here, not in exists()
        info = p.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"{label}: no such file.") from None
    except (OSError, RuntimeError, ValueError) as exc:  # EACCES, ELOOP, ENOTDIR, NUL byte
        reason = getattr(exc, "strerror", None) or exc
        raise DataError(f"{label}: cannot be read ({reason}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError(f"{label}: is a directory, not a CSV file.")
    if not stat.S_ISREG(info.st_mode):
        raise DataError(f"{label}: is not a regular file (a device, FIFO or socket).")
    size = info.st_size
    if max_bytes is not None and size > max_bytes:
        raise DataError(
            f"{label}: is {human_bytes(size)}; CSV files are limited to "
            f"{human_bytes(max_bytes)} (split or subsample the data)."
        )
    return p


def cell(
    label: str,
    lineno: int,
    column: str,
    text: str,
    *,
    target: bool = False,
    first: bool = False,
    hint: str | None = "drop",
) -> float:
    """The number in a cell. A non-number in the target column is refused as a text target;
    in an input column the message names how to leave the column out (``hint``: ``drop`` or
    ``features``, see :func:`~sbmlcrn.core.columns.not_numeric`; on the first row (``first``)
    the column is taken for a text column); a number with ``_`` (``1_000``) is a typo."""
    try:
        if "_" in text:  # float() accepts "1_000"; a CSV cell with it is a typo, not a number
            raise ValueError(text)
        value = float(text)
    except ValueError:
        typo = is_number(text.replace("_", ""))
        if target and not typo:
            raise text_target(label, lineno, column, text) from None
        if hint is not None and not typo:
            raise not_numeric(label, lineno, column, text, first=first, how=hint) from None
        raise DataError(
            f"{label}: line {lineno}, column {column!r}: {shown_cell(text)} is not a number."
        ) from None
    if not math.isfinite(value):
        raise DataError(
            f"{label}: line {lineno}, column {column!r}: {shown_cell(text)} is not finite."
        )
    if abs(value) > MAX_ABS_VALUE:
        raise DataError(
            f"{label}: line {lineno}, column {column!r}: {shown_cell(text)} is too large "
            f"(magnitudes above {MAX_ABS_VALUE:g} overflow when squared); rescale the column."
        )
    return value


def human_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def check_header(label: str, names: list[str]) -> None:
    seen = set()
    for i, n in enumerate(names, start=1):
        if not n:
            raise DataError(f"{label}: header column {i} has no name.")
        if n in seen:
            raise DataError(f"{label}: the column name {n!r} appears twice in the header.")
        seen.add(n)
