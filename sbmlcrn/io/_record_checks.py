"""The value checks of the run record (:mod:`sbmlcrn.io.record`), kept in their own module.

Each check takes a JSON value and returns it (lists as tuples where the record keeps tuples) or
raises :class:`_Bad` saying what was found instead; :mod:`sbmlcrn.io.record` turns that into
:func:`invalid_record`'s message. The configuration is checked against the circuit's config
class (its field types here, its ranges by the class itself).
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any

from sbmlcrn.circuits.registry import CIRCUITS, Config, circuit_spec
from sbmlcrn.errors import InputError

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_PARAMETERS",
    "MAX_TEXT",
    "invalid_record",
    "is_species_id",
]

#: Deepest nesting of lists and objects read (a record nests 4 deep; sections a little more).
MAX_DEPTH = 64
#: Longest text entry (a name, a species id, a version, a date).
MAX_TEXT = 10_000
#: Most items in a list or mapping entry (a loss per epoch: epochs are at most 1,000,000).
MAX_ITEMS = 1_000_000
#: Most inputs and parameters (a trainable network has at most 200,000 reactions).
MAX_PARAMETERS = 200_000

Pair = tuple[str, str]
_LARGEST_FLOAT = sys.float_info.max
_LARGEST_COUNT = 2**63 - 1
_LARGEST_INT = _LARGEST_COUNT
_SPECIES_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_W3C_DATE = re.compile(
    r"\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?"
)


def is_species_id(text: object) -> bool:
    """Whether ``text`` is an SBML identifier (a letter or ``_``, then letters, digits, ``_``)."""
    return isinstance(text, str) and len(text) <= MAX_TEXT and bool(_SPECIES_ID.fullmatch(text))


def invalid_record(where: str | os.PathLike[str], what: str) -> InputError:
    """The error of a defective run record: ``<where> is not a valid run record (<what>)``.

    Parameters
    ----------
    where
        The record file (or a description of the record).
    what
        What is wrong, e.g. ``the 'parameters' entry must be …; got list instead``.

    Returns
    -------
    InputError
        The error to raise (the command line prints ``error: `` and the message, exit 2).
    """
    return InputError(f"{where} is not a valid run record ({what})")


class _Bad(Exception):
    """A value has the wrong shape; the message says what was found instead."""


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _show(value: object) -> str:
    """``repr(value)``, shortened (a record may hold a 400-digit number or a long text)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"an integer of {len(str(abs(value)))} digits"
    if isinstance(value, str | int | float):
        return _short(repr(value))
    return _kind(value)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object from its pairs (``json.loads``' hook), refusing a key given twice."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Bad(f"it has the key {_short(twice)!r} twice in one object")
    return out


def _check_depth(data: object, where: str) -> None:
    """Refuse lists and mappings nested deeper than :data:`MAX_DEPTH` (no recursion)."""
    level: list[object] = [data]
    for depth in range(MAX_DEPTH + 1):
        below: list[object] = []
        for node in level:
            if isinstance(node, Mapping):
                below.extend(v for v in node.values() if isinstance(v, Mapping | list | tuple))
            elif isinstance(node, list | tuple):
                below.extend(v for v in node if isinstance(v, Mapping | list | tuple))
        if not below:
            return
        if depth == MAX_DEPTH - 1:
            raise invalid_record(where, f"it nests deeper than {MAX_DEPTH} levels")
        level = below


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad(_kind(value))
    if len(value) > MAX_TEXT:
        raise _Bad(f"a text of {len(value)} characters (at most {MAX_TEXT})")
    return value


def _circuit(value: object) -> str:
    if _text(value) not in CIRCUITS:
        raise _Bad(f"{_show(value)}, not one of {', '.join(CIRCUITS)},")
    return value  # type: ignore[return-value]


def _species(value: object) -> str:
    if not is_species_id(value):
        raise _Bad(f"{_show(value)}, not a species id,")
    return value  # type: ignore[return-value]


def _date(value: object) -> str:
    if not isinstance(value, str) or not _W3C_DATE.fullmatch(value):
        raise _Bad(_show(value))
    return value


def _number(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _Bad(_kind(value))
    if isinstance(value, int) and abs(value) > _LARGEST_FLOAT:
        raise _Bad(f"{_show(value)}, too large for a float,")
    return value  # an int stays an int (byte-stable)


def _finite(value: object) -> float:
    if not math.isfinite(_number(value)):
        raise _Bad(_show(value))
    return value  # type: ignore[return-value]


def _positive(value: object) -> float:
    if not _finite(value) > 0:
        raise _Bad(_show(value))
    return value  # type: ignore[return-value]


def _count(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _LARGEST_COUNT:
        raise _Bad(_show(value) if isinstance(value, int | float) else _kind(value))
    return value


def _list_of(
    check: Callable[[Any], Any], most: int = MAX_ITEMS, least: int = 0
) -> Callable[[object], tuple[Any, ...]]:
    def run(value: object) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _Bad(_kind(value))
        if not least <= len(value) <= most:
            raise _Bad(f"a list of {len(value)} (from {least} to {most} items)")
        out = []
        for i, item in enumerate(value):
            try:
                out.append(check(item))
            except _Bad as bad:
                raise _Bad(f"{bad} at position {i}") from None
        return tuple(out)

    return run


def _map_of(check: Callable[[Any], Any], most: int = MAX_ITEMS) -> Callable[[object], dict]:
    def run(value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise _Bad(_kind(value))
        if len(value) > most:
            raise _Bad(f"a mapping of {len(value)} entries (at most {most})")
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise _Bad(f"a non-text key {_show(key)}")
            try:
                out[_text(key)] = check(item)
            except _Bad as bad:
                raise _Bad(f"{bad} for {_short(key)!r}") from None
        return out

    return run


def _optional(check: Callable[[Any], Any]) -> Callable[[object], Any]:
    return lambda value: None if value is None else check(value)


def _pair(value: object) -> Pair:
    if not (isinstance(value, list) and len(value) == 2):
        raise _Bad(_kind(value) if not isinstance(value, list) else f"a list of {len(value)}")
    plus, minus = (_species(s) for s in value)
    return (plus, minus)


def _any(value: object) -> object:
    return value


def _fields(spec: Mapping[str, tuple[Callable[[Any], Any], bool]]) -> Callable[[object], dict]:
    """A mapping whose named entries are checked (required or optional); others are kept."""
    loose = _map_of(_any, most=1_000)

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


def _unique(check: Callable[[object], tuple[Any, ...]]) -> Callable[[object], tuple[Any, ...]]:
    def run(value: object) -> tuple[Any, ...]:
        out = check(value)
        if len(set(out)) != len(out):
            twice = next(v for i, v in enumerate(out) if v in out[:i])
            raise _Bad(f"{_show(twice)} twice")
        return out

    return run


def _option(kind: str, value: object) -> object:
    """``value`` of a config field whose annotation is ``kind``, type-checked (lists → tuples).

    Raises :class:`ValueError` naming what was found; the config class checks the ranges.
    """
    if value is None and kind.endswith(" | None"):
        return None
    kind = kind.removesuffix(" | None")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and isinstance(value, int) and abs(value) > _LARGEST_FLOAT:
        raise ValueError(f"an integer of {len(str(abs(value)))} digits, too large for a float")
    if kind == "float" and number:
        return value
    if kind == "int" and number and isinstance(value, int) and abs(value) <= _LARGEST_INT:
        return value
    if (kind == "bool" and isinstance(value, bool)) or (kind == "str" and isinstance(value, str)):
        return value
    if kind.startswith("tuple[float") and isinstance(value, list):
        if kind == "tuple[float, float]" and len(value) != 2:
            raise ValueError(f"a list of {len(value)}")
        if len(value) > MAX_PARAMETERS:
            raise ValueError(f"a list of {len(value)}")
        return tuple(_option("float", v) for v in value)
    if kind not in ("float", "int", "bool", "str") and not kind.startswith("tuple["):
        return tuple(value) if isinstance(value, list) else value  # checked by the class
    shown = repr(value) if number and len(repr(value)) <= 40 else type(value).__name__
    raise ValueError("null" if value is None else shown)


def _config(circuit: str, config: Mapping[str, Any], where: str) -> Config:
    try:  # the design selects the config class; a record from before designs has none
        kind = circuit_spec(circuit).record_family(config.get("design")).config_class
    except InputError as exc:
        raise invalid_record(where, f"the 'config' entry's design is not valid: {exc}") from None
    types = {f.name: str(f.type) for f in fields(kind)}
    values = {}
    for name, value in config.items():
        if name not in types:
            raise invalid_record(
                where,
                f"the 'config' entry has the option {name[:40]!r}, which {kind.__name__} "
                "does not have",
            )
        try:
            values[name] = _option(types[name], value)
        except ValueError as exc:
            raise invalid_record(
                where,
                f"the 'config' entry's {name!r} must be {types[name]}; got {exc} instead",
            ) from None
    try:
        return kind(**values)  # type: ignore[no-any-return]
    except (TypeError, ValueError, OverflowError) as exc:  # InputError is a ValueError
        raise invalid_record(
            where, f"the 'config' entry is refused: {str(exc).rstrip('.')}"
        ) from None
