"""A tiny, immutable expression tree for event triggers and assignments.

Both writers render expressions with :func:`to_infix`; the SBML writer parses that text with
libSBML's Level 3 formula parser, so Antimony and SBML always carry the same mathematics.
Numbers are rendered with :func:`repr`, the shortest text that round-trips a float exactly,
which keeps the output byte-identical for identical inputs.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = [
    "Const",
    "Expr",
    "Op",
    "Sym",
    "balanced_lookup",
    "format_number",
    "symbols",
    "to_infix",
]

_BINARY = {"+": 4, "-": 4, "*": 5, "/": 5, "^": 6, ">=": 3, ">": 3, "<": 3, "<=": 3, "&&": 1}


@dataclass(frozen=True)
class Const:
    """A finite number, optionally with a unit id (written as ``5 mole_per_litre``).

    Giving every literal its unit lets libSBML's unit-consistency check pass without the
    "literal numbers with undeclared units" warnings.
    """

    value: float
    unit: str | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ValueError(f"The value parameter of Const must be finite. Got {self.value!r}.")


@dataclass(frozen=True)
class Sym:
    """A reference to a species, parameter or compartment id, or to ``time``."""

    name: str


@dataclass(frozen=True)
class Op:
    """An operator or function applied to arguments.

    ``op`` is one of ``+ - * / ^ >= > < <= &&`` (binary, left-associative chains allowed for
    ``+``, ``*`` and ``&&``) or ``piecewise`` (arguments ``value, condition, otherwise``).
    """

    op: str
    args: tuple[Expr, ...]

    def __post_init__(self) -> None:
        if self.op == "piecewise":
            if len(self.args) != 3:
                raise ValueError("The args parameter of Op('piecewise') must have 3 items.")
        elif self.op in _BINARY:
            if len(self.args) < 2 or (self.op not in {"+", "*", "&&"} and len(self.args) != 2):
                raise ValueError(
                    f"The args parameter of Op({self.op!r}) must have 2 items. "
                    f"Got {len(self.args)} instead."
                )
        else:
            raise ValueError(f"The op parameter of Op must be a known operator. Got {self.op!r}.")


Expr = Const | Sym | Op


def format_number(value: float) -> str:
    """Shortest text that reads back as exactly ``value`` (integers without a dot)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def to_infix(expr: Expr) -> str:
    """Render ``expr`` as SBML Level 3 infix text (also valid Antimony)."""
    return _render(expr, 0)


def _render(expr: Expr, parent: int) -> str:
    if isinstance(expr, Const):
        text = format_number(expr.value)
        if expr.unit:
            text = f"{text} {expr.unit}"
        return f"({text})" if expr.value < 0 or expr.unit else text
    if isinstance(expr, Sym):
        return expr.name
    if expr.op == "piecewise":
        return "piecewise(" + ", ".join(_render(a, 0) for a in expr.args) + ")"
    prec = _BINARY[expr.op]
    parts = [_render(expr.args[0], prec)]
    # right operands of non-associative operators bind tighter
    right = prec + (0 if expr.op in {"+", "*", "&&"} else 1)
    parts += [_render(a, right) for a in expr.args[1:]]
    text = f" {expr.op} ".join(parts)
    return f"({text})" if prec < parent or (prec == parent and parent != 0) else text


def symbols(expr: Expr) -> Iterator[str]:
    """Yield every symbol name referenced by ``expr`` (with repetitions)."""
    if isinstance(expr, Sym):
        yield expr.name
    elif isinstance(expr, Op):
        for arg in expr.args:
            yield from symbols(arg)


def balanced_lookup(index: Expr, values: Sequence[float], unit: str | None = None) -> Expr:
    """Return ``values[index]`` for an integer-valued ``index`` as a balanced piecewise tree.

    The tree has depth ``ceil(log2(len(values)))`` and only two-way ``piecewise`` nodes, so no
    simulator meets a long flat ``piecewise`` (COPASI silently drops one with 33 or more
    branches). Runs of equal values collapse into one leaf, so a column that is constant over a
    range costs nothing.
    """
    if not values:
        raise ValueError("The values parameter of balanced_lookup must not be empty.")
    vals = [float(v) for v in values]
    # run_end[i]: where the run of values equal to vals[i] ends, so "is [lo, hi) constant?" is
    # one comparison and the tree is built in time linear in the number of values
    run_end = [len(vals)] * len(vals)
    for i in range(len(vals) - 2, -1, -1):
        run_end[i] = run_end[i + 1] if vals[i + 1] == vals[i] else i + 1
    # Decision: the tree has no reference cycles, so the collector is paused while it is built
    # (measured for 100,000 samples: the generational passes over millions of new nodes were
    # most of the compile time) and restored as it was.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _tree(index, vals, run_end, 0, len(vals), unit)
    finally:
        if enabled:
            gc.enable()


def _tree(
    index: Expr, vals: list[float], run_end: list[int], lo: int, hi: int, unit: str | None
) -> Expr:
    if run_end[lo] >= hi:
        return Const(vals[lo], unit)
    mid = (lo + hi) // 2
    return Op(
        "piecewise",
        (
            _tree(index, vals, run_end, lo, mid, unit),
            Op("<", (index, Const(mid, "dimensionless"))),
            _tree(index, vals, run_end, mid, hi, unit),
        ),
    )
