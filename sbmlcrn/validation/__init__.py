"""Validation of SBML files: libSBML's consistency checks plus the Neural-CRN rules.

Validation is a value: :func:`validate_file` and :func:`validate_string` return a
:class:`ValidationReport` holding every :class:`Finding`; nothing is logged or printed. Any SBML
model is accepted (every Level and Version libSBML reads); only input that holds no SBML model at
all raises :class:`~sbmlcrn.errors.InputError`.

Two groups of checks run:

``sbml:*``
    The document's read errors and ``SBMLDocument.checkConsistency()`` with all categories on
    (units consistency only if ``units=True``). libSBML's own rule applies: once the log holds
    errors (read errors included), the later categories are skipped, so fix errors first.
    Where the platform has ``fork``, the checks run in two child processes at once while the
    Neural-CRN rules run, and give exactly the findings of one checkConsistency() call (see
    :func:`_consistency`); with two free CPUs a large model takes about half as long.
    libSBML's validators can crash on malformed math; see :class:`_LibsbmlChecks` for the
    guards (CRN901, CRN902), which keep such a crash from ending the caller's process.
``crn:*``
    The form of a compiled Neural CRN: irreversible reactions with mass-action kinetic laws
    (``C * k * g * A * B^2``), bounded molecularity, species that change by reactions only,
    time-triggered events that assign values independent of species, complete dual-rail pairs
    ``<base>_p`` / ``<base>_m`` that events load together, and (as information only) the
    convention of concentrations in a compartment of size 1.

Codes of the Neural-CRN findings (stable; severity in brackets)::

    CRN001 [error]   reaction without a kinetic law (or a law without math)    crn:mass-action
    CRN002 [error]   reaction not declared reversible="false"                  crn:irreversible
    CRN003 [error]   kinetic law is not mass action                            crn:mass-action
    CRN004 [error]   molecularity above the limit                              crn:molecularity
    CRN005 [error]   reactant stoichiometry not a constant positive integer    crn:molecularity
    CRN006 [error]   reaction declared fast="true" (SBML Level 2, L3V1)        crn:mass-action
    CRN010 [error]   event assigns a value computed from species               crn:event-assignment
    CRN011 [error]   event trigger depends on species                          crn:trigger
    CRN012 [warning] event trigger does not reference time                     crn:trigger
    CRN013 [warning] event has a delay                                         crn:trigger
    CRN014 [warning] event has no trigger                                      crn:trigger
    CRN020 [error]   rate or assignment rule on a species                      crn:rules
    CRN021 [error]   algebraic rule                                            crn:rules
    CRN030 [warning] dual-rail species without its other rail                  crn:dual-rail
    CRN031 [error]   event assigns one rail of a pair but not the other        crn:dual-rail
    CRN040 [info]    species with hasOnlySubstanceUnits="true"                 crn:conventions
    CRN041 [info]    compartment whose size is not 1                           crn:conventions
    CRN900 [error]   a Neural-CRN check failed on this model (a bug)           crn:internal
    CRN901 [warning] libSBML checks skipped: malformed math would crash them   sbml:checks-skipped
    CRN902 [error]   libSBML crashed while checking consistency                sbml:checks-skipped

libSBML findings carry the code ``SBML-<errorId>`` and the category ``sbml:<name>``, e.g.
``sbml:units-consistency``.

A parameter (or compartment) set by an assignment or rate rule whose math refers to species,
directly or through other rules, counts as "computed from species": it may appear neither in a
kinetic law nor in an event's trigger or assignments. Reaction ids used as symbols (their rates)
count the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import faulthandler
import json
import math
import os
import signal
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import libsbml

from sbmlcrn.errors import InputError

__all__ = [
    "ERROR",
    "INFO",
    "WARNING",
    "Finding",
    "ValidationReport",
    "junit_xml",
    "validate_file",
    "validate_string",
]

ERROR = "error"
WARNING = "warning"
INFO = "info"
_SEVERITIES = (ERROR, WARNING, INFO)

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

# MathML node types.
_NUMBERS = frozenset(
    {libsbml.AST_INTEGER, libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL}
)
_CONSTANTS = frozenset({libsbml.AST_CONSTANT_E, libsbml.AST_CONSTANT_PI, libsbml.AST_NAME_AVOGADRO})
_POWERS = frozenset({libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER})
_NODE_LABELS = {
    libsbml.AST_PLUS: "a sum",
    libsbml.AST_MINUS: "a subtraction or negation",
    libsbml.AST_DIVIDE: "a division",
    libsbml.AST_FUNCTION: "a function call",
    libsbml.AST_FUNCTION_PIECEWISE: "a piecewise expression",
    libsbml.AST_NAME_TIME: "time",
    libsbml.AST_FUNCTION_DELAY: "delay()",
}
_SHOWN = 80  # longest formula quoted in a message


@dataclass(frozen=True)
class Finding:
    """One problem (or remark) about a model.

    Attributes
    ----------
    severity : str
        ``"error"``, ``"warning"`` or ``"info"``.
    category : str
        ``"sbml:<libSBML category>"`` (e.g. ``"sbml:units-consistency"``) or ``"crn:<rule>"``
        (e.g. ``"crn:mass-action"``).
    code : str
        Stable short code: ``"CRN003"`` or ``"SBML-<libSBML error id>"``.
    message : str
        One line of text.
    location : str or None
        Id of the element concerned (reaction, event, species, ...) where known.
    line : int or None
        Line of the SBML text libSBML reported the problem at, where known (libSBML findings).
    """

    severity: str
    category: str
    code: str
    message: str
    location: str | None = None
    line: int | None = None

    def __post_init__(self) -> None:
        if self.severity not in _SEVERITIES:
            raise ValueError(f"severity must be one of {_SEVERITIES}, not {self.severity!r}")

    def to_dict(self) -> dict[str, Any]:
        """The finding as a JSON-ready dict (keys in a fixed order)."""
        return {
            "severity": self.severity,
            "category": self.category,
            "code": self.code,
            "message": self.message,
            "location": self.location,
            "line": self.line,
        }


@dataclass(frozen=True)
class ValidationReport:
    """The result of validating one SBML document.

    Attributes
    ----------
    source : str
        The path or name of what was validated.
    findings : tuple of Finding
        libSBML's findings first (in libSBML's order), then the Neural-CRN findings in model order.
    stats : Mapping
        ``level``, ``version``, ``model`` (its id, or ``""``), ``compartments``, ``species``,
        ``parameters`` (global ones), ``reactions``, ``rules``, ``events`` and
        ``max_molecularity`` (largest sum of reactant stoichiometries, rounded up).
    """

    source: str
    findings: tuple[Finding, ...]
    stats: Mapping[str, int | str] = field(hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))

    @property
    def errors(self) -> tuple[Finding, ...]:
        """Findings of severity ``"error"``."""
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Findings of severity ``"warning"``."""
        return tuple(f for f in self.findings if f.severity == WARNING)

    @property
    def infos(self) -> tuple[Finding, ...]:
        """Findings of severity ``"info"``."""
        return tuple(f for f in self.findings if f.severity == INFO)

    @property
    def ok(self) -> bool:
        """True if no finding is an error (warnings and infos are allowed)."""
        return not any(f.severity == ERROR for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict; the same report always gives the same dict."""
        return {
            "source": self.source,
            "ok": self.ok,
            "counts": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "info": len(self.infos),
            },
            "stats": dict(self.stats),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (:meth:`to_dict`), without a trailing newline."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_junit_suite(self) -> ET.Element:
        """The report as one JUnit ``<testsuite>``: a test case per category with findings,
        failed when it holds an error, warnings and infos in ``<system-out>``; a clean model
        gives one passing case ``sbml-model``."""
        suite = ET.Element("testsuite", name=f"sbmlcrn validate {self.source}")
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.category, []).append(finding)
        failures = 0
        for category, findings in groups.items() or [("sbml-model", [])]:
            case = ET.SubElement(suite, "testcase", classname=self.source, name=category)
            errors = [f for f in findings if f.severity == ERROR]
            if errors:
                failures += 1
                failure = ET.SubElement(
                    case, "failure", message=f"{len(errors)} error(s): {errors[0].message}"
                )
                failure.text = "\n".join(
                    f"{f.code} {f.location or ''}: {f.message}" for f in errors
                )
            rest = [f for f in findings if f.severity != ERROR]
            if rest:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(f"{f.severity} {f.code}: {f.message}" for f in rest)
        suite.set("tests", str(len(suite)))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        return suite

    def format_text(self) -> str:
        """The report for people: a header, the findings grouped by category, a summary line.

        The categories appear in the order of their first finding; the last line reads like
        ``model.xml: 0 errors, 2 warnings``.
        """
        s = self.stats
        lines = [
            f"{self.source}: SBML Level {s.get('level', '?')} Version {s.get('version', '?')}"
            f", {_count(s.get('species', 0), 'species', 'species')}"
            f", {_count(s.get('reactions', 0), 'reaction')}"
            f", {_count(s.get('events', 0), 'event')}"
            f", {_count(s.get('parameters', 0), 'parameter')}"
            f", max molecularity {s.get('max_molecularity', 0)}"
        ]
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.category, []).append(finding)
        for category, findings in groups.items():
            lines.append(f"[{category}]")
            for f in findings:
                where = []
                if f.location:
                    where.append(f.location)
                if f.line is not None:
                    where.append(f"line {f.line}")
                place = f" ({', '.join(where)})" if where else ""
                lines.append(f"  {f.severity} {f.code}{place}: {f.message}")
        summary = f"{self.source}: {_count(len(self.errors), 'error')}, " + _count(
            len(self.warnings), "warning"
        )
        if self.infos:
            summary += f", {len(self.infos)} info"
        lines.append(summary)
        return "\n".join(lines)


def junit_xml(reports: Sequence[ValidationReport]) -> str:
    """JUnit XML (``<testsuites>``) for CI systems, one suite per report."""
    root = ET.Element("testsuites", name="sbmlcrn validate")
    for report in reports:
        root.append(report.to_junit_suite())
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def validate_file(
    path: str | os.PathLike[str], *, max_molecularity: int = 2, units: bool = True
) -> ValidationReport:
    """Validate the SBML file at ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        An SBML file (UTF-8 XML, any Level and Version).
    max_molecularity : int, optional
        Largest allowed sum of reactant stoichiometries of a reaction (default 2).
    units : bool, optional
        Run libSBML's unit-consistency checks (default True).

    Returns
    -------
    ValidationReport
        Every finding; the report's ``source`` is ``str(path)``.

    Raises
    ------
    InputError
        If the file is missing, a directory or unreadable, is not UTF-8 text, or holds no SBML
        model (not XML, truncated XML, another XML vocabulary, no ``<model>`` element).
    """
    source = os.fspath(path)
    p = Path(source)
    if p.is_dir():
        raise InputError(f"{source}: is a directory, not an SBML file.")
    from sbmlcrn.validation.safexml import check_xml_file

    # Size limit, DOCTYPE/entity declarations (billion laughs, external entities are never
    # resolved), not-XML and truncated files are refused before libSBML parses anything.
    check_xml_file(p)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file.") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read the file: {exc.strerror or exc}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not UTF-8 text (byte {exc.start}); SBML files are UTF-8 XML."
        ) from None
    return validate_string(text, source=source, max_molecularity=max_molecularity, units=units)


def validate_string(
    text: str, *, source: str = "<string>", max_molecularity: int = 2, units: bool = True
) -> ValidationReport:
    """Validate SBML given as text.

    Parameters
    ----------
    text : str
        The SBML document (XML).
    source : str, optional
        Name of the text used in the report and in error messages.
    max_molecularity : int, optional
        Largest allowed sum of reactant stoichiometries of a reaction (default 2).
    units : bool, optional
        Run libSBML's unit-consistency checks (default True).

    Returns
    -------
    ValidationReport
        Every finding of libSBML and of the Neural-CRN rules.

    Raises
    ------
    InputError
        If ``max_molecularity`` is not a non-negative integer, or the text holds no SBML model.
    """
    if (
        isinstance(max_molecularity, bool)
        or not isinstance(max_molecularity, int)
        or max_molecularity < 0
    ):
        raise InputError(
            f"max_molecularity must be a non-negative integer, not {max_molecularity!r}."
        )
    if "\x00" in text:
        raise InputError(f"{source}: contains NUL characters; not an XML document.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{source}: not valid Unicode text ({exc.reason}).") from None
    doc = libsbml.readSBMLFromString(text)
    if doc is None:  # pragma: no cover - libSBML returns a document even for garbage
        raise InputError(f"{source}: libSBML could not read the text.")
    read_errors = [doc.getError(i) for i in range(doc.getNumErrors())]
    model = doc.getModel()
    fatal = [e for e in read_errors if e.getSeverity() == libsbml.LIBSBML_SEV_FATAL]
    if model is None or fatal:
        first = (fatal or [e for e in read_errors if _severity(e) == ERROR] or read_errors)[:1]
        reason = (
            f"{_sbml_message(first[0])} (line {first[0].getLine()})"
            if first
            else "the SBML document has no <model> element"
        )
        raise InputError(f"{source}: not a usable SBML model: {reason}.")
    libsbml_checks = _LibsbmlChecks(doc, units=units)  # in child processes where it can
    try:
        crn_findings, max_seen = _crn_findings(model, doc.getLevel(), max_molecularity)
    except BaseException:  # KeyboardInterrupt: do not leave the children running
        libsbml_checks.cancel()
        raise
    findings = libsbml_checks.result()
    stats: dict[str, int | str] = {
        "level": int(doc.getLevel()),
        "version": int(doc.getVersion()),
        "model": model.getId() or "",
        "compartments": int(model.getNumCompartments()),
        "species": int(model.getNumSpecies()),
        "parameters": int(model.getNumParameters()),
        "reactions": int(model.getNumReactions()),
        "rules": int(model.getNumRules()),
        "events": int(model.getNumEvents()),
        "max_molecularity": max_seen,
    }
    return ValidationReport(source=source, findings=(*findings, *crn_findings), stats=stats)


# --------------------------------------------------------------------------------------------
# libSBML


def _severity(error: libsbml.SBMLError) -> str:
    return _SEVERITY_MAP.get(error.getSeverity(), INFO)


def _one_line(text: str) -> str:
    return " ".join(text.split())


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

    def __init__(self, doc: libsbml.SBMLDocument, *, units: bool) -> None:
        self._doc = doc
        self._units = units
        self._read = [_sbml_finding(doc.getError(i)) for i in range(doc.getNumErrors())]
        # The fast path (two processes at once) only where libSBML's rule "stop after a
        # validator that leaves errors in the log" cannot apply already: no read errors.
        self._fast: list[_Child] = []
        if _CAN_FORK and not any(f.severity == ERROR for f in self._read):
            self._fast = [
                _Child(lambda calls=calls: _consistency_calls(doc, calls, stop=_spoils_fast_path))
                for calls in _fast_path_calls(units)
            ]
        try:
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
        checked = _consistency(self._doc, self._fast, units=self._units)
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

# A logged libSBML finding and the package that logged it ("" for SBML core).
_Logged = tuple[Finding, str]


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


def _consistency(doc: libsbml.SBMLDocument, fast: list[_Child], *, units: bool) -> list[Finding]:
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
    child process, as libSBML would run it.
    """
    found: dict[tuple[int, ...], list[_Logged]] = {}
    for child, calls in zip(fast, _fast_path_calls(units), strict=False):
        rows, crash = child.result()
        if crash or len(rows) != len(calls):  # a crash, or a finding that spoils the fast path
            break
        found.update(zip(calls, rows, strict=True))
    else:
        if fast and not any(_spoils_fast_path(checks, rows) for checks, rows in found.items()):
            order = [(_ID,), (_GENERAL,), (_SBO,), *_fast_path_calls(units)[1]]
            return [finding for checks in order for finding, _package in found[checks]]
    for child in fast:
        child.kill()
    sequential = _Child(lambda: _consistency_calls(doc, [_all_checks(units)]))
    rows, crash = sequential.result()
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


class _Child:
    """``work()`` run in a forked child process, its items sent back as JSON lines.

    Without ``os.fork`` (Windows) ``work`` runs in this process when the result is asked for.
    The child leaves with ``os._exit`` (no cleanup of libSBML objects that a crashing validator
    may have corrupted) and its stderr goes to /dev/null (a crashing validator's last words).
    """

    def __init__(self, work: Callable[[], Iterable[list[_Logged]]]) -> None:
        self._work = work
        self._pid = 0
        self._read_end = -1
        self._done: tuple[list[list[_Logged]], str] | None = None
        if not _CAN_FORK:
            return
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork() in multi-threaded processes; the child only
            # runs libSBML and json, then calls os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child process (coverage does not see it)
            status = 1
            try:
                os.close(read_end)
                faulthandler.disable()
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                with os.fdopen(write_end, "wb") as out:
                    for rows in work():
                        line = [[*dataclasses.astuple(f), package] for f, package in rows]
                        out.write(json.dumps(line).encode("utf-8") + b"\n")
                        out.flush()
                    out.write(b'"done"\n')
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    def result(self) -> tuple[list[list[_Logged]], str]:
        """The items ``work`` yielded, and ``""`` or why the child ended early (a crash)."""
        if self._done is None:
            self._done = self._collect() if self._pid else (list(self._work()), "")
        return self._done

    def kill(self) -> None:
        """End the child (its results are not wanted)."""
        if self._pid and self._done is None:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            self._done = ([], "killed")
            self._reap()

    def _reap(self) -> int | None:
        with contextlib.suppress(OSError):
            os.close(self._read_end)
        try:
            return os.waitpid(self._pid, 0)[1]
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored)
            return None

    def _collect(self) -> tuple[list[list[_Logged]], str]:
        try:
            with os.fdopen(os.dup(self._read_end), "rb") as inp:
                payload = inp.read()
        except BaseException:
            self.kill()
            raise
        wait_status = self._reap()
        items: list[list[_Logged]] = []
        finished = False
        try:
            for line in payload.splitlines():
                item = json.loads(line)
                if item == "done":
                    finished = True
                    break
                items.append([(Finding(*row[:6]), str(row[6])) for row in item])
        except (ValueError, TypeError, IndexError):
            return items, "its output was unreadable"
        if wait_status is not None and os.WIFSIGNALED(wait_status):
            number = os.WTERMSIG(wait_status)
            try:
                return items, f"signal {signal.Signals(number).name}"
            except ValueError:
                return items, f"signal {number}"
        if not finished or (
            wait_status is not None and os.waitstatus_to_exitcode(wait_status) != 0
        ):
            return items, "the checking process failed"
        return items, ""


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


