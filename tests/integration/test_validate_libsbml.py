"""Tests of sbmlcrn.validation's libSBML checks: the parallel checks against libSBML's own
sequence, and the vendored subset of the SBML Test Suite."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import libsbml
import pytest

from sbmlcrn import validation
from sbmlcrn.core.network import Network, Parameter, Reaction, Role, Species
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.validation import Finding, libsbml_checks, validate_file, validate_string
from tests.integration.test_validate import CLEAN, sbml

# --- libSBML's checks in parallel ---------------------------------------------------------------


def libsbml_sequential(text: str, *, units: bool = True) -> list[Finding]:
    """libSBML's own findings: read errors, then one checkConsistency() call in this process."""
    doc = libsbml.readSBMLFromString(text)
    read = [libsbml_checks._sbml_finding(doc.getError(i)) for i in range(doc.getNumErrors())]
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, units)
    doc.checkConsistency()
    checked = [
        libsbml_checks._sbml_finding(doc.getError(i)) for i in range(len(read), doc.getNumErrors())
    ]
    return list(dict.fromkeys([*read, *checked]))


def libsbml_findings(text: str, *, units: bool = True) -> list[Finding]:
    return libsbml_checks._LibsbmlChecks(libsbml.readSBMLFromString(text), units=units).result()


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the child processes validate starts: 2 when the fast path settles the checks."""
    started: list[int] = []
    start = libsbml_checks._Child.__init__

    def counting(self: libsbml_checks._Child, work: Callable[[], object], **options: Any) -> None:
        started.append(1)
        start(self, work, **options)

    monkeypatch.setattr(libsbml_checks._Child, "__init__", counting)
    return started


def with_model(edit: Callable[[libsbml.Model], object]) -> str:
    """SBML of the CLEAN model after ``edit`` changed it."""
    doc = libsbml.readSBMLFromString(sbml(CLEAN))
    edit(doc.getModel())
    return libsbml.writeSBMLToString(doc)


def _undefined_symbol(m: libsbml.Model) -> None:
    m.getReaction("R1").getKineticLaw().setMath(libsbml.parseL3Formula("C*k*g*A*B*nowhere"))


def _assignment_cycle(m: libsbml.Model) -> None:
    for variable, value in (("k", "k0 * g"), ("k0", "k")):
        m.getParameter(variable).setConstant(False)
        rule = m.createAssignmentRule()
        rule.setVariable(variable)
        rule.setMath(libsbml.parseL3Formula(value))


# Each faulty model and its processes: 2 when the fast path settles the checks, 3 when a finding
# sends them on to one sequential run, 1 (that run alone) when the SBML had read errors.
ERROR_MODELS = {
    "undefined symbol (identifiers)": lambda: with_model(_undefined_symbol),
    "duplicate id": lambda: with_model(lambda m: m.getParameter("k").setId("A")),
    "dangling unit": lambda: with_model(lambda m: m.getParameter("k").setUnits("nounit")),
    "wrong SBO term (warning)": lambda: with_model(lambda m: m.getReaction("R1").setSBOTerm(5)),
    "unit mismatch (warnings)": lambda: with_model(
        lambda m: m.getParameter("k").setUnits("second")
    ),
    "assignment cycle (general)": lambda: with_model(_assignment_cycle),
    "read error": lambda: sbml(CLEAN).replace(' reversible="false"', "", 1),
}
PROCESSES = {"wrong SBO term (warning)": 2, "unit mismatch (warnings)": 2, "read error": 1}


@pytest.mark.parametrize("units", [True, False])
@pytest.mark.parametrize("name", sorted(ERROR_MODELS))
def test_parallel_checks_equal_libsbml_sequence_on_faulty_models(
    name: str, units: bool, children: list[int]
) -> None:
    """The checks give exactly libSBML's findings, in its order, also when a validator's
    findings stop libSBML's sequence of validators early."""
    text = ERROR_MODELS[name]()
    expected = libsbml_sequential(text, units=units)
    assert expected or not units  # each model gives libSBML something to report
    assert libsbml_findings(text, units=units) == expected
    if hasattr(os, "fork"):
        assert len(children) == PROCESSES.get(name, 3)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fast path needs os.fork")
