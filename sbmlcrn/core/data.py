"""Data sets: reading users' CSV files with clear errors, and the built-in data.

A CSV file has one header row and numeric cells; the target column is ``y`` unless another name
is given, and every other column is an input unless ``features`` (the inputs) or ``drop`` (the
columns left out, e.g. a sample ID) say otherwise. A classifier's target may hold text labels
(``labels=True``), mapped to ``0 … K−1`` in sorted order. Anything unusable raises
:class:`~sbmlcrn.errors.DataError` with a message naming the file, the row and the column.
The row-by-row reader is :mod:`sbmlcrn.core.csvfile`, the choice of columns and the labels
:mod:`sbmlcrn.core.columns`.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.core.columns import class_labels, column_list, input_columns
from sbmlcrn.core.csvfile import (
    MAX_ABS_VALUE,
    MAX_CSV_BYTES,
    Plan,
    cell,
    check_header,
    read_rows,
)
from sbmlcrn.errors import DataError

__all__ = [
    "MAX_ABS_VALUE",
    "MAX_CSV_BYTES",
    "MIN_ABS_VALUE",
    "TASKS",
    "Dataset",
    "Table",
    "Task",
    "as_dataset",
    "authors_linear_classification",
    "authors_linear_regression",
    "iris",
    "make_task",
    "read_csv",
    "read_table",
    "read_test",
]

#: Magnitudes below this are stored as 0. They are zero for every computation here (the
#: solver's absolute tolerance is 1e-12), and subnormal numbers (below ~2.2e-308) loaded as
#: concentrations made CVODE fail with "too much accuracy requested" (found by the
#: property-based tests).
MIN_ABS_VALUE = 1e-150


@dataclass(frozen=True)
class Dataset:
    """Inputs ``x`` (n × d) with feature names, and an optional target ``y`` (n,).

    Arrays are float64 and read-only; values must be finite with magnitudes up to
    :data:`MAX_ABS_VALUE`, and magnitudes below :data:`MIN_ABS_VALUE` are stored as 0.
    ``class_labels``: for a target of text class labels, the labels; ``y`` holds the class
    values ``0 … K−1``, the index of each sample's label (empty for a numeric target).
    """

    features: tuple[str, ...]
    x: np.ndarray
    y: np.ndarray | None = None
    target: str | None = None
    name: str = "data"
    class_labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        x = np.array(self.x, dtype=float)
        if x.ndim != 2 or x.shape[1] != len(self.features) or x.shape[1] == 0:
            raise DataError(
                f"The x parameter of Dataset must be an n × {len(self.features)} array. "
                f"Got shape {x.shape} instead."
            )
        if not np.all(np.isfinite(x)):
            raise DataError(f"{self.name}: the inputs contain NaN or infinite values.")
        if x.size and float(np.max(np.abs(x))) > MAX_ABS_VALUE:
            j = int(np.argmax(np.max(np.abs(x), axis=0)))
            raise DataError(
                f"{self.name}: input {self.features[j]!r} has values of magnitude above "
                f"{MAX_ABS_VALUE:g}, whose squares overflow; rescale it."
            )
        x[np.abs(x) < MIN_ABS_VALUE] = 0.0
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
            if y.size and float(np.max(np.abs(y))) > MAX_ABS_VALUE:
                raise DataError(
                    f"{self.name}: the target has values of magnitude above {MAX_ABS_VALUE:g}, "
                    "whose squares overflow; rescale it."
                )
            y[np.abs(y) < MIN_ABS_VALUE] = 0.0
            y.setflags(write=False)
            object.__setattr__(self, "y", y)
        if self.class_labels:
            k = len(self.class_labels)
            if self.y is None or not np.all(np.isin(self.y, np.arange(k))):
                raise DataError(
                    f"{self.name}: with {k} class labels the target must hold the class "
                    f"values 0 … {k - 1}."
                )
            object.__setattr__(self, "class_labels", tuple(map(str, self.class_labels)))

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
    max_bytes: int | None = MAX_CSV_BYTES,
    max_rows: int | None = None,
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    labels: bool | Sequence[str] = False,
) -> Dataset:
    """Read a numeric CSV file with a header row.

    The file is read row by row into a packed array of doubles (8 bytes per cell, never a
    Python object per cell), so memory stays proportional to the numbers it holds. Columns
    that are neither inputs nor the target are not read at all (any text is fine there).

    Parameters
    ----------
    path
        The file to read (UTF-8, an optional byte-order mark, any line endings).
    target
        Name of the target column; every other column is an input unless ``features`` or
        ``drop`` say otherwise. The target is never an input.
    require_target
        If false, a file without the target column is read as inputs only (``y`` is None).
    min_rows
        The fewest data rows accepted.
    max_bytes
        Largest file size accepted (default :data:`MAX_CSV_BYTES`, 1 GiB); None for no limit.
        Checked before anything is read.
    max_rows
        Most data rows accepted; reading stops with an error at the first row beyond it
        (None: no limit).
    features
        The input columns, in this order (``--features``); None: every column but the target.
    drop
        Columns left out (``--drop``), e.g. a sample-ID column; not together with ``features``.
    labels
        Whether the target may hold text class labels (the classification circuits): False
        refuses a text target; True maps text labels to ``0 … K−1`` in sorted order (a target
        of numbers only is read as numbers, as always); a sequence of labels (those of the
        training data) maps the target's labels by their position in it. The labels are kept
        in :attr:`Dataset.class_labels`.

    Raises
    ------
    DataError
        For a missing, unreadable, empty or too large file, a header problem, ragged rows,
        non-numeric (the message names ``--drop``), non-finite or too large cells, a missing
        target column, unknown names in ``features`` or ``drop``, or too few or too many rows.
    """
    return _read_dataset(
        path,
        target=target,
        require_target=require_target,
        min_rows=min_rows,
        max_bytes=max_bytes,
        max_rows=max_rows,
        features=features,
        drop=drop,
        labels=labels,
    )


def read_test(
    path: str | os.PathLike[str],
    train: Dataset,
    *,
    max_bytes: int | None = MAX_CSV_BYTES,
) -> Dataset:
    """Read test data for a model trained on ``train``: its inputs by name, its target.

    The input columns are those of ``train`` (in its order; other columns are not read, any
    text is fine there), the target is ``train``'s, and text class labels are mapped as in
    ``train`` (a label it does not have is refused).

    Raises
    ------
    DataError
        As :func:`read_csv`; the file lacks some of ``train``'s input columns (named).
    """
    return _read_dataset(
        path,
        target=train.target,
        features=train.features,
        labels=train.class_labels or False,
        max_bytes=max_bytes,
        missing_from="the model is trained on",
    )


def _read_dataset(
    path: str | os.PathLike[str],
    *,
    target: str | None = "y",
    require_target: bool = True,
    min_rows: int = 1,
    max_bytes: int | None = MAX_CSV_BYTES,
    max_rows: int | None = None,
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    labels: bool | Sequence[str] = False,
    missing_from: str | None = None,
) -> Dataset:
    """:func:`read_csv`; ``missing_from``: ``features`` are a model's inputs (see
    :func:`~sbmlcrn.core.columns.input_columns`)."""
    known = None if isinstance(labels, bool) else tuple(labels)
    text_target = known is not None or labels is True
    plan: dict[str, Any] = {}

    def choose(label: str, names: list[str]) -> Plan:
        t = target if target is not None and target in names else None
        if t is None and require_target:
            raise DataError(
                f"{label}: has no target column {target!r} (columns: {column_list(names)}); "
                "name it with --target."
            )
        inputs = input_columns(label, names, t, features, drop, missing_from=missing_from)
        plan["inputs"], plan["target"] = inputs, t
        if t is None:
            return Plan(inputs, [])
        j = names.index(t)
        return Plan(inputs, [j]) if text_target else Plan([*inputs, j], [], j)

    label, names, table, texts, lines, _ = read_rows(
        path,
        choose,
        min_rows=min_rows,
        max_bytes=max_bytes,
        max_rows=max_rows,
        hint="drop" if features is None else "features" if missing_from is None else None,
    )
    inputs, t = plan["inputs"], plan["target"]
    name = Path(path).name
    features_ = tuple(names[j] for j in inputs)
    if t is None:
        return Dataset(features_, table, None, None, name=name)
    x = table[:, : len(inputs)]
    if not text_target:
        return Dataset(features_, x, table[:, len(inputs)], t, name=name)
    mapped = class_labels(label, t, texts[0], lines, known)
    if mapped is None:  # numbers only: read as numbers, with the usual checks
        y = [cell(label, n, t, c, target=True) for c, n in zip(texts[0], lines, strict=True)]
        return Dataset(features_, x, np.array(y, dtype=float), t, name=name)
    return Dataset(features_, x, mapped[0], t, name=name, class_labels=mapped[1])


@dataclass(frozen=True)
class Table:
    """A CSV file read for prediction: the columns to write back and the numbers to predict.

    Attributes
    ----------
    columns
        The columns kept, in the file's order.
    numbers
        The numeric columns (the required ones, and every kept column whose cells are all
        numbers), as a :class:`Dataset` without a target; None if there are none.
    text
        The kept columns that are not all numbers: their cells as written.
    rows
        The number of data rows.
    """

    columns: tuple[str, ...]
    numbers: Dataset | None
    text: Mapping[str, tuple[str, ...]]
    rows: int

    def __len__(self) -> int:
        return self.rows


def read_table(
    path: str | os.PathLike[str],
    *,
    required: Sequence[str] = (),
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    max_bytes: int | None = MAX_CSV_BYTES,
) -> Table:
    """Read a CSV file for prediction: the ``required`` columns as numbers, the rest as they are.

    Parameters
    ----------
    path
        The file (as for :func:`read_csv`).
    required
        Columns read as numbers (a model's inputs); those the file lacks are simply absent
        from :attr:`Table.numbers` (the caller names them).
    features, drop
        The columns to keep (written back), or those to leave out; by default all.
        The ``required`` columns are read whether kept or not.
    max_bytes
        As for :func:`read_csv`.

    Raises
    ------
    DataError
        As :func:`read_csv`; a non-number in a ``required`` column.
    """
    plan: dict[str, list[int]] = {}

    def choose(label: str, names: list[str]) -> Plan:
        kept = sorted(input_columns(label, names, None, features, drop))
        need = [names.index(n) for n in required if n in names]
        plan["kept"], plan["need"] = kept, need
        others = [j for j in kept if j not in need]
        return Plan([*need, *others], [], None, set(others))

    label, names, table, _, _, failed = read_rows(path, choose, max_bytes=max_bytes, hint=None)
    need, kept = plan["need"], plan["kept"]
    order = [*need, *(j for j in kept if j not in need)]  # the plan's numeric columns
    numeric = {names[j]: table[:, i] for i, j in enumerate(order) if j not in failed}
    text: dict[str, tuple[str, ...]] = {}
    if failed:  # columns that are not all numbers: read again, as their text
        again = sorted(failed)
        texts = read_rows(path, lambda _l, _n: Plan([], again), max_bytes=max_bytes)[3]
        text = {names[j]: tuple(cells) for j, cells in zip(again, texts, strict=True)}
    columns = tuple(n for n in names if n in numeric)
    data = None
    if columns:
        x = np.column_stack([numeric[n] for n in columns])
        data = Dataset(columns, x, None, None, name=Path(label).name)
    return Table(tuple(names[j] for j in kept), data, text, len(table))


def as_dataset(
    source: Dataset | str | os.PathLike[str] | object,
    *,
    target: str | None = "y",
    require_target: bool = True,
    name: str | None = None,
    parameter: str = "data",
    caller: str = "train",
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
    labels: bool | Sequence[str] = False,
) -> Dataset:
    """A :class:`Dataset` from a Dataset, a CSV path or a pandas DataFrame.

    Parameters
    ----------
    source
        A :class:`Dataset` (returned as it is), a path to a CSV file (read with
        :func:`read_csv`), or a DataFrame-like object (``columns`` and ``to_numpy()``) whose
        columns are all numeric: ``target`` is the target, every other column an input.
    target
        Name of the target column.
    require_target
        If false, a table without the target column is read as inputs only.
    name
        Label used in error messages (default: the path, or ``"DataFrame"``).
    parameter, caller
        Named in the error message for an unusable ``source``.
    features, drop, labels
        For a CSV path: as for :func:`read_csv`.

    Raises
    ------
    DataError
        For an unusable table (see :func:`read_csv`) or an object of another type.
    """
    if isinstance(source, Dataset):
        return source
    if isinstance(source, str | os.PathLike):
        return read_csv(
            source,
            target=target,
            require_target=require_target,
            features=features,
            drop=drop,
            labels=labels,
        )
    columns = getattr(source, "columns", None)
    if columns is None or not callable(getattr(source, "to_numpy", None)):
        raise DataError(
            f"The {parameter} parameter of {caller} must be a Dataset, a CSV path or a pandas "
            f"DataFrame. Got {type(source).__name__} instead."
        )
    label = name or "DataFrame"
    names = [str(c) for c in columns]
    check_header(label, names)
    try:
        values = np.asarray(source.to_numpy(dtype=float), dtype=float)  # type: ignore[attr-defined]
    except (TypeError, ValueError) as exc:
        raise DataError(f"{label}: every column must be numeric ({exc}).") from None
    if values.ndim != 2 or values.shape[0] == 0:
        raise DataError(f"{label}: the table has no rows.")
    if target is not None and target in names:
        j = names.index(target)
        inputs = [k for k in range(len(names)) if k != j]
        return Dataset(
            tuple(names[k] for k in inputs), values[:, inputs], values[:, j], target, name=label
        )
    if require_target:
        raise DataError(f"{label}: no target column {target!r} (columns: {column_list(names)}).")
    return Dataset(tuple(names), values, None, None, name=label)


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


# ---------------------------------------------------------------------------------------------
# The paper's experiments (notes §4): data distributions, sizes and noise as the authors' code
# generated them, with fresh seeds (Julia's random streams cannot be replayed).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A built-in experiment: train/validation data and, for 2-D classification, the true
    labelling of the plane used for grid accuracy.

    Attributes
    ----------
    name
        Experiment name (``xor``, ``rings``, …).
    train, test
        Training and validation data.
    label
        For 2-D classification tasks: the true label of points ``(n × 2) → (n,)``, NaN where
        the task leaves a point unlabelled (the gap between the rings); None otherwise.
    box
        ``(low, high)`` of the square the inputs are drawn from (grid accuracy uses it).
    """

    name: str
    train: Dataset
    test: Dataset
    label: Callable[[np.ndarray], np.ndarray] | None = None
    box: tuple[float, float] = (0.0, 1.0)


def _round_bits(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.floor(x[:, 0] + 0.5) > 0, np.floor(x[:, 1] + 0.5) > 0


def _xor(x: np.ndarray) -> np.ndarray:
    a, b = _round_bits(x)
    return (a ^ b).astype(float)


def _and(x: np.ndarray) -> np.ndarray:
    a, b = _round_bits(x)
    return (a & b).astype(float)


def _or(x: np.ndarray) -> np.ndarray:
    a, b = _round_bits(x)
    return (a | b).astype(float)


def _rings(center: float, inner: float, gap: float, outer: float):
    def label(x: np.ndarray) -> np.ndarray:
        r = np.hypot(x[:, 0] - center, x[:, 1] - center)
        out = np.full(r.shape, np.nan)
        out[r <= inner] = 0.0
        out[(r >= gap) & (r <= outer)] = 1.0
        return out

    return label


def _balanced(
    rng: np.random.Generator,
    label: Callable[[np.ndarray], np.ndarray],
    box: tuple[float, float],
    counts: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Rejection-sample ``counts[c]`` points of each class ``c`` (as the authors' generators)."""
    xs: list[np.ndarray] = []
    ys: list[float] = []
    for cls, count in enumerate(counts):
        got = 0
        while got < count:
            cand = rng.uniform(box[0], box[1], size=(4 * count, 2))
            lab = label(cand)
            keep = cand[lab == cls][: count - got]
            xs.append(keep)
            ys += [float(cls)] * len(keep)
            got += len(keep)
    x = np.vstack(xs)
    y = np.array(ys)
    order = rng.permutation(len(y))
    return x[order], y[order]


def _regression(
    name: str, f: Callable[[np.ndarray], np.ndarray], seed: int, n_train: int, n_test: int
) -> Task:
    rng = np.random.default_rng(seed)
    parts = []
    for n, split in ((n_train, "train"), (n_test, "val")):
        x = rng.uniform(0.5, 2.0, size=(n, 2))
        y = f(x) + rng.normal(0.0, 0.1, size=n)
        parts.append(Dataset(("x1", "x2"), x, y, "y", name=f"{name}-{split}-seed{seed}"))
    return Task(name, parts[0], parts[1], None, (0.5, 2.0))


def _classification(
    name: str,
    label: Callable[[np.ndarray], np.ndarray],
    box: tuple[float, float],
    fraction_positive: float,
    seed: int,
    n_train: int,
    n_test: int,
) -> Task:
    rng = np.random.default_rng(seed)
    parts = []
    for n, split in ((n_train, "train"), (n_test, "val")):
        pos = round(n * fraction_positive)
        x, y = _balanced(rng, label, box, (n - pos, pos))
        parts.append(Dataset(("x1", "x2"), x, y, "y", name=f"{name}-{split}-seed{seed}"))
    return Task(name, parts[0], parts[1], label, box)


#: Built-in experiments: name → (description, default training size).
TASKS: dict[str, str] = {
    "poly": "y = x1 x2 + x2^2 + N(0, 0.1^2), x ~ U(0.5, 2)^2, 50 train / 100 val",
    "sin": "y = sin(x1) + x2^2 + N(0, 0.1^2), x ~ U(0.5, 2)^2, 50 train / 100 val",
    "xor": "round(x1) XOR round(x2), x ~ U(0, 1)^2, 101 train (balanced)",
    "and": "round(x1) AND round(x2), x ~ U(0, 1)^2, 101 train (3:1)",
    "or": "round(x1) OR round(x2), x ~ U(0, 1)^2, 101 train (1:3)",
    "rings": "0 if |x| <= 0.45, 1 if 0.5 <= |x| <= 1, x ~ U(-1, 1)^2, 101 train (balanced)",
    "rings-offset": "0 if |x-(1,1)| <= 0.4, 1 if 0.6 <= |x-(1,1)| <= 1, x ~ U(0, 2)^2, 101 train",
    "iris": "Fisher's iris: 4 features, 3 classes, 150 samples (stratified 100 train / 50 val)",
    "rings3": "three concentric classes around (0.5, 0.5): radius < 0.2, < 0.35, beyond, "
    "x ~ U(0, 1)^2, 150 train / 300 val",
    "hill": "y = x^2 / (0.5^2 + x^2) + N(0, 0.02^2), x ~ U(0, 2), 60 train / 200 val",
}


def _rings3(seed: int, n_train: int, n_test: int) -> Task:
    rng = np.random.default_rng(seed)
    parts = []
    for n, split in ((n_train, "train"), (n_test, "val")):
        x = rng.uniform(0.0, 1.0, size=(n, 2))
        r = np.hypot(x[:, 0] - 0.5, x[:, 1] - 0.5)
        y = np.digitize(r, [0.2, 0.35]).astype(float)
        parts.append(Dataset(("x1", "x2"), x, y, "y", name=f"rings3-{split}-seed{seed}"))

    def label(x: np.ndarray) -> np.ndarray:
        return np.digitize(np.hypot(x[:, 0] - 0.5, x[:, 1] - 0.5), [0.2, 0.35]).astype(float)

    return Task("rings3", parts[0], parts[1], label, (0.0, 1.0))


def _hill(seed: int, n_train: int, n_test: int) -> Task:
    rng = np.random.default_rng(seed)
    parts = []
    for n, split in ((n_train, "train"), (n_test, "val")):
        x = rng.uniform(0.0, 2.0, size=(n, 1))
        y = x[:, 0] ** 2 / (0.25 + x[:, 0] ** 2) + rng.normal(0.0, 0.02, size=n)
        parts.append(Dataset(("dose",), x, y, "response", name=f"hill-{split}-seed{seed}"))
    return Task("hill", parts[0], parts[1], None, (0.0, 2.0))


def make_task(name: str, seed: int = 0, n_train: int | None = None, n_test: int = 200) -> Task:
    """Fresh data of built-in experiment ``name`` (see :data:`TASKS`), drawn with ``seed``."""
    if name == "poly":
        return _regression(
            name, lambda x: x[:, 0] * x[:, 1] + x[:, 1] ** 2, seed, n_train or 50, 100
        )
    if name == "sin":
        return _regression(name, lambda x: np.sin(x[:, 0]) + x[:, 1] ** 2, seed, n_train or 50, 100)
    n = n_train or 101
    if name == "xor":
        return _classification(name, _xor, (0.0, 1.0), 50 / 101, seed, n, n_test)
    if name == "and":
        return _classification(name, _and, (0.0, 1.0), 25 / 101, seed, n, n_test)
    if name == "or":
        return _classification(name, _or, (0.0, 1.0), 76 / 101, seed, n, n_test)
    if name == "rings":
        return _classification(name, _rings(0.0, 0.45, 0.5, 1.0), (-1.0, 1.0), 0.5, seed, n, n_test)
    if name == "rings-offset":
        return _classification(name, _rings(1.0, 0.4, 0.6, 1.0), (0.0, 2.0), 0.5, seed, n, n_test)
    if name == "iris":
        return _iris_task(seed)
    if name == "rings3":
        return _rings3(seed, n_train or 150, 300)
    if name == "hill":
        return _hill(seed, n_train or 60, n_test)
    raise DataError(f"Unknown built-in task {name!r}; known: {', '.join(TASKS)}.")


def iris() -> Dataset:
    """Fisher's iris data (150 samples, 4 features, species 0/1/2 = setosa, versicolor,
    virginica), as shipped by scikit-learn (public domain)."""
    with resources.files("sbmlcrn.datasets").joinpath("iris.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    arr = np.array([[float(v) for v in r] for r in body])
    return Dataset(tuple(header[:-1]), arr[:, :-1], arr[:, -1], header[-1], name="iris")


def _iris_task(seed: int) -> Task:
    data = iris()
    rng = np.random.default_rng(seed)
    train_idx: list[int] = []
    test_idx: list[int] = []
    assert data.y is not None
    for cls in range(3):
        idx = rng.permutation(np.flatnonzero(data.y == cls))
        train_idx += list(idx[: 34 if cls < 2 else 32])
        test_idx += list(idx[34 if cls < 2 else 32 :])
    train_idx = list(rng.permutation(train_idx))

    def part(idx: list[int], split: str) -> Dataset:
        return Dataset(
            data.features, data.x[idx], data.y[idx], data.target, name=f"iris-{split}-seed{seed}"
        )

    return Task("iris", part(train_idx, "train"), part(test_idx, "val"), None, (0.0, 8.0))
