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
and read back. Reading is the one validating reader of a run record: it checks the size, the
nesting depth and the JSON text (no duplicate keys), then the type, range and size of every
entry and that the entries agree (parameter names, the circuit's task, the loading step's
width); any defect raises :class:`~sbmlcrn.errors.InputError` with the message
``<file> is not a valid run record (<what is wrong>)`` (:func:`invalid_record`, also used by
the readers that check the record against ``model.xml`` or the circuit's configuration).

Versions:

- 1 — the format of every run written so far. A record without ``record_version`` (written
  before the key existed) is read as version 1; its ``classes`` (added with the nonlinear
  circuits) and ``engine`` (added with ``--engine``) default to ``[]`` and ``"events"``.
  ``error_species`` (each output's error rails), ``created`` (a W3C date) and
  ``class_labels`` (the text labels of a classifier's classes ``0 … K−1``, written only for
  text labels) are optional.

A record of a newer version than :data:`RECORD_VERSION` is refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.circuits.registry import CIRCUITS, Config, circuit_spec
from sbmlcrn.errors import InputError
from sbmlcrn.io._record_checks import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_PARAMETERS,
    MAX_TEXT,
    Pair,
    _any,
    _Bad,
    _check_depth,
    _circuit,
    _config,
    _count,
    _date,
    _fields,
    _finite,
    _kind,
    _list_of,
    _map_of,
    _number,
    _object,
    _optional,
    _pair,
    _positive,
    _short,
    _show,
    _text,
    _unique,
    invalid_record,
    is_species_id,
)
from sbmlcrn.io.atomic import write_atomic

__all__ = [
    "EVENT_FREE_SECTION",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_PARAMETERS",
    "MAX_RECORD_BYTES",
    "MAX_TEXT",
    "RECORD_FILE",
    "RECORD_VERSION",
    "RunRecord",
    "check_event_model",
    "creation_date",
    "invalid_record",
    "is_species_id",
    "read_record",
    "read_record_bytes",
    "record_config",
    "record_from_json",
    "record_to_json",
    "write_record",
]

#: The version this sbmlcrn writes, and the newest it reads.
RECORD_VERSION = 1
#: The record's file name in a run directory.
RECORD_FILE = "result.json"
_W3C_SECONDS = "%Y-%m-%dT%H:%M:%SZ"

#: The ``result.json`` section of a run whose ``model.xml`` is the event-free training network
#: (:data:`sbmlcrn.training.transforms.FORM_SECTION`): no archive or COPASI run replays it.
EVENT_FREE_SECTION = "model_form"
#: Larger files are refused unread (a real record is a few kB to a few MB).
MAX_RECORD_BYTES = 64 * 1024 * 1024


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
    class_labels
        The text labels of a classifier trained on text labels: ``class_labels[k]`` names class
        value ``k`` (None for numeric labels and regression; then absent from the JSON).
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
    class_labels: tuple[str, ...] | None = None
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
            ``<source> is not a valid run record (…)``: the record nests deeper than
            :data:`MAX_DEPTH`, an entry is missing or has the wrong type, range or size, two
            entries disagree (parameter names, the circuit's task, the loading step's width),
            or the record is of a newer version than :data:`RECORD_VERSION`.
        """
        where = str(source) or "the record"
        if not isinstance(data, Mapping):
            raise invalid_record(where, f"it must be a JSON object; got {_kind(data)} instead")
        _check_depth(data, where)
        data = _plain(data)
        _check_version(data.get("record_version", 1), where)
        values: dict[str, Any] = {}
        for key, (check, what, default) in _ENTRIES.items():
            if key not in data:
                if default is _REQUIRED:
                    raise invalid_record(where, f"the {key!r} entry is missing; it must be {what}")
                values[key] = default
                continue
            try:
                values[key] = check(data[key])
            except _Bad as bad:
                raise invalid_record(
                    where, f"the {key!r} entry must be {what}; got {bad} instead"
                ) from None
        _check_agreement(values, where)
        _check_model(values, where)
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
        ``<source> is not a valid run record (…)``: the text is larger than
        :data:`MAX_RECORD_BYTES`, not UTF-8, not JSON, nested too deep for the parser, has a
        key twice in one object, is not a JSON object, or is not a valid record.
    """
    where = str(source) or "the record"
    if len(text) > MAX_RECORD_BYTES:
        raise invalid_record(
            where, f"it must be at most {MAX_RECORD_BYTES} bytes; got {len(text)} instead"
        )
    try:
        data = json.loads(text, object_pairs_hook=_object)
    except RecursionError:
        raise invalid_record(where, f"it nests deeper than {MAX_DEPTH} levels") from None
    except _Bad as bad:
        raise invalid_record(where, str(bad)) from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise invalid_record(where, f"it is not valid JSON: {_short(str(exc), 120)}") from None
    if not isinstance(data, dict):
        raise invalid_record(where, f"it must be a JSON object; got {_kind(data)} instead")
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
        There is no record file, it cannot be read, or it is not a valid record
        (:func:`record_from_json`).
    """
    path = _record_path(directory_or_path)
    if not path.is_file():
        raise InputError(f"{directory_or_path}: not a training run directory (no {RECORD_FILE}).")
    try:
        size = path.stat().st_size
        if size > MAX_RECORD_BYTES:
            raise invalid_record(
                path, f"it must be at most {MAX_RECORD_BYTES} bytes; got {size} instead"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"The run record {path} could not be read: {exc.strerror}.") from None
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


_REQUIRED = object()
_OMITTED_WHEN_NONE = frozenset({"error_species", "created", "class_labels"})


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
        raise invalid_record(
            where, f"the 'record_version' entry must be a whole number >= 1; got {_show(version)}"
        )
    if version > RECORD_VERSION:
        shown = version if version < 10**6 else _show(version)
        raise invalid_record(
            where,
            f"it has version {shown}, newer than this sbmlcrn reads (up to {RECORD_VERSION}); "
            "upgrade sbmlcrn to read it",
        )


_numbers = _list_of(_number)
_number_map = _map_of(_number)
_phase = _fields({"name": (_text, True), "duration": (_positive, True)})
_schedule = _fields(
    {
        "samples": (_count, True),
        "epochs": (_count, True),
        "period": (_positive, True),
        "phases": (lambda v: list(_list_of(_phase, most=1_000, least=1)(v)), True),
    }
)
_effective_model = _optional(
    _fields(
        {"coef": (_number_map, True), "intercept": (_number, True), "threshold": (_number, False)}
    )
)
_widths = _optional(lambda v: list(_list_of(_finite, most=MAX_PARAMETERS)(v)))
_scales = _optional(lambda v: list(_list_of(_positive, most=MAX_PARAMETERS)(v)))
_feature_map = _fields(
    {
        "mean": (_widths, True),
        "scale": (_scales, True),
        "augmentation": (_optional(_finite), True),
        "target_mean": (_finite, True),
        "target_scale": (_positive, True),
    }
)
_species_pairs = _map_of(_pair, most=MAX_PARAMETERS)

#: Entry → (check, what it must be, default when absent or _REQUIRED), in the record's order.
_ENTRIES: dict[str, tuple[Callable[[Any], Any], str, Any]] = {
    "circuit": (_circuit, "the name of a circuit", _REQUIRED),
    "task": (_text, "a task name (text)", _REQUIRED),
    "inputs": (
        _unique(_list_of(_text, most=MAX_PARAMETERS, least=1)),
        "a list of distinct column names",
        _REQUIRED,
    ),
    "target": (_optional(_text), "a column name or null", _REQUIRED),
    "parameters": (
        _map_of(_finite, most=MAX_PARAMETERS),
        "a mapping of names to numbers",
        _REQUIRED,
    ),
    "parameter_species": (
        _species_pairs,
        "a mapping of parameter names to [plus, minus] species ids",
        _REQUIRED,
    ),
    "error_species": (
        _list_of(_pair, most=MAX_PARAMETERS),
        "a list of [plus, minus] species ids",
        None,
    ),
    "training_end_time": (_positive, "a positive number", _REQUIRED),
    "reference_parameters": (
        _map_of(_number, most=MAX_PARAMETERS),
        "a mapping of names to numbers",
        _REQUIRED,
    ),
    "max_abs_deviation": (_number, "a number", _REQUIRED),
    "train_loss": (_numbers, "a list of numbers", _REQUIRED),
    "reference_train_loss": (_numbers, "a list of numbers", _REQUIRED),
    "test": (_optional(_number_map), "a mapping of metric names to numbers or null", _REQUIRED),
    "effective_model": (
        _effective_model,
        "null or a mapping with 'coef' (names to numbers) and 'intercept' (a number)",
        _REQUIRED,
    ),
    "classes": (
        _unique(_list_of(_finite, most=MAX_PARAMETERS)),
        "a list of distinct numbers",
        (),
    ),
    "class_labels": (
        _unique(_list_of(_text, most=MAX_PARAMETERS, least=2)),
        "a list of distinct class labels (texts)",
        None,
    ),
    "config": (_map_of(_any, most=1_000), "a mapping of option names to values", _REQUIRED),
    "feature_map": (
        _feature_map,
        "a mapping with 'mean' and 'scale' (null or one number per input), 'augmentation', "
        "'target_mean' and 'target_scale' (numbers)",
        _REQUIRED,
    ),
    "network": (_map_of(_count, most=1_000), "a mapping of names to counts", _REQUIRED),
    "schedule": (
        _schedule,
        "a mapping with 'samples', 'epochs', 'period' and 'phases' (name, duration)",
        _REQUIRED,
    ),
    "engine": (_text, "an engine name (text)", "events"),
    "timings": (_map_of(_number, most=1_000), "a mapping of stage names to seconds", _REQUIRED),
    "software": (
        _map_of(_text, most=1_000),
        "a mapping of package names to version texts",
        _REQUIRED,
    ),
    "created": (_date, "a W3C date text", None),
}


def _check_agreement(values: Mapping[str, Any], where: str) -> None:
    """The entries agree: parameter names, the circuit's task, the loading step's width."""
    names = set(values["parameters"])
    for key in ("parameter_species", "reference_parameters"):
        other = set(values[key])
        if other != names:
            odd = sorted(other ^ names)
            raise invalid_record(
                where,
                f"the {key!r} entry must name the same parameters as the 'parameters' entry; "
                f"got {', '.join(repr(_short(n)) for n in odd[:3])} in only one of them",
            )
    task = CIRCUITS[values["circuit"]]
    if values["task"] != task:
        raise invalid_record(
            where,
            f"the 'task' entry must be {task!r} for circuit {values['circuit']!r}; "
            f"got {_show(values['task'])} instead",
        )
    fmap, width = values["feature_map"], len(values["inputs"])
    for key in ("mean", "scale"):
        got = fmap[key]
        if (got is None) != (fmap["mean"] is None) or (got is not None and len(got) != width):
            raise invalid_record(
                where,
                f"the 'feature_map' entry's {key!r} must hold one number per input ({width}) "
                f"or be null with the other; got {_kind(got) if got is None else len(got)}",
            )
    labels = values["class_labels"]
    if labels is not None:
        want = len(values["classes"]) if task == "multiclass" else 2
        if task == "regression" or len(labels) != want:
            raise invalid_record(
                where,
                f"the 'class_labels' entry must name the {want} classes of a {task} run; "
                f"got {len(labels)} labels"
                if task != "regression"
                else "the 'class_labels' entry belongs to classifiers, not a regression run",
            )
    if task == "multiclass" and len(values["classes"]) < 2:
        raise invalid_record(
            where,
            f"the 'classes' entry of a multiclass run must hold at least 2 classes; "
            f"got {len(values['classes'])}",
        )


def record_config(record: RunRecord, where: str | os.PathLike[str] = "") -> Config:
    """The circuit's configuration (its config class) built from the record's ``config``.

    Options the record leaves out take their defaults (records older than the option).

    Raises
    ------
    InputError
        ``<where> is not a valid run record (…)``: an option the class does not have, a value
        of the wrong type or one the class refuses.
    """
    return _config(record.circuit, record.config, str(where) or "the record")


def _check_model(values: Mapping[str, Any], where: str) -> None:
    """The configuration is valid and the parameters are as many as the circuit has."""
    circuit, task = values["circuit"], values["task"]
    config = _config(circuit, values["config"], where)
    n_inputs, n_classes = len(values["inputs"]), len(values["classes"])
    want = circuit_spec(circuit).parameter_count(config, n_inputs, n_classes)
    got = len(values["parameters"])
    if got != want:
        classes = f" and {n_classes} classes" if task == "multiclass" else ""
        raise invalid_record(
            where,
            f"a {circuit} circuit with {n_inputs} inputs{classes} has {want} parameters; "
            f"the 'parameters' entry names {got}",
        )


def creation_date(record_created: str | None = None) -> str:
    """A creation date (of a run record, an archive): ``SOURCE_DATE_EPOCH``, ``record_created``
    or now.

    Parameters
    ----------
    record_created
        The run record's ``created`` entry (a W3C date), if it has one.

    Returns
    -------
    str
        ``SOURCE_DATE_EPOCH`` (seconds since 1970-01-01 UTC) as ``YYYY-MM-DDThh:mm:ssZ`` when
        the environment variable is set and not empty; else ``record_created`` when given; else
        the current time in the same form.

    Raises
    ------
    InputError
        If ``SOURCE_DATE_EPOCH`` is set but is not a non-negative whole number of seconds.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch:
        if not epoch.isdigit() or not epoch.isascii():
            raise InputError(
                "The SOURCE_DATE_EPOCH environment variable must be a "
                f"non-negative whole number of seconds since 1970-01-01 UTC. Got {epoch!r} "
                "instead."
            )
        try:
            return datetime.fromtimestamp(int(epoch), UTC).strftime(_W3C_SECONDS)
        except (OverflowError, OSError, ValueError) as exc:
            raise InputError(
                "The SOURCE_DATE_EPOCH environment variable must be a date "
                f"before the year 10000. Got {epoch!r} instead."
            ) from exc
    if record_created:
        return record_created
    return datetime.now(UTC).strftime(_W3C_SECONDS)


def check_event_model(record: RunRecord, run_dir: object, consequence: str) -> None:
    """Refuse a run whose ``model.xml`` is the event-free network (:data:`EVENT_FREE_SECTION`):
    ``consequence`` says what could not replay it (e.g. "a SED-ML time course cannot replay
    it")."""
    form = record.sections.get(EVENT_FREE_SECTION)
    if isinstance(form, dict):
        raise InputError(
            f"{run_dir}: its model.xml is the event-free training network of a phases run on "
            f"{form.get('data_values')} data values, too many for the event model (its data "
            f"are in schedule.csv, loaded phase by phase); {consequence}. Use a run of at most "
            f"{form.get('max_event_model_data_values')} data values, or drive model.xml with "
            "schedule.csv (result.json: model_form)."
        )