# --------------------------------------------------------------------------------------------
# Neural-CRN rules


@dataclass
class _Symbols:
    """Ids of the model by kind, and which symbols depend on species."""

    species: set[str]
    compartments: set[str]
    parameters: set[str]
    reactions: set[str]
    from_species: set[str]  # species, reaction ids, and symbols rules compute from them
    assigned: set[str]  # targets of rules, initial assignments and event assignments


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


def _symbols(model: libsbml.Model) -> _Symbols:
    species = {s.getId() for s in _items(model.getListOfSpecies())}
    reactions = {r.getId() for r in _items(model.getListOfReactions()) if r.getId()}
    depends: dict[str, set[str]] = {}
    assigned: set[str] = set()
    for rule in _items(model.getListOfRules()):
        if rule.isAlgebraic():
            continue
        variable = rule.getVariable()
        assigned.add(variable)
        depends.setdefault(variable, set()).update(_names(rule.getMath()))
    for ia in _items(model.getListOfInitialAssignments()):
        assigned.add(ia.getSymbol())
    for event in _items(model.getListOfEvents()):
        for ea in _items(event.getListOfEventAssignments()):
            assigned.add(ea.getVariable())
    # A symbol depends on species if it is one, is a reaction rate, or a rule computes it from
    # such a symbol: walk the rules backwards from those seeds (linear, safe with cycles).
    users: dict[str, list[str]] = {}
    for variable, names in depends.items():
        for name in names:
            users.setdefault(name, []).append(variable)
    from_species = set(species) | reactions
    queue = list(from_species)
    while queue:
        for user in users.get(queue.pop(), ()):
            if user not in from_species:
                from_species.add(user)
                queue.append(user)
    return _Symbols(
        species=species,
        compartments={c.getId() for c in _items(model.getListOfCompartments())},
        parameters={p.getId() for p in _items(model.getListOfParameters())},
        reactions=reactions,
        from_species=from_species,
        assigned=assigned,
    )