def test_parallel_checks_equal_libsbml_sequence_on_a_large_network(children: list[int]) -> None:
    """Hundreds of reactions with units, as sbmlcrn writes them: the fast path is taken and
    every finding (units warnings included) comes out as libSBML's sequential run gives it."""
    names = [f"s{i}_{rail}" for i in range(30) for rail in ("p", "m")]
    reactions = []
    for i in range(400):  # A => C and A + B => C, first and second order, every one gated
        a, b, c = (
            names[(step * i + shift) % len(names)] for step, shift in ((1, 0), (7, 3), (13, 5))
        )
        c = c if c != a else names[(i + 1) % len(names)]
        reactants = (a, b) if i % 2 else (a,)
        reactions.append(Reaction(f"R{i}", reactants, (c,), f"k{len(reactants)}", ("g",)))
    network = Network(
        "large",
        tuple(Species(s, 1.0) for s in names),
        (
            Parameter("k1", 0.5),
            Parameter("k2", 0.1),
            Parameter("g", 1.0, Role.GATE, constant=False),
        ),
        tuple(reactions),
    )
    text = to_sbml(network)
    for units in (True, False):
        children.clear()
        assert libsbml_findings(text, units=units) == libsbml_sequential(text, units=units)
        assert len(children) == 2  # the fast path, no sequential run after it
    report = validate_string(text)
    assert report.ok and report.stats["reactions"] == 400 and report.stats["max_molecularity"] == 2


def test_without_fork_the_checks_run_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    text = with_model(_undefined_symbol)
    forked = validate_string(text, source="m.xml")
    monkeypatch.setattr(libsbml_checks, "_CAN_FORK", False)
    assert validate_string(text, source="m.xml") == forked
    clean = sbml(CLEAN)
    assert libsbml_findings(clean) == libsbml_sequential(clean)


# --- the SBML Test Suite subset -------------------------------------------------------------------

SUITE = Path(__file__).resolve().parent / "data" / "sbml-test-suite"
SUITE_FILES = sorted(SUITE.glob("*.xml"))
# The Neural-CRN codes each vendored case gives (libSBML reports warnings only on them).
SUITE_EXPECTED: dict[str, set[str]] = {
    "00001-sbml-l1v2.xml": set(),
    "00001-sbml-l2v4.xml": set(),
    "00022-sbml-l2v4.xml": {"CRN005", "CRN041"},  # reactant stoichiometry 0.7; size 0.3
    "00027-sbml-l3v1.xml": {"CRN041"},
    "00028-sbml-l3v1.xml": {"CRN003"},  # factorial(ceiling(p1*S1)) / p2
    "00030-sbml-l2v1.xml": {"CRN020"},
    "00032-sbml-l2v4.xml": {"CRN020"},
    "00033-sbml-l2v4.xml": set(),
    "00037-sbml-l3v1.xml": set(),
    "00039-sbml-l3v1.xml": {"CRN003", "CRN021"},  # law uses a modifier; algebraic rule
    "00055-sbml-l2v2.xml": {"CRN003"},  # k2 * (S2 - S3)
    "00070-sbml-l2v4.xml": set(),  # stoichiometryMath on products only
    "00078-sbml-l3v1.xml": {"CRN020"},
    "00277-sbml-l3v1.xml": {"CRN003"},  # a function call as the law
    "00350-sbml-l3v1.xml": {"CRN011", "CRN012"},
    "00848-sbml-l2v4.xml": {"CRN002", "CRN003", "CRN011", "CRN012", "CRN013"},
    "00873-sbml-l2v4.xml": {"CRN002", "CRN003", "CRN006"},
    "00876-sbml-l2v5.xml": {"CRN002", "CRN003", "CRN021"},
    "00877-sbml-l3v1.xml": set(),
    "00879-sbml-l3v1.xml": set(),
    "00938-sbml-l3v1.xml": set(),
    "00950-sbml-l3v1.xml": set(),
    "00975-sbml-l3v1.xml": {"CRN002", "CRN003"},
    "01007-sbml-l2v3.xml": {"CRN040", "CRN041"},
    "01007-sbml-l3v1.xml": {"CRN040", "CRN041"},
    "01326-sbml-l3v1.xml": {"CRN002", "CRN010", "CRN011", "CRN012", "CRN013"},
    "01334-sbml-l3v1.xml": {"CRN012"},
    "01413-sbml-l2v4.xml": set(),
    "01417-sbml-l3v1.xml": {"CRN002"},
    "01635-sbml-l3v1.xml": {"CRN002", "CRN005"},  # reactant stoichiometry set by a rate rule
    "01636-sbml-l2v4.xml": {"CRN002", "CRN005"},  # reactant stoichiometryMath
    "01668-sbml-l3v1.xml": {"CRN020"},
    "01714-sbml-l3v1.xml": {"CRN002"},
    "01720-sbml-l3v1.xml": {"CRN002", "CRN013"},
    "01730-sbml-l3v1.xml": {"CRN002", "CRN003"},
}
# Severity and category of every Neural-CRN code, from the table in sbmlcrn.validation's docstring.
CODE_TABLE = {
    m["code"]: (m["severity"], m["category"])
    for m in re.finditer(
        r"^\s+(?P<code>CRN\d{3}) \[(?P<severity>\w+)\].*?(?P<category>\S+:\S+)$",
        validation.__doc__ or "",
        re.MULTILINE,
    )
}


