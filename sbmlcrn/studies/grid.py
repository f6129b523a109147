"""The grid of ``sbmlcrn sweep``: ``key=v1,v2`` items parsed by the config's field types.

Grid keys are the fields of the circuit's config dataclass
(:class:`~sbmlcrn.circuits.linear.LinearConfig`,
:class:`~sbmlcrn.circuits.products.ProductConfig` or
:class:`~sbmlcrn.circuits.nonlinear.NonlinearConfig`): the same names as in ``result.json``'s
``config``; an unknown key is refused with the valid keys and a did-you-mean. Values are parsed
by the field's type; ``a..b`` is an inclusive range of integers (integer fields only), ``none``
resets an optional field to its default.

Integers are parsed exactly (``seed=9007199254740993`` is that seed, never a float's nearest
neighbour) and must fit in 64 bits; a grid holds at most :data:`MAX_GRID_RUNS` combinations
(checked from the value counts before any combination is built, and duplicates are found with a
set, so parsing is linear in the grid's size).
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sbmlcrn.circuits.registry import circuit_spec
from sbmlcrn.errors import InputError

__all__ = [
    "MAX_GRID_RUNS",
    "combination_label",
    "combinations",
    "config_class",
    "parse_grid",
    "value_text",
]


#: Most combinations one sweep runs (each is a whole training run of about a second or more).
MAX_GRID_RUNS = 10_000

#: Largest magnitude of an integer grid value (a signed 64-bit integer).
_MAX_INT = 2**63 - 1


def _integer(key: str, token: str) -> int:
    """``token`` as an exact integer (``12``, ``-3``, or a float form like ``1e3``)."""
    try:
        value = int(token)
    except ValueError:
        try:
            number = float(token)
        except ValueError:
            raise InputError(f"--grid {key}={token}: must be an integer.") from None
        if not (math.isfinite(number) and number.is_integer()):
            raise InputError(f"--grid {key}={token}: must be an integer.") from None
        value = int(number)
    if abs(value) > _MAX_INT:
        raise InputError(f"--grid {key}={token}: must be at most {_MAX_INT} in magnitude.")
    return value


def config_class(circuit: str, design: str | None = None) -> type:
    """The config dataclass of ``circuit``'s ``design`` (None: its default design; unknown
    names raise :class:`InputError`)."""
    return circuit_spec(circuit).family_for(design).config_class


def _field_kind(annotation: Any) -> tuple[str, bool]:
    """``(kind, optional)`` of a config field: kind is int, float, bool, str or tuple."""
    text = str(annotation)
    optional = "None" in text
    for kind in ("tuple", "bool", "int", "float", "str"):
        if kind in text:
            return kind, optional
    return "str", optional  # pragma: no cover — every config field has one of the above


def _parse_value(key: str, kind: str, optional: bool, text: str) -> list[Any]:
    """The values one comma-separated piece stands for (a range gives several)."""
    token = text.strip()
    if not token:
        raise InputError(f"--grid {key}: empty value (write {key}=v1,v2,…).")
    if token.lower() == "none":
        if not optional:
            raise InputError(f"--grid {key}: cannot be none.")
        return [None]
    if ".." in token:
        if kind != "int":
            raise InputError(
                f"--grid {key}={token}: ranges a..b are for integer parameters "
                "(such as seed or epochs); list the values instead."
            )
        lo_text, _, hi_text = token.partition("..")
        try:
            lo, hi = int(lo_text), int(hi_text)
        except ValueError:
            raise InputError(f"--grid {key}={token}: a range is two integers, a..b.") from None
        if lo > hi:
            raise InputError(f"--grid {key}={token}: the range is empty ({lo} > {hi}).")
        if hi - lo + 1 > MAX_GRID_RUNS:
            raise InputError(
                f"--grid {key}={token}: {hi - lo + 1:,} values; a sweep runs at most "
                f"{MAX_GRID_RUNS:,} combinations."
            )
        for bound in (lo_text, hi_text):
            _integer(key, bound.strip())
        return list(range(lo, hi + 1))
    if kind == "bool":
        lowered = token.lower()
        if lowered in {"true", "yes", "on", "1"}:
            return [True]
        if lowered in {"false", "no", "off", "0"}:
            return [False]
        raise InputError(f"--grid {key}={token}: must be true or false.")
    if kind == "int":
        return [_integer(key, token)]
    if kind == "float":
        try:
            number = float(token)
        except ValueError:
            raise InputError(f"--grid {key}={token}: must be a number.") from None
        if not math.isfinite(number):
            raise InputError(f"--grid {key}={token}: must be finite.")
        return [number]
    return [token]


def parse_grid(circuit: str, items: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """Parse ``key=v1,v2`` items into ``{key: values}`` for ``circuit``'s config.

    Keys must be fields of the circuit's config dataclass (an unknown one raises
    :class:`~sbmlcrn.errors.InputError` naming it, with the valid keys); values are parsed
    by the field's type; ``a..b`` is an inclusive integer range; ``none`` resets an optional
    field. Tuple-valued fields (``init``, ``class_values``) cannot be swept. ``design=node``
    selects the paper's circuits (and their fields) for a nonlinear circuit; one design per
    sweep.
    """
    designs = {
        i.split("=", 1)[1].strip()
        for i in items
        if "=" in i and i.split("=", 1)[0].strip() == "design"
    }
    if len(designs) > 1 or any("," in d for d in designs):
        raise InputError(
            f"The --grid design values must be one design per sweep. Got {sorted(designs)} instead."
        )
    cls = config_class(circuit, designs.pop() if designs else None)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    grid: dict[str, tuple[Any, ...]] = {}
    for item in items:
        key, sep, rest = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--grid {item!r}: write KEY=VALUES, e.g. lr=0.01,0.05 or seed=0..9.")
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"--grid: unknown parameter {key!r} for {circuit} (a {cls.__name__} has: "
                f"{', '.join(fields)}).{hint}"
            )
        if key in grid:
            raise InputError(f"--grid: parameter {key!r} is given twice.")
        kind, optional = _field_kind(fields[key].type)
        if kind == "tuple":
            raise InputError(
                f"--grid: parameter {key!r} takes several numbers and cannot be swept."
            )
        values: list[Any] = []
        seen: set[Any] = set()
        for piece in rest.split(","):
            for value in _parse_value(key, kind, optional, piece):
                if value in seen:
                    raise InputError(f"--grid {key}: the value {value!r} is listed twice.")
                seen.add(value)
                values.append(value)
                if len(values) > MAX_GRID_RUNS:
                    raise InputError(
                        f"--grid {key}: more than {MAX_GRID_RUNS:,} values; a sweep runs at "
                        f"most {MAX_GRID_RUNS:,} combinations."
                    )
        grid[key] = tuple(values)
    runs = math.prod(len(v) for v in grid.values())
    if runs > MAX_GRID_RUNS:
        sizes = " x ".join(f"{len(v)} {k}" for k, v in grid.items())
        raise InputError(
            f"--grid: {sizes} = {runs:,} combinations; a sweep runs at most {MAX_GRID_RUNS:,}."
        )
    return grid


def combinations(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values (the last key varies fastest)."""
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def combination_label(combo: Mapping[str, Any]) -> str:
    """``key=value …`` of a combination."""
    return " ".join(f"{k}={value_text(v)}" for k, v in combo.items())


def value_text(value: Any) -> str:
    """A grid value as written on the command line (``none``, ``0.1``, ``True``)."""
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
