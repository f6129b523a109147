"""libSBML's checks of a document: read errors, checkConsistency(), malformed-math guards.

:class:`_LibsbmlChecks` runs them; where the platform has ``fork``, checkConsistency() runs in
child processes (:class:`~sbmlcrn.validation.child._Child`, see :func:`_consistency`) while
the caller runs the Neural-CRN rules; a crash of libSBML's validators becomes a finding (CRN901,
CRN902) instead of ending the caller's process, and checks that outlast :data:`CHECK_TIMEOUT`
are stopped (CRN903). The child processes never open the external documents a model names
(``comp:externalModelDefinition``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import libsbml

from sbmlcrn.validation.child import _Child, _Logged
from sbmlcrn.validation.elements import _formula, _items, _label, _one_line
from sbmlcrn.validation.report import ERROR, INFO, WARNING, Finding

# libSBML error categories (LIBSBML_CAT_*) by readable name; looked up by attribute name so an
# older or newer libSBML that lacks one of them still imports this module.
_CATEGORY_NAMES = {
    "LIBSBML_CAT_INTERNAL": "internal",
    "LIBSBML_CAT_SYSTEM": "system",
    "LIBSBML_CAT_XML": "xml",
    "LIBSBML_CAT_SBML": "sbml",
    "LIBSBML_CAT_SBML_L1_COMPAT": "l1-compatibility",
    "LIBSBML_CAT_SBML_L2V1_COMPAT": "l2v1-compatibility",
    "LIBSBML_CAT_SBML_L2V2_COMPAT": "l2v2-compatibility",
    "LIBSBML_CAT_SBML_L2V3_COMPAT": "l2v3-compatibility",
    "LIBSBML_CAT_SBML_L2V4_COMPAT": "l2v4-compatibility",
    "LIBSBML_CAT_SBML_L3V1_COMPAT": "l3v1-compatibility",
    "LIBSBML_CAT_SBML_L3V2_COMPAT": "l3v2-compatibility",
    "LIBSBML_CAT_SBML_COMPATIBILITY": "compatibility",
    "LIBSBML_CAT_GENERAL_CONSISTENCY": "general-consistency",
    "LIBSBML_CAT_IDENTIFIER_CONSISTENCY": "identifier-consistency",
    "LIBSBML_CAT_UNITS_CONSISTENCY": "units-consistency",
    "LIBSBML_CAT_MATHML_CONSISTENCY": "mathml-consistency",
    "LIBSBML_CAT_SBO_CONSISTENCY": "sbo-consistency",
    "LIBSBML_CAT_OVERDETERMINED_MODEL": "overdetermined-model",
    "LIBSBML_CAT_MODELING_PRACTICE": "modeling-practice",
    "LIBSBML_CAT_INTERNAL_CONSISTENCY": "internal-consistency",
    "LIBSBML_CAT_STRICT_UNITS_CONSISTENCY": "strict-units-consistency",
    "LIBSBML_CAT_RATE_RULE_CONVERSION": "rate-rule-conversion",
}
_SBML_CATEGORIES: dict[int, str] = {
    getattr(libsbml, attr): name
    for attr, name in _CATEGORY_NAMES.items()
    if isinstance(getattr(libsbml, attr, None), int)
}
_SEVERITY_MAP = {
    libsbml.LIBSBML_SEV_INFO: INFO,
    libsbml.LIBSBML_SEV_WARNING: WARNING,
    libsbml.LIBSBML_SEV_ERROR: ERROR,
    libsbml.LIBSBML_SEV_FATAL: ERROR,
    libsbml.LIBSBML_SEV_SCHEMA_ERROR: ERROR,
    libsbml.LIBSBML_SEV_GENERAL_WARNING: WARNING,
}

#: Seconds libSBML's consistency checks of one document may take altogether (their child
#: processes are killed then, and the finding CRN903 says so). Generous: sbmlcrn's largest
#: training models take far less; the pre-check's math limits
#: (:data:`sbmlcrn.validation.safexml.MAX_MATH_OPERANDS`) keep libSBML's slowest (quadratic)
#: checks small.
CHECK_TIMEOUT = 300.0


def _severity(error: libsbml.SBMLError) -> str:
    return _SEVERITY_MAP.get(error.getSeverity(), INFO)


def _sbml_message(error: libsbml.SBMLError) -> str:
    """libSBML's short message and its specific message (after the rule's text) on one line."""
    lines = [ln.strip() for ln in (error.getMessage() or "").splitlines() if ln.strip()]
    short = _one_line(error.getShortMessage() or "") or (lines[0] if lines else "")
    specific = _one_line(" ".join(ln for ln in lines[1:] if not ln.startswith("Reference:")))
    if not short:
        short = f"libSBML error {error.getErrorId()}"
    return f"{short}: {specific}" if specific else short


def _sbml_finding(error: libsbml.SBMLError) -> Finding:
    category = error.getCategory()
    line = error.getLine()
    return Finding(
        severity=_severity(error),
        category=f"sbml:{_SBML_CATEGORIES.get(category, f'category-{category}')}",
        code=f"SBML-{error.getErrorId()}",
        message=_sbml_message(error),
        line=int(line) if line else None,
    )


class _LibsbmlChecks:
    """libSBML's checks of ``doc``, started at construction; :meth:`result` waits for them.

    The findings are the read errors, then those of ``checkConsistency()``, duplicates dropped.
    Where the platform has ``fork``, the checks run in child processes (see :func:`_consistency`)
    while the caller runs the Neural-CRN checks.

    libSBML's validators can crash the process (segmentation fault, abort) on malformed math,
    e.g. ``rateOf()`` without an argument or a function definition without a body. Two guards:
    such math is reported here with libSBML's codes (:func:`_malformed_math`) and
    checkConsistency()'s findings are left out (CRN901); otherwise a crash of a child process
    becomes the error CRN902 instead of ending the caller's process.
    """

    def __init__(
        self, doc: libsbml.SBMLDocument, *, units: bool, timeout: float | None = CHECK_TIMEOUT
    ) -> None:
        self._doc = doc
        self._units = units
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._read = [_sbml_finding(doc.getError(i)) for i in range(doc.getNumErrors())]
        # The fast path (two processes at once) only where libSBML's rule "stop after a
        # validator that leaves errors in the log" cannot apply already: no read errors.
        self._fast: list[_Child] = []
        try:
            if _CAN_FORK and not any(f.severity == ERROR for f in self._read):
                for calls in _fast_path_calls(units):
                    self._fast.append(
                        _Child(
                            lambda calls=calls: _consistency_calls(
                                doc, calls, stop=_spoils_fast_path
                            ),
                            fork=True,
                            deadline=self._deadline,
                        )
                    )
            self._malformed = _malformed_math(doc.getModel())
        except BaseException:
            self.cancel()
            raise
        if self._malformed:
            self.cancel()

    def cancel(self) -> None:
        """Stop the checks still running (their findings are not wanted)."""
        for child in self._fast:
            child.kill()

    def result(self) -> list[Finding]:
        """The findings (waits for the child processes)."""
        if self._malformed:
            skipped = Finding(
                WARNING,
                "sbml:checks-skipped",
                "CRN901",
                "libSBML's consistency checks were not run: they can crash on such malformed "
                "math; fix it and validate again",
            )
            return list(dict.fromkeys([*self._read, *self._malformed, skipped]))
        checked = _consistency(self._doc, self._fast, units=self._units, deadline=self._deadline)
        return list(dict.fromkeys([*self._read, *checked]))


# libSBML's validators, in the order SBMLDocument.checkConsistency() runs them.
_ID = libsbml.LIBSBML_CAT_IDENTIFIER_CONSISTENCY
_GENERAL = libsbml.LIBSBML_CAT_GENERAL_CONSISTENCY
_SBO = libsbml.LIBSBML_CAT_SBO_CONSISTENCY
_MATH = libsbml.LIBSBML_CAT_MATHML_CONSISTENCY
_UNITS = libsbml.LIBSBML_CAT_UNITS_CONSISTENCY
_OVERDETERMINED = libsbml.LIBSBML_CAT_OVERDETERMINED_MODEL
_PRACTICE = libsbml.LIBSBML_CAT_MODELING_PRACTICE
_VALIDATORS = (_ID, _GENERAL, _SBO, _MATH, _UNITS, _OVERDETERMINED, _PRACTICE)
_CAN_FORK = hasattr(os, "fork")


def _all_checks(units: bool) -> tuple[int, ...]:
    """What checkConsistency() runs by default (units optional), in one call."""
    return tuple(c for c in _VALIDATORS if units or c != _UNITS)


def _fast_path_calls(units: bool) -> list[list[tuple[int, ...]]]:
    """The checkConsistency() calls of the fast path's two child processes (see
    :func:`_consistency`): one process runs the identifier, SBO and general checks, the other
    the MathML checks, then units with overdetermination and modelling practice (which reports
    SBML-80701, parameters without units, only when units are checked). The checks that often
    end the fast path come first; on large models the two processes take about as long."""
    last = tuple(c for c in _all_checks(units) if c not in {_ID, _GENERAL, _SBO, _MATH})
    return [[(_ID,), (_SBO,), (_GENERAL,)], [(_MATH,), last]]


def _consistency(
    doc: libsbml.SBMLDocument, fast: list[_Child], *, units: bool, deadline: float | None
) -> list[Finding]:
    """checkConsistency()'s findings for ``doc``, without the read errors already logged.

    libSBML runs its validators one after the other (identifiers, general, SBO, MathML, units,
    overdetermination, modelling practice, then those of SBML packages) and stops after one
    that leaves an error in the log (the identifier and MathML validators also after a
    warning). On large models the general checks are slow (one of them, 20906, looks every
    symbol of every kinetic law up among all the reactions: quadratic time), and so are the
    unit checks. The fast path (``fast``, started by :class:`_LibsbmlChecks`) runs them in two
    processes at once, each validator in a checkConsistency() call of its own (the last three
    together): its findings, put in libSBML's order, are exactly the sequential ones when no
    validator could have stopped the sequence (:func:`_spoils_fast_path`). Otherwise, or if a
    child process crashed, one checkConsistency() call with every validator on runs in a fresh
    child process, as libSBML would run it. All of it ends at ``deadline`` (CRN903).
    """
    found: dict[tuple[int, ...], list[_Logged]] = {}
    for child, calls in zip(fast, _fast_path_calls(units), strict=False):
        rows, crash = child.result()
        if crash.startswith("timed out"):  # the sequential run would take as long: stop
            for other in fast:
                other.kill()
            return [_timed_out(crash, calls[len(rows)] if len(rows) < len(calls) else ())]
        if crash or len(rows) != len(calls):  # a crash, or a finding that spoils the fast path
            break
        found.update(zip(calls, rows, strict=True))
    else:
        if fast and not any(_spoils_fast_path(checks, rows) for checks, rows in found.items()):
            order = [(_ID,), (_GENERAL,), (_SBO,), *_fast_path_calls(units)[1]]
            return [finding for checks in order for finding, _package in found[checks]]
    for child in fast:
        child.kill()
    sequential = _Child(
        lambda: _consistency_calls(doc, [_all_checks(units)]), fork=_CAN_FORK, deadline=deadline
    )
    rows, crash = sequential.result()
    if crash.startswith("timed out"):
        return [_timed_out(crash, ())]
    if crash or len(rows) != 1:
        return [
            Finding(
                ERROR,
                "sbml:checks-skipped",
                "CRN902",
                f"libSBML crashed ({crash or 'no output'}) while checking the model's "
                "consistency, so its consistency findings are missing; the model probably "
                "holds malformed math or elements (see the other findings)",
            )
        ]
    return [finding for finding, _package in rows[0]]


def _timed_out(crash: str, checks: tuple[int, ...]) -> Finding:
    """CRN903: the checks ``checks`` (empty: the whole checkConsistency() call) were killed."""
    names = ", ".join(_SBML_CATEGORIES.get(c, str(c)) for c in checks)
    what = f"libSBML's consistency checks ({names})" if names else "libSBML's consistency checks"
    return Finding(
        ERROR,
        "sbml:checks-skipped",
        "CRN903",
        f"{what} {crash} and were stopped, so the model's consistency findings are missing; "
        "a math element with many operands makes libSBML's general and unit checks slow "
        "(validate with units=False, or --no-units, to skip the unit checks)",
    )


def _spoils_fast_path(checks: tuple[int, ...], rows: list[_Logged]) -> bool:
    """Whether the findings ``rows`` of a fast-path call with validators ``checks`` on mean that
    libSBML's sequence of validators could have stopped early: an error (libSBML stops after a
    validator that leaves one in the log; without read errors only the fast path's own findings
    can), any finding of the identifier or MathML checks, or one of an SBML package (package
    validators run after all core ones, in an order the fast path does not keep)."""
    if checks in {(_ID,), (_MATH,)} and rows:
        return True
    return any(f.severity == ERROR or package not in ("", "core") for f, package in rows)


def _consistency_calls(
    doc: libsbml.SBMLDocument,
    calls: Sequence[tuple[int, ...]],
    *,
    stop: Callable[[tuple[int, ...], list[_Logged]], bool] | None = None,
) -> Iterator[list[_Logged]]:
    """For each entry of ``calls``, checkConsistency() with just those validators on; yields
    the findings each call adds to the log. Stops early where ``stop(enabled, findings)``."""
    for enabled in calls:
        for category in _VALIDATORS:
            doc.setConsistencyChecks(category, category in enabled)
        before = doc.getNumErrors()
        doc.checkConsistency()
        after = doc.getNumErrors()
        rows = [_logged(doc.getError(i)) for i in range(min(before, after), after)]
        yield rows
        if stop is not None and stop(enabled, rows):
            return


def _logged(error: libsbml.SBMLError) -> _Logged:
    return _sbml_finding(error), str(error.getPackage() or "")


def _malformed_math(model: libsbml.Model) -> list[Finding]:
    """Findings for math that crashes libSBML's validators, with libSBML's own codes.

    ``SBML-10218``: an operator or function with a wrong number of arguments.
    ``SBML-20301``: a function definition whose math is not a ``lambda`` with a body.
    """
    malformed = []
    for what, location, element in _math_elements(model):
        math_ = element.getMath()
        if math_ is None:
            continue
        line = int(element.getLine()) or None
        if not math_.isWellFormedASTNode():
            malformed.append(
                Finding(
                    ERROR,
                    "sbml:mathml-consistency",
                    "SBML-10218",
                    "Incorrect number of arguments given to MathML operator: the math of "
                    f"{what} '{_formula(math_)}' has an operator or function with the wrong "
                    "number of arguments",
                    location,
                    line,
                )
            )
        elif isinstance(element, libsbml.FunctionDefinition) and element.getBody() is None:
            malformed.append(
                Finding(
                    ERROR,
                    "sbml:general-consistency",
                    "SBML-20301",
                    f"Invalid top-level element in a function definition: {what} has no lambda "
                    f"with a body ('{_formula(math_)}')",
                    location,
                    line,
                )
            )
    return malformed


def _math_elements(model: libsbml.Model) -> Iterator[tuple[str, str | None, Any]]:
    """(description, id, element) of every SBML core element of ``model`` that may hold math."""
    for i, fd in enumerate(_items(model.getListOfFunctionDefinitions())):
        yield (*_label("function definition", fd, i), fd)
    for ia in _items(model.getListOfInitialAssignments()):
        yield f"initial assignment to '{ia.getSymbol()}'", ia.getSymbol() or None, ia
    for i, rule in enumerate(_items(model.getListOfRules())):
        if rule.isAlgebraic():
            yield f"algebraic rule #{i + 1}", None, rule
        else:
            yield f"rule for '{rule.getVariable()}'", rule.getVariable() or None, rule
    for i, constraint in enumerate(_items(model.getListOfConstraints())):
        yield f"constraint #{i + 1}", None, constraint
    stoichiometry_math = model.getLevel() == 2  # only SBML Level 2 has <stoichiometryMath>
    for i, reaction in enumerate(_items(model.getListOfReactions())):
        label, rid = _label("reaction", reaction, i)
        if reaction.isSetKineticLaw():
            yield f"kinetic law of {label}", rid, reaction.getKineticLaw()
        if not stoichiometry_math:
            continue
        for refs in (reaction.getListOfReactants(), reaction.getListOfProducts()):
            for ref in _items(refs):
                if hasattr(ref, "isSetStoichiometryMath") and ref.isSetStoichiometryMath():
                    yield f"stoichiometry math in {label}", rid, ref.getStoichiometryMath()
    for i, event in enumerate(_items(model.getListOfEvents())):
        label, eid = _label("event", event, i)
        if event.isSetTrigger():
            yield f"trigger of {label}", eid, event.getTrigger()
        if event.isSetDelay():
            yield f"delay of {label}", eid, event.getDelay()
        if event.isSetPriority():
            yield f"priority of {label}", eid, event.getPriority()
        for ea in _items(event.getListOfEventAssignments()):
            yield f"assignment to '{ea.getVariable()}' in {label}", eid, ea
