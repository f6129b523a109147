"""Data sets: reading users' CSV files with clear errors, and the built-in data.

A CSV file has one header row and numeric cells; the target column is ``y`` unless another name
is given, and every other column is an input. Anything unusable raises
:class:`~sbmlcrn.errors.DataError` with a message naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import math
import os
import stat
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from sbmlcrn.errors import DataError

__all__ = [
    "MAX_ABS_VALUE",
    "MAX_CSV_BYTES",
    "MIN_ABS_VALUE",
    "TASKS",
    "Dataset",
    "Task",
    "as_dataset",
    "authors_linear_classification",
    "authors_linear_regression",
    "iris",
    "make_task",
    "read_csv",
]

#: Largest CSV file :func:`read_csv` reads by default (1 GiB): a packed array of its numbers
#: takes at most about as much memory as the file.
MAX_CSV_BYTES = 1 << 30

#: Largest magnitude of a data value. Beyond ~1.3e154 a square overflows double precision, so
#: means of squares, standard deviations and the chemistry's products would be infinite.
MAX_ABS_VALUE = 1e150

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
) -> Dataset:
    """Read a numeric CSV file with a header row.

    The file is read row by row into a packed array of doubles (8 bytes per cell, never a
    Python object per cell), so memory stays proportional to the numbers it holds.

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
    max_bytes
        Largest file size accepted (default :data:`MAX_CSV_BYTES`, 1 GiB); None for no limit.
        Checked before anything is read.
    max_rows
        Most data rows accepted; reading stops with an error at the first row beyond it
        (None: no limit).

    Raises
    ------
    DataError
        For a missing, unreadable, empty or too large file, a header problem, ragged rows,
        non-numeric, non-finite or too large cells, a missing target column or too few or too
        many rows.
    """
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
            f"{label}: is {_human_bytes(size)}; CSV files are limited to "
            f"{_human_bytes(max_bytes)} (split or subsample the data)."
        )
    try:
        fh = p.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise DataError(f"{label}: cannot be read ({exc.strerror or exc}).") from exc
    values = array("d")
    n_rows = 0
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
                values.extend(_cell(label, lineno, names[j], c) for j, c in enumerate(row))
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
    table = np.frombuffer(values, dtype=float).reshape(n_rows, width)
    if target is not None and target in names:
        j = names.index(target)
        features = tuple(n for i, n in enumerate(names) if i != j)
        if not features:
            raise DataError(f"{label}: has only the target column {target!r} and no inputs.")
        x = np.delete(table, j, axis=1)
        return Dataset(features, x, table[:, j], target, name=p.name)
    if require_target:
        raise DataError(
            f"{label}: has no target column {target!r} (columns: {_names(names)}); "
            "name it with --target."
        )
    return Dataset(tuple(names), table, None, None, name=p.name)


def as_dataset(
    source: Dataset | str | os.PathLike[str] | object,
    *,
    target: str | None = "y",
    require_target: bool = True,
    name: str | None = None,
    parameter: str = "data",
    caller: str = "train",
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

    Raises
    ------
    DataError
        For an unusable table (see :func:`read_csv`) or an object of another type.
    """
    if isinstance(source, Dataset):
        return source
    if isinstance(source, str | os.PathLike):
        return read_csv(source, target=target, require_target=require_target)
    columns = getattr(source, "columns", None)
    if columns is None or not callable(getattr(source, "to_numpy", None)):
        raise DataError(
            f"The {parameter} parameter of {caller} must be a Dataset, a CSV path or a pandas "
            f"DataFrame. Got {type(source).__name__} instead."
        )
    label = name or "DataFrame"
    names = [str(c) for c in columns]
    _check_header(label, names)
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
        raise DataError(f"{label}: no target column {target!r} (columns: {_names(names)}).")
    return Dataset(tuple(names), values, None, None, name=label)


def _names(names: list[str], limit: int = 12) -> str:
    """The first ``limit`` column names, comma-separated (a 1,000-column header stays short)."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, … ({len(names)} columns)"


def _human_bytes(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


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
            f"{label}: line {lineno}, column {column!r}: {_shown(text)} is not a number."
        ) from None
    if not math.isfinite(value):
        raise DataError(f"{label}: line {lineno}, column {column!r}: {_shown(text)} is not finite.")
    if abs(value) > MAX_ABS_VALUE:
        raise DataError(
            f"{label}: line {lineno}, column {column!r}: {_shown(text)} is too large "
            f"(magnitudes above {MAX_ABS_VALUE:g} overflow when squared); rescale the column."
        )
    return value


def _shown(text: str, limit: int = 40) -> str:
    """``repr`` of a cell, cut to ``limit`` characters (a hostile cell can be 128 kB long)."""
    text = text.strip()
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} chars)"


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
