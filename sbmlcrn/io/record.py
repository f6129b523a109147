"""The run record: the one reader and writer of a run directory's ``result.json``.

A :class:`RunRecord` holds what a training run records (the circuit, the learned and the
reference parameters, their species, the losses, the configuration, the schedule, timings and
software versions) as typed fields. :meth:`RunRecord.to_dict` and :meth:`RunRecord.from_dict`
are the one serialisation; :func:`record_to_json` / :func:`record_from_json` wrap it in JSON
and :func:`write_record` / :func:`read_record` put it in a file (the paired verbs of cobrapy's
``io``: one dict form, the formats wrap it).

The JSON text is ``json.dumps(record.to_dict(), indent=2)`` plus a newline: the format that
``result.json`` always had, with ``"record_version"`` as its first key. Non-finite numbers
(a diverged loss) are written as ``NaN``/``Infinity``, as :func:`json.dumps` does by default,
and read back. Reading validates the type and presence of every entry and raises
:class:`~sbmlcrn.errors.InputError` naming the file and the entry.

Versions:

- 1 — the format of every run written so far. A record without ``record_version`` (written
  before the key existed) is read as version 1; its ``classes`` (added with the nonlinear
  circuits) and ``engine`` (added with ``--engine``) default to ``[]`` and ``"events"``.
  ``error_species`` (each output's error rails) and ``created`` (a W3C date) are optional.

A record of a newer version than :data:`RECORD_VERSION` is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import write_atomic

__all__ = [
    "MAX_RECORD_BYTES",
    "RECORD_FILE",
    "RECORD_VERSION",
    "RunRecord",
    "read_record",
    "read_record_bytes",
    "record_from_json",
    "record_to_json",
    "write_record",
]

#: The version this sbmlcrn writes, and the newest it reads.
RECORD_VERSION = 1
#: The record's file name in a run directory.
RECORD_FILE = "result.json"
#: Larger files are refused unread (a real record is a few kB to a few MB).
MAX_RECORD_BYTES = 64 * 1024 * 1024

Pair = tuple[str, str]


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """What ``result.json`` records about a training run (see the module docstring).

    Attributes
    ----------
    circuit, task
        The circuit name (``linear-regression``, …) and its task (``regression``,
        ``classification`` or ``multiclass``).
    inputs, target
        The input column names; the target column's name (None if unknown).
    parameters
        Learned parameters (name → value), read from the simulated parameter species.
    parameter_species
        Parameter name → its (plus, minus) species in ``model.xml``.
    error_species
        Each output's error (plus, minus) species in ``model.xml``, in output order; None in
        records that do not say (see :meth:`loss_species`).
    training_end_time
        The time at which the training model has finished learning.
    reference_parameters, max_abs_deviation
        The numpy reference SGD's parameters; ``max |θ_CRN − θ_reference|``.
    train_loss, reference_train_loss
        Mean loss per epoch: the CRN's (read from the error species) and the reference's.
    test
        Test metrics (``mse`` or ``accuracy``, and ``n``) or None.
    effective_model
        Linear circuits: ``coef``, ``intercept`` (and ``threshold``) on the raw inputs.
    classes
        Class values of a multiclass run (else empty).
    config, feature_map
        The resolved circuit configuration; the loading step (standardisation).
    network, schedule
        Size of the training network; the phase schedule (``samples``, ``epochs``,
        ``period``, ``phases`` of ``name`` and ``duration``).
    engine
        How the training was simulated (``events`` or ``phases``).
    timings, software
        Seconds per stage; versions of the software that trained the run.
    created
        When the run was made (a W3C date text), or None.
    sections
        Further top-level entries, in order (a stochastic run's ``stochastic``, a chemical
        clock run's ``clock``).
    """

    circuit: str
    task: str
    inputs: tuple[str, ...]
    target: str | None
    parameters: Mapping[str, float]
    parameter_species: Mapping[str, Pair]
    error_species: tuple[Pair, ...] | None = None
    training_end_time: float
    reference_parameters: Mapping[str, float]
    max_abs_deviation: float
    train_loss: tuple[float, ...]
    reference_train_loss: tuple[float, ...]
    test: Mapping[str, float] | None
    effective_model: Mapping[str, Any] | None
    classes: tuple[float, ...] = ()
    config: Mapping[str, Any]
    feature_map: Mapping[str, Any]
    network: Mapping[str, int]
    schedule: Mapping[str, Any]
    engine: str = "events"
    timings: Mapping[str, float]
    software: Mapping[str, str]
    created: str | None = None
    sections: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON values: ``record_version`` first, then the entries.

        The order is the one ``result.json`` has always had; ``error_species`` (after
        ``parameter_species``) and ``created`` (after ``software``) appear only when set, and
        the :attr:`sections` come last. numpy numbers become plain numbers, tuples lists.
        """
        out: dict[str, Any] = {"record_version": RECORD_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "sections" or (f.name in _OMITTED_WHEN_NONE and value is None):
                continue
            out[f.name] = _plain(value)
        for key, value in self.sections.items():
            out[str(key)] = _plain(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | os.PathLike[str] = "") -> RunRecord:
        """Read a record from its dict form, checking the type and presence of every entry.

        Parameters
        ----------
        data
            The dict form (:meth:`to_dict`, or ``result.json`` parsed).
        source
            The file the dict was read from, named in error messages.

        Returns
        -------
        RunRecord
            The record; entries it does not know go to :attr:`sections`.

        Raises
        ------
        InputError
            An entry is missing or has the wrong type, two entries disagree on the parameter
            names, or the record is of a newer version than :data:`RECORD_VERSION`.
        """
        where = str(source) or "the run record"
        if not isinstance(data, Mapping):
            raise InputError(
                f"The run record {where} must be a JSON object. Got {_kind(data)} instead."
            )
        data = _plain(data)
        _check_version(data.get("record_version", 1), where)
        values: dict[str, Any] = {}
        for key, (check, what, default) in _ENTRIES.items():
            if key not in data:
                if default is _REQUIRED:
                    raise InputError(f"The {key!r} entry of {where} must be {what}. It is missing.")
                values[key] = default
                continue
            try:
                values[key] = check(data[key])
            except _Bad as bad:
                raise InputError(
                    f"The {key!r} entry of {where} must be {what}. Got {bad} instead."
                ) from None
        _check_names(values, where)
        skip = {*_ENTRIES, "record_version"}
        values["sections"] = {k: v for k, v in data.items() if k not in skip}
        return cls(**values)

    def loss_species(self) -> tuple[Pair, ...]:
        """Each output's error (plus, minus) species, in output order.

        :attr:`error_species` if the record has it. Otherwise (records written before the
        entry existed) the species sbmlcrn's circuits have always used: ``e_p``/``e_m`` for
        one output, ``e1_p``/``e1_m`` … ``eK_p``/``eK_m`` for the ``K = max(len(classes), 2)``
        outputs of a multiclass circuit.
        """
        if self.error_species is not None:
            return self.error_species
        if self.task != "multiclass":
            return (("e_p", "e_m"),)
        return tuple((f"e{k}_p", f"e{k}_m") for k in range(1, max(len(self.classes), 2) + 1))


# --------------------------------------------------------------------------- JSON and files


def record_to_json(record: RunRecord) -> str:
    """The text of ``result.json`` for ``record`` (two-space indent, a final newline)."""
    return json.dumps(record.to_dict(), indent=2) + "\n"


def record_from_json(text: str | bytes, source: str | os.PathLike[str] = "") -> RunRecord:
    """Parse the text of a ``result.json`` (UTF-8) and check it (:meth:`RunRecord.from_dict`).

    Raises
    ------
    InputError
        The text is larger than :data:`MAX_RECORD_BYTES`, not UTF-8, not JSON, not a JSON
        object, or not a valid record.
    """
    where = str(source) or "the run record"
    if len(text) > MAX_RECORD_BYTES:
        raise InputError(
            f"The run record {where} must be at most {MAX_RECORD_BYTES} bytes. "
            f"Got {len(text)} instead."
        )
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise InputError(f"The run record {where} must be valid JSON. Got: {exc}.") from None
    if not isinstance(data, dict):
        raise InputError(
            f"The run record {where} must be a JSON object. Got {_kind(data)} instead."
        )
    return RunRecord.from_dict(data, where)


def _record_path(directory_or_path: str | os.PathLike[str]) -> Path:
    path = Path(directory_or_path)
    return path / RECORD_FILE if path.is_dir() else path


def write_record(record: RunRecord, directory_or_path: str | os.PathLike[str]) -> Path:
    """Write ``record`` as ``result.json`` in a directory, or to a file path, atomically.

    Parameters
    ----------
    record
        The record.
    directory_or_path
        An existing directory (the record goes to its ``result.json``) or a file path.

    Returns
    -------
    Path
        The file written.
    """
    return write_atomic(_record_path(directory_or_path), record_to_json(record))


def read_record_bytes(directory_or_path: str | os.PathLike[str]) -> tuple[RunRecord, bytes]:
    """The record of a run directory (or a record file) and the file's exact bytes.

    For callers that also keep the file unchanged (an archive of the run).

    Raises
    ------
    InputError
        There is no record file, it is larger than :data:`MAX_RECORD_BYTES`, or it is not a
        valid record (:func:`record_from_json`).
    """
    path = _record_path(directory_or_path)
    if not path.is_file():
        raise InputError(f"{directory_or_path}: not a training run directory (no {RECORD_FILE}).")
    size = path.stat().st_size
    if size > MAX_RECORD_BYTES:
        raise InputError(
            f"The run record {path} must be at most {MAX_RECORD_BYTES} bytes. Got {size} instead."
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"The run record {path} could not be read: {exc}.") from None
    return record_from_json(raw, path), raw


def read_record(directory_or_path: str | os.PathLike[str]) -> RunRecord:
    """Read the ``result.json`` of a run directory (or a record file given by its path).

    Raises
    ------
    InputError
        See :func:`read_record_bytes`.
    """
    return read_record_bytes(directory_or_path)[0]


# --------------------------------------------------------------------------- checking


class _Bad(Exception):
    """A value has the wrong shape; the message says what was found instead."""


_REQUIRED = object()
_OMITTED_WHEN_NONE = frozenset({"error_species", "created"})


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _plain(value: Any) -> Any:
    """``value`` with numpy numbers and arrays, tuples and mappings as plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _check_version(version: object, where: str) -> None:
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(
            f"The 'record_version' entry of {where} must be a whole number >= 1. "
            f"Got {version!r} instead."
        )
    if version > RECORD_VERSION:
        raise InputError(
            f"The run record {where} has version {version}, newer than this sbmlcrn reads "
            f"(up to {RECORD_VERSION}); upgrade sbmlcrn to read it."
        )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad(_kind(value))
    return value


def _date(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _Bad(repr(value) if isinstance(value, str) else _kind(value))
    return value


def _number(value: object) -> float:
    if not _is_number(value):
        raise _Bad(_kind(value))
    return value  # type: ignore[return-value]  # an int stays an int (byte-stable)


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Bad(repr(value) if isinstance(value, int | float) else _kind(value))
    return value


def _list_of(check: Callable[[Any], Any]) -> Callable[[object], tuple[Any, ...]]:
    def run(value: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Bad(_kind(value))
        out = []
        for i, item in enumerate(value):
            try:
                out.append(check(item))
            except _Bad as bad:
                raise _Bad(f"{bad} at position {i}") from None
        return tuple(out)

    return run


def _map_of(check: Callable[[Any], Any]) -> Callable[[object], dict[str, Any]]:
    def run(value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Bad(_kind(value))
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Bad(f"a non-text key {key!r}")
            try:
                out[key] = check(item)
            except _Bad as bad:
                raise _Bad(f"{bad} for {key!r}") from None
        return out

    return run


def _optional(check: Callable[[Any], Any]) -> Callable[[object], Any]:
    return lambda value: None if value is None else check(value)


def _pair(value: object) -> Pair:
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(s, str) for s in value)):
        raise _Bad(_kind(value) if not isinstance(value, list) else f"a list of {len(value)}")
    return (value[0], value[1])


def _any(value: object) -> object:
    return value


def _fields(spec: Mapping[str, tuple[Callable[[Any], Any], bool]]) -> Callable[[object], dict]:
    """A mapping whose named entries are checked (required or optional); others are kept."""
    loose = _map_of(_any)

    def run(value: object) -> dict[str, Any]:
        out = loose(value)
        for key, (check, required) in spec.items():
            if key not in out:
                if required:
                    raise _Bad(f"no {key!r} entry")
                continue
            try:
                out[key] = check(out[key])
            except _Bad as bad:
                raise _Bad(f"{bad} for {key!r}") from None
        return out

    return run


_numbers = _list_of(_number)
_number_map = _map_of(_number)
_phase = _fields({"name": (_text, True), "duration": (_number, True)})
_schedule = _fields(
    {
        "samples": (_count, True),
        "epochs": (_count, True),
        "period": (_number, True),
        "phases": (lambda v: list(_list_of(_phase)(v)), True),
    }
)
_effective_model = _optional(
    _fields(
        {"coef": (_number_map, True), "intercept": (_number, True), "threshold": (_number, False)}
    )
)
_feature_map = _fields(
    {
        "mean": (_optional(lambda v: list(_numbers(v))), False),
        "scale": (_optional(lambda v: list(_numbers(v))), False),
        "augmentation": (_optional(_number), False),
        "target_mean": (_number, False),
        "target_scale": (_number, False),
    }
)

#: Entry → (check, what it must be, default when absent or _REQUIRED), in the record's order.
_ENTRIES: dict[str, tuple[Callable[[Any], Any], str, Any]] = {
    "circuit": (_text, "a circuit name (text)", _REQUIRED),
    "task": (_text, "a task name (text)", _REQUIRED),
    "inputs": (_list_of(_text), "a list of column names", _REQUIRED),
    "target": (_optional(_text), "a column name or null", _REQUIRED),
    "parameters": (_number_map, "a mapping of names to numbers", _REQUIRED),
    "parameter_species": (
        _map_of(_pair),
        "a mapping of parameter names to [plus, minus] species ids",
        _REQUIRED,
    ),
    "error_species": (_list_of(_pair), "a list of [plus, minus] species ids", None),
    "training_end_time": (_number, "a number", _REQUIRED),
    "reference_parameters": (_number_map, "a mapping of names to numbers", _REQUIRED),
    "max_abs_deviation": (_number, "a number", _REQUIRED),
    "train_loss": (_numbers, "a list of numbers", _REQUIRED),
    "reference_train_loss": (_numbers, "a list of numbers", _REQUIRED),
    "test": (_optional(_number_map), "a mapping of metric names to numbers or null", _REQUIRED),
    "effective_model": (
        _effective_model,
        "null or a mapping with 'coef' (names to numbers) and 'intercept' (a number)",
        _REQUIRED,
    ),
    "classes": (_numbers, "a list of numbers", ()),
    "config": (_map_of(_any), "a mapping of option names to values", _REQUIRED),
    "feature_map": (_feature_map, "a mapping describing the loading step", _REQUIRED),
    "network": (_map_of(_count), "a mapping of names to counts", _REQUIRED),
    "schedule": (
        _schedule,
        "a mapping with 'samples', 'epochs', 'period' and 'phases' (name, duration)",
        _REQUIRED,
    ),
    "engine": (_text, "an engine name (text)", "events"),
    "timings": (_number_map, "a mapping of stage names to seconds", _REQUIRED),
    "software": (_map_of(_text), "a mapping of package names to version texts", _REQUIRED),
    "created": (_date, "a date text", None),
}


def _check_names(values: Mapping[str, Any], where: str) -> None:
    """``parameter_species`` and ``reference_parameters`` name exactly the parameters."""
    names = set(values["parameters"])
    for key in ("parameter_species", "reference_parameters"):
        other = set(values[key])
        if other != names:
            odd = sorted(other ^ names)
            raise InputError(
                f"The {key!r} entry of {where} must name the same parameters as its "
                f"'parameters' entry. Got {', '.join(map(repr, odd[:3]))} in only one of them "
                "instead."
            )