def _crn_findings(
    model: libsbml.Model, level: int, max_molecularity: int
) -> tuple[list[Finding], int]:
    """All Neural-CRN findings and the largest molecularity found."""
    findings: list[Finding] = []
    max_seen = 0
    try:
        symbols = _symbols(model)
    except Exception as exc:  # a libSBML oddity must not escape; see CRN900
        return [_internal("symbol table", exc)], 0
    try:
        reaction_findings, max_seen = _check_reactions(model, level, symbols, max_molecularity)
        findings += reaction_findings
    except Exception as exc:
        findings.append(_internal("reaction", exc))
    for name, check in (
        ("rule", _check_rules),
        ("event", _check_events),
        ("species", _check_species),
        ("compartment", _check_compartments),
    ):
        try:
            findings += check(model, symbols)
        except Exception as exc:
            findings.append(_internal(name, exc))
    return findings, max_seen


def _internal(what: str, exc: Exception) -> Finding:
    return Finding(
        ERROR,
        "crn:internal",
        "CRN900",
        f"the {what} checks failed on this model ({type(exc).__name__}: {_one_line(str(exc))}); "
        "please report this as a bug of sbmlcrn",
    )


def _label(kind: str, element: Any, index: int) -> tuple[str, str | None]:
    """``("reaction 'R1'", "R1")``, or ``("reaction #3", None)`` for an element without id."""
    eid = element.getId() if element.isSetId() else ""
    return (f"{kind} '{eid}'", eid) if eid else (f"{kind} #{index + 1}", None)