def test_suite_subset_is_vendored_with_source_and_license() -> None:
    assert 30 <= len(SUITE_FILES) <= 60
    assert {p.name for p in SUITE_FILES} == set(SUITE_EXPECTED)
    readme = (SUITE / "README.md").read_text(encoding="utf-8")
    assert "sbmlteam/sbml-test-suite" in readme and "Lesser General Public License" in readme
    for path in SUITE_FILES:
        assert re.search(rf"`{path.name}` \| L\dV\d \| .+ \| `[0-9a-f]{{40}}` \|", readme), (
            path.name
        )
    assert "version 2.1" in (SUITE / "LICENSE.txt").read_text(encoding="utf-8")
    assert "Version 2.1" in (SUITE / "COPYING.LGPL-2.1").read_text(encoding="utf-8")
    levels = {re.search(r"-l(\d)v\d", p.name)[1] for p in SUITE_FILES}
    assert levels == {"1", "2", "3"}
    assert len(CODE_TABLE) >= 20 and CODE_TABLE["CRN006"] == ("error", "crn:mass-action")


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.name)
def test_suite_case_gives_a_sane_report_and_exit_status(path: Path, capsys) -> None:
    from sbmlcrn.cli import main

    # ordinary models: by default libSBML's checks alone, which find no error in valid SBML
    default = validate_file(path)
    assert default.rules == ("sbml",) and default.rules_note.startswith("not an sbmlcrn model")
    assert default.ok and not [f for f in default.findings if f.category.startswith("crn:")]
    report = validate_file(path, rules="all")
    assert report.rules == ("sbml", "neural-crn")
    assert [f for f in report.findings if f.code.startswith("SBML-")] == list(default.findings)
    level, version = (int(c) for c in re.search(r"-l(\d)v(\d)\.xml$", path.name).groups())
    assert (report.stats["level"], report.stats["version"]) == (level, version)
    # valid SBML: libSBML has warnings at most, and its checks ran (no CRN9xx)
    assert [f for f in report.errors if not f.code.startswith("CRN")] == []
    assert not [f for f in report.findings if f.code.startswith("CRN9")]
    # the Neural-CRN rules as designed: the expected codes, each with its documented severity
    found = [f for f in report.findings if f.code.startswith("CRN")]
    assert {f.code for f in found} == SUITE_EXPECTED[path.name]
    for f in found:
        assert (f.severity, f.category) == CODE_TABLE[f.code], f
    for f in report.findings:
        assert f.category.split(":")[0] in {"sbml", "crn"} and f.message and "\n" not in f.message
    assert report.ok == (not any(f.severity == "error" for f in found))
    assert json.loads(report.to_json()) == report.to_dict()
    # the command line: exit status 0 or 1 as the report says, JSON on stdout, never status 2
    assert main(["validate", str(path), "--json", "--rules", "all"]) == (0 if report.ok else 1)
    out = json.loads(capsys.readouterr().out)
    assert out == report.to_dict()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fast path needs os.fork")
@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.name)
def test_suite_case_parallel_checks_equal_libsbml_sequence(path: Path, children: list[int]) -> None:
    text = path.read_text(encoding="utf-8")
    assert libsbml_findings(text) == libsbml_sequential(text)
    assert len(children) == 2  # warnings only: the fast path settles the checks


def test_cli_validates_the_whole_suite_at_once(tmp_path: Path, capsys) -> None:
    from sbmlcrn.cli import main

    junit = tmp_path / "junit.xml"
    assert main(["validate", *map(str, SUITE_FILES)]) == 0  # libSBML's checks alone: valid
    capsys.readouterr()
    status = main(["validate", *map(str, SUITE_FILES), "--junit", str(junit), "--rules", "all"])
    out = capsys.readouterr().out
    assert status == 1  # some cases break Neural-CRN rules (reversible reactions, ...)
    assert out.count(" errors, ") + out.count(" error, ") == len(SUITE_FILES)
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert len(suites) == len(SUITE_FILES)
    failing = {s.get("name").rsplit("/", 1)[-1] for s in suites if s.get("failures") != "0"}
    assert failing == {
        name
        for name, codes in SUITE_EXPECTED.items()
        if any(CODE_TABLE[c][0] == "error" for c in codes)
    }
