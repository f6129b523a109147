"""Validation results as values: :class:`Finding`, :class:`ValidationReport`, JUnit XML.

The codes a finding can carry are listed in the docstring of :mod:`sbmlcrn.validation`.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "ERROR",
    "INFO",
    "SKIPPED",
    "UNUSABLE",
    "WARNING",
    "Finding",
    "ValidationReport",
    "junit_xml",
]

ERROR = "error"
WARNING = "warning"
INFO = "info"
#: The code of the one finding of a report on input that holds no usable SBML model (see
#: ``unusable="report"`` of :func:`sbmlcrn.validation.validate_file`).
UNUSABLE = "CRN910"
#: The code of the one finding (an info) of a report on well-formed XML that is not SBML (another
#: vocabulary, e.g. an OMEX ``manifest.xml``): skipped, not validated (``unusable="report"``).
SKIPPED = "CRN911"
_SEVERITIES = (ERROR, WARNING, INFO)


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
    ok : bool
        Property: True when no finding is an error (warnings and infos are allowed); the
        verdict a caller or CI acts on. ``errors``, ``warnings`` and ``infos`` are the findings
        of each severity.
    rules : tuple of str
        The rule sets that ran, in the order ``"sbml"`` (libSBML's checks), ``"neural-crn"``
        (the Neural-CRN rules); empty for input that was not validated.
    rules_note : str
        Why those rule sets ran, e.g. ``"not an sbmlcrn model: libSBML checks only; --rules all
        adds the Neural-CRN rules"``.
    usable : bool
        Property: False for the report of input that holds no usable SBML model (its one
        finding, the error CRN910, says why; its ``stats`` are empty), and for skipped input.
    skipped : bool
        Property: True for the report of well-formed XML that is not SBML (another vocabulary):
        its one finding, the info CRN911, says so; it is not a failure (``ok`` is True).
    """

    source: str
    findings: tuple[Finding, ...]
    stats: Mapping[str, int | str] = field(hash=False)
    rules: tuple[str, ...] = ()
    rules_note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "stats", MappingProxyType(dict(self.stats)))
        object.__setattr__(self, "rules", tuple(self.rules))

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

    @property
    def usable(self) -> bool:
        """False if the input held no usable SBML model (the finding CRN910 says why) or was
        skipped as not SBML (CRN911)."""
        return not any(f.code in (UNUSABLE, SKIPPED) for f in self.findings)

    @property
    def skipped(self) -> bool:
        """True if the input is XML but not SBML and was skipped (the info CRN911)."""
        return any(f.code == SKIPPED for f in self.findings)

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
            "skipped": self.skipped,
            "rules": list(self.rules),
            "rules_note": self.rules_note,
            "stats": dict(self.stats),
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (:meth:`to_dict`), without a trailing newline."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_junit_suite(self) -> ET.Element:
        """The report as one JUnit ``<testsuite>``: a test case per category with findings,
        failed when it holds an error, warnings and infos in ``<system-out>``; a clean model
        gives one passing case ``sbml-model``; skipped input one skipped case. The suite's
        ``<properties>`` name the rule sets that ran (``rules``) and why (``rules-note``)."""
        suite = ET.Element("testsuite", name=f"sbmlcrn validate {self.source}")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="rules", value=",".join(self.rules))
        ET.SubElement(properties, "property", name="rules-note", value=self.rules_note)
        if self.skipped:
            case = ET.SubElement(suite, "testcase", classname=self.source, name="sbml-model")
            ET.SubElement(case, "skipped", message=self.findings[0].message)
            suite.set("tests", "1")
            suite.set("failures", "0")
            suite.set("errors", "0")
            suite.set("skipped", "1")
            return suite
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
        suite.set("tests", str(len(suite) - 1))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        return suite

    def format_text(self) -> str:
        """The report for people: a header, the findings grouped by category, a summary line.

        The categories appear in the order of their first finding; the last line reads like
        ``model.xml: 0 errors, 2 warnings``. The line after the header names the rule sets that
        ran and why. Skipped input gives one line (``manifest.xml: skipped: …``).
        """
        if self.skipped:
            return f"{self.source}: skipped: {self.findings[0].message}"
        s = self.stats
        header = (
            f"{self.source}: SBML Level {s.get('level', '?')} Version {s.get('version', '?')}"
            f", {_count(s.get('species', 0), 'species', 'species')}"
            f", {_count(s.get('reactions', 0), 'reaction')}"
            f", {_count(s.get('events', 0), 'event')}"
            f", {_count(s.get('parameters', 0), 'parameter')}"
            f", max molecularity {s.get('max_molecularity', 0)}"
        )
        lines = [header if self.usable else f"{self.source}: not a usable SBML file"]
        if self.rules:
            lines.append(f"rules: {' + '.join(self.rules)} ({self.rules_note})")
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


def _count(n: int | str, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"