# Reactions ----------------------------------------------------------------------------------


def _check_reactions(
    model: libsbml.Model, level: int, symbols: _Symbols, max_molecularity: int
) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    max_seen = 0.0
    for index, reaction in enumerate(_items(model.getListOfReactions())):
        label, rid = _label("reaction", reaction, index)
        unset = level >= 3 and not reaction.isSetReversible()
        if unset or reaction.getReversible():
            what = "does not declare reversible" if unset else "is reversible"
            findings.append(
                Finding(
                    ERROR,
                    "crn:irreversible",
                    "CRN002",
                    f"{label} {what}; Neural-CRN reactions are irreversible "
                    '(reversible="false"; Antimony "=>")',
                    rid,
                )
            )
        if reaction.isSetFast() and reaction.getFast():
            findings.append(
                Finding(
                    ERROR,
                    "crn:mass-action",
                    "CRN006",
                    f'{label} is declared fast="true": simulators hold it at equilibrium '
                    "instead of running its kinetic law; Neural-CRN reactions are not fast",
                    rid,
                )
            )
        stoichiometry, problems = _reactant_stoichiometry(reaction, symbols)
        for problem in problems:
            findings.append(
                Finding(ERROR, "crn:molecularity", "CRN005", f"{label}: {problem}", rid)
            )
        molecularity = sum(stoichiometry.values())
        max_seen = max(max_seen, molecularity)
        if molecularity > max_molecularity:
            findings.append(
                Finding(
                    ERROR,
                    "crn:molecularity",
                    "CRN004",
                    f"{label} has molecularity {molecularity:g} (sum of reactant "
                    f"stoichiometries); at most {max_molecularity} is allowed",
                    rid,
                )
            )
        law = reaction.getKineticLaw() if reaction.isSetKineticLaw() else None
        math_ = law.getMath() if law is not None else None
        if math_ is None:
            what = "has no kinetic law" if law is None else "has a kinetic law without math"
            findings.append(Finding(ERROR, "crn:mass-action", "CRN001", f"{label} {what}", rid))
            continue
        local = (
            {p.getId() for p in _items(law.getListOfParameters())}
            if law.getNumParameters()
            else set()
        )
        if level >= 3 and law.getNumLocalParameters():
            local |= {p.getId() for p in _items(law.getListOfLocalParameters())}
        issues = _mass_action_issues(math_, stoichiometry, local, symbols, exact=not problems)
        if issues:
            findings.append(
                Finding(
                    ERROR,
                    "crn:mass-action",
                    "CRN003",
                    f"{label}: kinetic law '{_formula(math_)}' is not mass action: "
                    + "; ".join(issues),
                    rid,
                )
            )
    return findings, math.ceil(max_seen)


