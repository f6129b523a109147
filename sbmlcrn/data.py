"""Data sets: reading users' CSV files with clear errors, and the built-in data.

A CSV file has one header row and numeric cells; the target column is ``y`` unless another name
is given, and every other column is an input. Anything unusable raises
:class:`~sbmlcrn.errors.DataError` with a message naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .errors import DataError

__all__ = [
    "Dataset",
    "authors_linear_classification",
    "authors_linear_regression",
    "read_csv",
]


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` (n × d) with feature names, and an optional target ``y`` (n,).

    Arrays are float64 and read-only.
    """

    features: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray | None = None
    target: str | None = None
    name: str = "data"

    def __post_init__(self) -> None:
        x = np.array(self.x, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(self.features) or x.shape[1] == 0:
            raise DataError(
                f"The x parameter of Dataset must be an n × {len(self.features)} array. "
                f"Got shape {x.shape} instead."
            )
        if not np.all(np.isfinite(x)):
            raise DataError(f"{self.name}: the inputs contain NaN or infinite values.")
        x.setflags(write=False)
        object.__setattr__(self, "x", x)
        if self.y is not None:
            y = np.array(self.y, dtype=float).reshape(-1)
            if y.shape != (x.shape[0],):
                raise DataError(
                    f"The y parameter of Dataset must have {x.shape[0]} values. "
                    f"Got {y.shape[0]} instead."
                )
            if not np.all(np.isfinite(y)):
                raise DataError(f"{self.name}: the target contains NaN or infinite values.")
            y.setflags(write=False)
            object.__setattr__(self, "y", y)

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def n_inputs(self) -> int:
        """Number of input columns."""
        return len(self.features)


def read_csv(
    path: str | os.PathLike[str],
    *,
    target: str | None = "y",
    require_target: bool = True,
    min_rows: int = 1,
) -> Dataset:
    """Read a numeric CSV file with a header row.

    Parameters
    ----------
    path
        The file to read (UTF-8, an optional byte-order mark, any line endings).
    target
        Name of the target column; every other column is an input.
    require_target
        If false, a file without the target column is read as inputs only (``y`` is None).
    min_rows
        The fewest data rows accepted.

    Raises
    ------
    DataError
        For a missing, unreadable or empty file, a header problem, ragged rows, non-numeric or
        non-finite cells, a missing target column or too few rows.
    """
    p = Path(path)
    label = str(path)
    if not p.exists():
        raise DataError(f"{label}: no such file.")
    if p.is_dir():
        raise DataError(f"{label}: is a directory, not a CSV file.")
    try:
        fh = p.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(f"{label}: cannot be read ({exc.strerror or exc}).") from exc
    with fh:
        try:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise DataError(f"{label}: the file is empty.")
            names = [h.strip() for h in header]
            if not any(names):
                raise DataError(f"{label}: the header row is empty.")
            _check_header(label, names)
            rows = []
            for lineno, row in enumerate(reader, start=2):
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(names):
                    raise DataError(
                        f"{label}: line {lineno} has {len(row)} cells but the header has "
                        f"{len(names)}."
                    )
                rows.append([_cell(label, lineno, names[j], c) for j, c in enumerate(row)])
        except UnicodeDecodeError as exc:
            raise DataError(f"{label}: is not UTF-8 text.") from exc
        except csv.Error as exc:
            raise DataError(f"{label}: is not a valid CSV file ({exc}).") from exc
    if len(rows) < min_rows:
        raise DataError(
            f"{label}: has {len(rows)} data row{'' if len(rows) == 1 else 's'}; at least "
            f"{min_rows} {'is' if min_rows == 1 else 'are'} needed."
        )
    table = np.array(rows, dtype=float).reshape(len(rows), len(names))
    if target is not None and target in names:
        j = names.index(target)
        features = tuple(n for i, n in enumerate(names) if i != j)
        if not features:
            raise DataError(f"{label}: has only the target column {target!r} and no inputs.")
        x = np.delete(table, j, axis=1)
        return Dataset(features, x, table[:, j], target, name=p.name)
    if require_target:
        raise DataError(
            f"{label}: has no target column {target!r} (columns: {', '.join(names)}); "
            "name it with --target."
        )
    return Dataset(tuple(names), table, None, None, name=p.name)


def _check_header(label: str, names: list[str]) -> None:
    seen = set()
    for i, n in enumerate(names, start=1):
        if not n:
            raise DataError(f"{label}: header column {i} has no name.")
        if n in seen:
            raise DataError(f"{label}: the column name {n!r} appears twice in the header.")
        seen.add(n)


def _cell(label: str, lineno: int, column: str, text: str) -> float:
    try:
        if "_" in text:  # float() accepts "1_000"; a CSV cell with it is a typo, not a number
            raise ValueError(text)
        value = float(text)
    except ValueError:
        raise DataError(
            f"{label}: line {lineno}, column {column!r}: {text.strip()!r} is not a number."
        ) from None
    if not math.isfinite(value):
        raise DataError(
            f"{label}: line {lineno}, column {column!r}: {text.strip()!r} is not finite."
        )
    return value


def _authors_csv() -> list[dict[str, str]]:
    with (
        resources.files("sbmlcrn.datasets")
        .joinpath("authors-linreg-run.csv")
        .open(encoding="utf-8") as fh
    ):
        return list(csv.DictReader(fh))


def authors_linear_regression() -> tuple[Dataset, Dataset]:
    """The authors' linear-regression run: 41 training and 101 validation samples.

    ``y = x1 + 2 x2 + 1 + N(0, 0.4²)``, ``x ~ U(1, 5)²``, in the authors' training order.
    """
    rows = _authors_csv()
    out = []
    for split in ("train", "val"):
        part = sorted((r for r in rows if r["split"] == split), key=lambda r: int(r["index"]))
        x = [[float(r["x1"]), float(r["x2"])] for r in part]
        y = [float(r["y"]) for r in part]
        out.append(Dataset(("x1", "x2"), np.array(x), np.array(y), "y", name=f"authors-{split}"))
    return out[0], out[1]


def authors_linear_classification(n: int = 101, seed: int = 0) -> Dataset:
    """The authors' linear-classification task: label 1 if ``x1 + 2 x2 > 2`` else 0.

    ``x ~ U(0, 2)²``; the authors' points cannot be replayed, so these are drawn afresh with
    ``seed``.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, size=(n, 2))
    y = (x[:, 0] + 2.0 * x[:, 1] > 2.0).astype(float)
    return Dataset(("x1", "x2"), x, y, "y", name=f"linear-classification-seed{seed}")
