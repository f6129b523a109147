"""Walking a libSBML model: its elements, their labels, and the nodes of their math.

Helpers shared by the libSBML checks (:mod:`sbmlcrn.validation.libsbml_checks`) and the
Neural-CRN rules (:mod:`sbmlcrn.validation.rules`); private to the validation package.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from typing import Any

import libsbml

_SHOWN = 80  # longest formula quoted in a message


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _ast_type(node: libsbml.ASTNode) -> int:
    """``node.getType()`` as an int, also when another SWIG module broke libsbml's enum.

    Importing a second SWIG wrapper of libSBML (libsedml, which ``import tellurium`` loads)
    registers ``enum ASTNodeType_t *`` first; libsbml's ``getType()`` then returns a boxed
    pointer instead of an int, and every comparison with ``libsbml.AST_*`` is silently false.
    The box holds the int, so it is read from there.
    """
    kind = node.getType()
    if isinstance(kind, int):
        return kind
    return ctypes.c_int.from_address(int(kind)).value


def _nodes(math: libsbml.ASTNode | None) -> Iterator[libsbml.ASTNode]:
    """Every node of ``math`` (iteratively: deep trees do not hit Python's recursion limit)."""
    stack = [math] if math is not None else []
    while stack:
        node = stack.pop()
        yield node
        for i in range(node.getNumChildren()):
            child = node.getChild(i)
            if child is not None:
                stack.append(child)


def _names(math: libsbml.ASTNode | None) -> set[str]:
    return {n.getName() for n in _nodes(math) if _ast_type(n) == libsbml.AST_NAME}


def _refers_to_time(math: libsbml.ASTNode | None) -> bool:
    return any(_ast_type(n) == libsbml.AST_NAME_TIME for n in _nodes(math))


def _formula(math: libsbml.ASTNode | None) -> str:
    text = (libsbml.formulaToL3String(math) or "") if math is not None else ""
    text = _one_line(text)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _items(list_of: Any) -> Iterator[Any]:
    for i in range(list_of.size()):
        yield list_of.get(i)


def _label(kind: str, element: Any, index: int) -> tuple[str, str | None]:
    """``("reaction 'R1'", "R1")``, or ``("reaction #3", None)`` for an element without id."""
    eid = element.getId() if element.isSetId() else ""
    return (f"{kind} '{eid}'", eid) if eid else (f"{kind} #{index + 1}", None)