def _reactant_stoichiometry(
    reaction: libsbml.Reaction, symbols: _Symbols
) -> tuple[dict[str, float], list[str]]:
    """Total stoichiometry of each reactant species, and the problems found on the way."""
    totals: dict[str, float] = {}
    problems: list[str] = []
    for ref in _items(reaction.getListOfReactants()):
        species = ref.getSpecies()
        if hasattr(ref, "isSetStoichiometryMath") and ref.isSetStoichiometryMath():
            problems.append(f"the stoichiometry of reactant '{species}' is given by math")
            continue
        if ref.isSetId() and ref.getId() in symbols.assigned:
            problems.append(
                f"the stoichiometry of reactant '{species}' ('{ref.getId()}') is changed by "
                "a rule or assignment"
            )
        n = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
        if not (math.isfinite(n) and n > 0 and float(n).is_integer()):
            problems.append(
                f"the stoichiometry {n:g} of reactant '{species}' is not a positive integer"
            )
            if not math.isfinite(n) or n <= 0:
                continue
        totals[species] = totals.get(species, 0.0) + n
    return totals, problems


def _mass_action_issues(
    law: libsbml.ASTNode,
    stoichiometry: Mapping[str, float],
    local: set[str],
    symbols: _Symbols,
    *,
    exact: bool,
) -> list[str]:
    """Why ``law`` is not ``constants * ∏ reactant^stoichiometry`` (empty if it is)."""
    issues: list[str] = []
    exponents: dict[str, float] = {}

    def symbol(name: str) -> str | None:
        """'species', 'constant', or None after recording an issue."""
        if name in local:
            return "constant"
        if name in symbols.species:
            return "species"
        if name in symbols.reactions:
            issues.append(f"uses the rate of reaction '{name}'")
        elif name in symbols.from_species:
            issues.append(f"uses '{name}', which a rule computes from species")
        elif name in symbols.parameters or name in symbols.compartments:
            return "constant"
        else:
            issues.append(f"uses '{name}', which is not a species, compartment or parameter")
        return None

    stack = [law]
    while stack:
        node = stack.pop()
        kind = _ast_type(node)
        if kind == libsbml.AST_TIMES:
            children = (node.getChild(i) for i in range(node.getNumChildren()))
            stack.extend(child for child in children if child is not None)
        elif kind in _NUMBERS:
            value = node.getValue()
            if not (math.isfinite(value) and value >= 0):
                issues.append(f"has the factor {_formula(node)}, not a finite number >= 0")
        elif kind in _CONSTANTS:
            pass
        elif kind == libsbml.AST_NAME:
            if symbol(node.getName()) == "species":
                exponents[node.getName()] = exponents.get(node.getName(), 0.0) + 1.0
        elif kind in _POWERS and node.getNumChildren() == 2:
            base, power = node.getChild(0), node.getChild(1)
            exponent = power.getValue() if _ast_type(power) in _NUMBERS else math.nan
            if not math.isfinite(exponent):
                issues.append(f"has the power {_formula(node)}, whose exponent is not a number")
            elif _ast_type(base) in _NUMBERS or _ast_type(base) in _CONSTANTS:
                pass
            elif _ast_type(base) != libsbml.AST_NAME:
                issues.append(f"has the power {_formula(node)} of an expression")
            elif symbol(base.getName()) == "species":
                if exponent > 0 and float(exponent).is_integer():
                    name = base.getName()
                    exponents[name] = exponents.get(name, 0.0) + exponent
                else:
                    issues.append(f"has the power {_formula(node)}, not a positive integer one")
        else:
            label = _NODE_LABELS.get(kind, "an expression that is not a product")
            issues.append(f"contains {label} ('{_formula(node)}')")
    if issues or not exact:
        return issues
    for name in sorted(exponents.keys() - stoichiometry.keys()):
        issues.append(f"uses species '{name}', which is not a reactant")
    for name in sorted(stoichiometry):
        got, want = exponents.get(name, 0.0), stoichiometry[name]
        if got != want:
            issues.append(
                f"reactant '{name}' appears to the power {got:g}, but its stoichiometry is {want:g}"
            )
    return issues


# Rules, events, species, compartments -------------------------------------------------------


def _check_rules(model: libsbml.Model, symbols: _Symbols) -> list[Finding]:
    findings: list[Finding] = []
    for index, rule in enumerate(_items(model.getListOfRules())):
        if rule.isAlgebraic():
            findings.append(
                Finding(
                    ERROR,
                    "crn:rules",
                    "CRN021",
                    f"algebraic rule #{index + 1} '0 = {_formula(rule.getMath())}': a Neural "
                    "CRN has no algebraic rules; its species evolve by reactions only",
                    None,
                )
            )
            continue
        variable = rule.getVariable()
        if variable in symbols.species:
            kind = "rate" if rule.isRate() else "assignment"
            findings.append(
                Finding(
                    ERROR,
                    "crn:rules",
                    "CRN020",
                    f"{kind} rule on species '{variable}': a Neural CRN's species evolve by "
                    "reactions only",
                    variable,
                )
            )
    return findings


def _from_species(names: Iterable[str], symbols: _Symbols) -> list[str]:
    return sorted(n for n in names if n in symbols.from_species)


def _check_events(model: libsbml.Model, symbols: _Symbols) -> list[Finding]:
    findings: list[Finding] = []
    for index, event in enumerate(_items(model.getListOfEvents())):
        label, eid = _label("event", event, index)
        trigger = event.getTrigger() if event.isSetTrigger() else None
        trigger_math = trigger.getMath() if trigger is not None else None
        if trigger_math is None:
            findings.append(
                Finding(
                    WARNING,
                    "crn:trigger",
                    "CRN014",
                    f"{label} has no trigger (it never fires)",
                    eid,
                )
            )
        else:
            used = _from_species(_names(trigger_math), symbols)
            if used:
                findings.append(
                    Finding(
                        ERROR,
                        "crn:trigger",
                        "CRN011",
                        f"{label}: trigger '{_formula(trigger_math)}' depends on species "
                        f"({', '.join(used)}); triggers may use only time, parameters, "
                        "compartments and numbers",
                        eid,
                    )
                )
            if not _refers_to_time(trigger_math):
                findings.append(
                    Finding(
                        WARNING,
                        "crn:trigger",
                        "CRN012",
                        f"{label}: trigger '{_formula(trigger_math)}' does not refer to time; "
                        "not a time-based trigger",
                        eid,
                    )
                )
        if event.isSetDelay():
            findings.append(
                Finding(
                    WARNING,
                    "crn:trigger",
                    "CRN013",
                    f"{label} has a delay ('{_formula(event.getDelay().getMath())}'); "
                    "Neural-CRN events take effect when they trigger",
                    eid,
                )
            )
        targets: list[str] = []
        for ea in _items(event.getListOfEventAssignments()):
            target = ea.getVariable()
            targets.append(target)
            used = _from_species(_names(ea.getMath()), symbols)
            if used:
                findings.append(
                    Finding(
                        ERROR,
                        "crn:event-assignment",
                        "CRN010",
                        f"{label} assigns a value computed from species to '{target}': "
                        f"'{_formula(ea.getMath())}' uses {', '.join(used)}",
                        eid,
                    )
                )
        findings += _half_loaded(label, eid, targets, symbols)
    return findings


def _other_rail(species_id: str, symbols: _Symbols) -> str | None:
    """The other rail of a complete dual-rail pair, or None."""
    for rail, other in (("_p", "_m"), ("_m", "_p")):
        if species_id.endswith(rail) and len(species_id) > len(rail):
            candidate = species_id[: -len(rail)] + other
            return candidate if candidate in symbols.species else None
    return None


def _half_loaded(
    label: str, eid: str | None, targets: list[str], symbols: _Symbols
) -> list[Finding]:
    findings = []
    assigned = set(targets)
    reported: set[str] = set()
    for target in targets:
        if target not in symbols.species or target in reported:
            continue
        other = _other_rail(target, symbols)
        if other is not None and other not in assigned:
            reported.add(target)
            findings.append(
                Finding(
                    ERROR,
                    "crn:dual-rail",
                    "CRN031",
                    f"{label} assigns '{target}' but not '{other}'; an event must load both "
                    f"rails of '{target[:-2]}'",
                    eid,
                )
            )
    return findings


def _check_species(model: libsbml.Model, symbols: _Symbols) -> list[Finding]:
    findings: list[Finding] = []
    for species in _items(model.getListOfSpecies()):
        sid = species.getId()
        for rail, other in (("_p", "_m"), ("_m", "_p")):
            if sid.endswith(rail) and len(sid) > len(rail):
                partner = sid[: -len(rail)] + other
                if partner not in symbols.species:
                    findings.append(
                        Finding(
                            WARNING,
                            "crn:dual-rail",
                            "CRN030",
                            f"species '{sid}' is one rail of '{sid[: -len(rail)]}', but the "
                            f"other rail '{partner}' does not exist",
                            sid,
                        )
                    )
        if species.getHasOnlySubstanceUnits():
            findings.append(
                Finding(
                    INFO,
                    "crn:conventions",
                    "CRN040",
                    f"species '{sid}' has hasOnlySubstanceUnits=\"true\"; Neural CRNs use "
                    "concentrations",
                    sid,
                )
            )
    return findings


def _check_compartments(model: libsbml.Model, symbols: _Symbols) -> list[Finding]:
    findings: list[Finding] = []
    level = model.getLevel()
    for compartment in _items(model.getListOfCompartments()):
        cid = compartment.getId()
        if not (compartment.isSetSize() or level == 1):
            what = "has no size"
        elif compartment.getSize() != 1.0:
            what = f"has size {compartment.getSize():g}"
        else:
            continue
        findings.append(
            Finding(
                INFO,
                "crn:conventions",
                "CRN041",
                f"compartment '{cid}' {what}; Neural CRNs assume one compartment of size 1",
                cid,
            )
        )
    return findings


def _count(n: int | str, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
