"""Tests of sbmlcrn.validation: libSBML findings, each Neural-CRN rule, inputs, report output."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import antimony
import libsbml
import pytest

from sbmlcrn import validation as validate
from sbmlcrn.core.network import Network, Parameter, Reaction, Role, Species
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.validation import Finding, ValidationReport, validate_file, validate_string

CLEAN = """
model clean
  compartment C = 1
  species A in C = 1, B in C = 2, P in C = 0, x_p in C = 0, x_m in C = 0
  k = 0.5; k0 = 0.1; g = 1
  R1: A + B => P; C*k*g*A*B
  R2: P => ; k*P
  R3: => A; k0*g
  R4: A + P => A + B; C*(k*g)*(A*P)
  E1: at (time > 5): g = 0, x_p = 0.3, x_m = 0
end
"""

L3_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">\n'
)

L2V4 = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level2/version4" level="2" version="4">
  <model id="old">
    <listOfCompartments><compartment id="C" size="1"/></listOfCompartments>
    <listOfSpecies>
      <species id="A" compartment="C" initialConcentration="1"/>
      <species id="B" compartment="C" initialConcentration="0"/>
    </listOfSpecies>
    <listOfParameters><parameter id="k" value="1"/></listOfParameters>
    <listOfReactions>
      <reaction id="irrev" reversible="false">
        <listOfReactants><speciesReference species="A" stoichiometry="2"/></listOfReactants>
        <listOfProducts><speciesReference species="B"/></listOfProducts>
        <kineticLaw>
          <math xmlns="http://www.w3.org/1998/Math/MathML">
            <apply><times/><ci>k</ci><apply><power/><ci>A</ci><cn>2</cn></apply></apply>
          </math>
        </kineticLaw>
      </reaction>
      <reaction id="rev">
        <listOfReactants><speciesReference species="B"/></listOfReactants>
        <kineticLaw>
          <math xmlns="http://www.w3.org/1998/Math/MathML">
            <apply><times/><ci>kl</ci><ci>B</ci></apply>
          </math>
          <listOfParameters><parameter id="kl" value="2"/></listOfParameters>
        </kineticLaw>
      </reaction>
    </listOfReactions>
  </model>
</sbml>
"""

R1 = "  R1: A => P; k*A\nend\n"


def sbml(text: str) -> str:
    """SBML of an Antimony model."""
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(text) >= 0, antimony.getLastError()
    out = antimony.getSBMLString(antimony.getMainModuleName())
    assert out
    return out


def crn(report: ValidationReport) -> list[tuple[str, str, str | None]]:
    """(severity, code, location) of the Neural-CRN findings."""
    return [(f.severity, f.code, f.location) for f in report.findings if f.category[:4] == "crn:"]


def one_reaction(line: str, *, extra: str = "", **options: int | bool) -> ValidationReport:
    """Validate a model with species A, B, D, P, parameter k and one reaction (plus extra)."""
    text = f"model m\n  species A = 1, B = 1, D = 1, P = 0\n  k = 1\n  {line}\n{extra}\nend\n"
    return validate_string(sbml(text), units=False, **options)


# --- clean models -------------------------------------------------------------------------------


def test_clean_model_passes_with_gate_and_time_event() -> None:
    report = validate_string(sbml(CLEAN), source="clean.xml")
    assert report.ok
    assert report.errors == ()
    assert crn(report) == []
    assert report.stats["reactions"] == 4
    assert report.stats["events"] == 1
    assert report.stats["species"] == 5
    assert report.stats["parameters"] == 3
    assert report.stats["max_molecularity"] == 2
    assert (report.stats["level"], report.stats["version"]) == (3, 2)
    assert report.format_text().splitlines()[-1].startswith("clean.xml: 0 errors, ")


def test_units_flag_controls_unit_findings() -> None:
    text = sbml(CLEAN)
    with_units = validate_string(text)
    without = validate_string(text, units=False)
    assert any(f.category == "sbml:units-consistency" for f in with_units.findings)
    assert not any(f.category == "sbml:units-consistency" for f in without.findings)


def test_finding_of_libsbml_has_code_category_and_one_line_message() -> None:
    # The kinetic law uses an undefined symbol: a libSBML error, not an exception.
    doc = libsbml.readSBMLFromString(sbml("model m\n  species A = 1, P = 0\n  k = 1\n" + R1))
    law = doc.getModel().getReaction("R1").getKineticLaw()
    law.setMath(libsbml.parseL3Formula("k*A*nowhere"))
    report = validate_string(libsbml.writeSBMLToString(doc), units=False)
    sbml_errors = [f for f in report.errors if f.code.startswith("SBML-")]
    assert sbml_errors
    for f in sbml_errors:
        assert f.category.startswith("sbml:") and f.category == f.category.lower()
        assert f.code[5:].isdigit()
        assert "\n" not in f.message and f.message
        assert f.line is not None
    # the undefined symbol is neither species, compartment nor parameter
    assert ("error", "CRN003", "R1") in crn(report)


# --- reactions ----------------------------------------------------------------------------------


def test_reversible_reaction_is_an_error() -> None:
    report = one_reaction("R1: A -> P; k*A")
    assert crn(report) == [("error", "CRN002", "R1")]
    assert report.errors[0].category == "crn:irreversible"


def test_michaelis_menten_is_not_mass_action() -> None:
    report = one_reaction("R1: A => P; Vm*A/(Km + A)", extra="  Vm = 1; Km = 2")
    assert crn(report) == [("error", "CRN003", "R1")]
    assert report.errors[0].category == "crn:mass-action"
    assert "division" in report.errors[0].message


@pytest.mark.parametrize("law", ["k*A^2", "k*A*A", "pow(A, 2)*k", "2*k*(A*A)"])
def test_square_law_for_two_a_passes(law: str) -> None:
    assert crn(one_reaction(f"R1: 2 A => P; {law}")) == []


@pytest.mark.parametrize("law", ["k*A", "k*A^3", "k*A*B", "k*A^2*A", "k*A^2.0*A^0.5"])
def test_wrong_exponent_for_two_a_fails(law: str) -> None:
    assert crn(one_reaction(f"R1: 2 A => P; {law}")) == [("error", "CRN003", "R1")]


@pytest.mark.parametrize(
    "law",
    [
        "k*A + k*A",  # plus
        "k*A - 0",  # minus
        "-k*A",  # negation
        "k*exp(A)",  # function
        "k*A*time",  # time
        "piecewise(k*A, time > 1, 0)",
        "k*A^k",  # symbolic exponent
        "k*(A+B)^1",  # power of an expression
    ],
)
def test_other_math_is_not_mass_action(law: str) -> None:
    assert crn(one_reaction(f"R1: A => P; {law}")) == [("error", "CRN003", "R1")]


def test_species_that_is_not_a_reactant_fails() -> None:
    report = one_reaction("R1: A => P; k*A*B")
    assert crn(report) == [("error", "CRN003", "R1")]
    assert "'B'" in report.errors[0].message


def test_catalyst_written_as_reactant_and_product_passes() -> None:
    assert crn(one_reaction("R1: A + B => A + P; k*A*B")) == []


def test_zero_reactant_reaction_needs_a_constant_law() -> None:
    assert crn(one_reaction("R1: => P; k")) == []
    assert crn(one_reaction("R1: => P; k*P")) == [("error", "CRN003", "R1")]


def test_parameter_computed_from_species_is_not_a_rate_constant() -> None:
    report = one_reaction("R1: A => P; k*q*A", extra="  q := 2*B")
    assert crn(report) == [("error", "CRN003", "R1")]
    # a parameter set by a rule that does not involve species is fine
    assert crn(one_reaction("R1: A => P; k*q*A", extra="  q := 2*k")) == []


def test_trimolecular_reaction_and_max_molecularity() -> None:
    line = "R1: A + B + D => P; k*A*B*D"
    report = one_reaction(line)
    assert crn(report) == [("error", "CRN004", "R1")]
    assert report.errors[0].category == "crn:molecularity"
    assert report.stats["max_molecularity"] == 3
    relaxed = one_reaction(line, max_molecularity=3)
    assert crn(relaxed) == []
    assert relaxed.ok


def test_missing_kinetic_law_is_an_error() -> None:
    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    c = model.createCompartment()
    c.setId("C"), c.setSize(1), c.setConstant(True)
    for sid in ("A", "B"):
        s = model.createSpecies()
        s.setId(sid), s.setCompartment("C"), s.setInitialConcentration(1)
        s.setHasOnlySubstanceUnits(False), s.setBoundaryCondition(False), s.setConstant(False)
    r = model.createReaction()
    r.setId("R1"), r.setReversible(False)
    ref = r.createReactant()
    ref.setSpecies("A"), ref.setConstant(True)  # stoichiometry unset: counts as 1
    report = validate_string(libsbml.writeSBMLToString(doc), units=False)
    assert crn(report) == [("error", "CRN001", "R1")]
    assert report.stats["max_molecularity"] == 1


# --- events -------------------------------------------------------------------------------------

EVENT_MODEL = """
model m
  species A = 1, B = 1, x_p = 0, x_m = 0, lone_p = 0
  k = 1; g = 1
  R1: A => B; k*g*A
  {event}
end
"""


def events(event: str) -> ValidationReport:
    return validate_string(sbml(EVENT_MODEL.format(event=event)), units=False)


def test_event_assignment_computed_from_species_fails() -> None:
    report = events("E1: at (time > 1): A = B*2")
    found = [f for f in report.findings if f.code == "CRN010"]
    assert [(f.severity, f.location, f.category) for f in found] == [
        ("error", "E1", "crn:event-assignment")
    ]
    assert "assigns a value computed from species" in found[0].message
    # loading data values (numbers) and switching gates is fine
    fine = events("E1: at (time > 1): A = 0.5, g = 0")
    assert [f.code for f in fine.findings if f.code.startswith("CRN")] == ["CRN030"]  # lone_p


def test_trigger_on_species_fails_and_is_not_time_based() -> None:
    report = events("E1: at (A > 1): g = 0")
    codes = {
        (f.severity, f.code, f.location) for f in report.findings if f.category == "crn:trigger"
    }
    assert codes == {("error", "CRN011", "E1"), ("warning", "CRN012", "E1")}


def test_trigger_on_parameters_only_warns() -> None:
    report = events("E1: at (g > 0.5): g = 0")
    trig = [(f.severity, f.code) for f in report.findings if f.category == "crn:trigger"]
    assert trig == [("warning", "CRN012")]


def test_event_delay_warns() -> None:
    report = events("E1: at 2 after (time > 1): g = 0")
    trig = [(f.severity, f.code) for f in report.findings if f.category == "crn:trigger"]
    assert trig == [("warning", "CRN013")]


def test_parameter_computed_from_species_in_events() -> None:
    text = EVENT_MODEL.format(event="q := 2*A\n  E1: at (time > 1 && q > 1): g = q")
    report = validate_string(sbml(text), units=False)
    codes = sorted(f.code for f in report.errors)
    assert codes == ["CRN010", "CRN011"]


# --- dual rail ----------------------------------------------------------------------------------


def test_half_loaded_dual_rail_pair_fails() -> None:
    report = events("E1: at (time > 1): x_p = 0.5")
    rails = [
        (f.severity, f.code, f.location) for f in report.findings if f.category == "crn:dual-rail"
    ]
    assert ("error", "CRN031", "E1") in rails
    both = events("E1: at (time > 1): x_p = 0.5, x_m = 0")
    assert not [f for f in both.findings if f.code == "CRN031"]


def test_rail_without_partner_warns() -> None:
    report = events("E1: at (time > 1): g = 0")
    rails = [
        (f.severity, f.code, f.location) for f in report.findings if f.category == "crn:dual-rail"
    ]
    assert rails == [("warning", "CRN030", "lone_p")]
    assert report.ok


# --- rules and conventions ----------------------------------------------------------------------


def test_rate_rule_on_species_fails() -> None:
    report = one_reaction("R1: A => P; k*A", extra="  species Z = 0\n  Z' = k")
    assert crn(report) == [("error", "CRN020", "Z")]
    assert report.errors[-1].category == "crn:rules"


def test_assignment_rule_on_species_and_algebraic_rule_fail() -> None:
    assigned = one_reaction("R1: A => P; k*A", extra="  species Z\n  Z := 2*k")
    assert crn(assigned) == [("error", "CRN020", "Z")]
    doc = libsbml.readSBMLFromString(sbml("model m\n  species A = 1\n  k = 1\nend"))
    rule = doc.getModel().createAlgebraicRule()
    rule.setMath(libsbml.parseL3Formula("k - 1"))
    report = validate_string(libsbml.writeSBMLToString(doc), units=False)
    assert [(f.code, f.category) for f in report.errors if f.code[:3] == "CRN"] == [
        ("CRN021", "crn:rules")
    ]


def test_assignment_rule_on_parameter_is_fine() -> None:
    assert crn(one_reaction("R1: A => P; k*A", extra="  q := 2*k")) == []


def test_conventions_are_information_only() -> None:
    text = """
    model m
      compartment V = 2
      species A in V = 1; substanceOnly species S in V = 1
      k = 1
      R1: A => S; k*A
    end
    """
    report = validate_string(sbml(text), units=False)
    assert report.ok
    assert sorted(crn(report)) == [("info", "CRN040", "S"), ("info", "CRN041", "V")]


# --- other SBML levels and weird but parseable models -------------------------------------------


def test_level_2_model_is_reported() -> None:
    report = validate_string(L2V4, source="old.xml")
    assert (report.stats["level"], report.stats["version"]) == (2, 4)
    assert report.stats["max_molecularity"] == 2
    # 'rev' omits reversible (default true in Level 2); the local parameter is a rate constant
    assert crn(report) == [("error", "CRN002", "rev")]


def test_local_parameter_shadowing_a_species_is_a_constant() -> None:
    text = (
        L3_HEAD
        + """<model id="m">
  <listOfCompartments><compartment id="C" size="1" constant="true"/></listOfCompartments>
  <listOfSpecies>
    <species id="A" compartment="C" initialConcentration="1" hasOnlySubstanceUnits="false"
             boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfReactions>
    <reaction id="R1" reversible="false">
      <listOfReactants><speciesReference species="A" constant="true"/></listOfReactants>
      <kineticLaw>
        <math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><times/><ci>A</ci><ci>C</ci></apply>
        </math>
        <listOfLocalParameters><localParameter id="A" value="1"/></listOfLocalParameters>
      </kineticLaw>
    </reaction>
  </listOfReactions>
  <listOfEvents>
    <event id="E1" useValuesFromTriggerTime="true"/>
  </listOfEvents>
</model></sbml>"""
    )
    report = validate_string(text, units=False)
    found = crn(report)
    # the law's 'A' is the local parameter: species A (a reactant) is missing from the law
    assert ("error", "CRN003", "R1") in found
    assert ("warning", "CRN014", "E1") in found


def test_deeply_nested_product_does_not_hit_recursion_limits() -> None:
    doc = libsbml.readSBMLFromString(sbml("model m\n  species A = 1, P = 0\n  k = 1\n" + R1))
    node = libsbml.parseL3Formula("k*A")
    for _ in range(1500):  # times(1, times(1, ... k*A)) deeper than Python's recursion limit
        outer = libsbml.ASTNode(libsbml.AST_TIMES)
        one = libsbml.ASTNode(libsbml.AST_INTEGER)
        one.setValue(1)
        outer.addChild(one)
        outer.addChild(node)
        node = outer
    doc.getModel().getReaction("R1").getKineticLaw().setMath(node)
    report = validate_string(libsbml.writeSBMLToString(doc), units=False)
    assert report.ok
    assert crn(report) == []


MALFORMED = (
    L3_HEAD
    + """<model id="m">
  <listOfFunctionDefinitions>
    <functionDefinition id="f">
      <math xmlns="http://www.w3.org/1998/Math/MathML">FUNCTION</math>
    </functionDefinition>
  </listOfFunctionDefinitions>
  <listOfCompartments><compartment id="C" size="1" constant="true"/></listOfCompartments>
  <listOfSpecies>
    <species id="A" compartment="C" initialConcentration="1" hasOnlySubstanceUnits="false"
             boundaryCondition="false" constant="false"/>
  </listOfSpecies>
  <listOfParameters><parameter id="k" value="1" constant="true"/></listOfParameters>
  <listOfReactions>
    <reaction id="R1">
      <listOfReactants><speciesReference species="A" constant="true"/></listOfReactants>
      <kineticLaw>
        <math xmlns="http://www.w3.org/1998/Math/MathML">LAW</math>
      </kineticLaw>
    </reaction>
  </listOfReactions>
</model></sbml>"""
)
LAMBDA = (
    "<lambda><bvar><ci>x</ci></bvar><bvar><ci>y</ci></bvar>"
    "<apply><times/><ci>x</ci><ci>y</ci></apply></lambda>"
)
RATE_OF = (
    '<csymbol encoding="text" definitionURL="http://www.sbml.org/sbml/symbols/rateOf">'
    "rateOf</csymbol>"
)


def malformed(function: str, law: str) -> str:
    return MALFORMED.replace("FUNCTION", function).replace("LAW", law)


def test_reaction_without_reversible_attribute_in_level_3() -> None:
    law = "<apply><times/><ci>k</ci><ci>A</ci></apply>"
    report = validate_string(malformed(LAMBDA, law), units=False)
    assert [f for f in report.errors if f.code.startswith("SBML-")]  # required attribute
    assert crn(report) == [("error", "CRN002", "R1")]
    assert "does not declare" in report.errors[-1].message


@pytest.mark.parametrize(
    ("function", "law", "code"),
    [
        (LAMBDA, f"<apply>{RATE_OF}</apply>", "SBML-10218"),  # rateOf() without argument
        ("", "<apply><ci>f</ci><ci>k</ci><ci>A</ci></apply>", "SBML-20301"),  # no lambda
    ],
)
def test_math_that_crashes_libsbml_is_reported_not_run(function: str, law: str, code: str) -> None:
    report = validate_string(malformed(function, law))
    codes = [f.code for f in report.findings]
    assert code in codes
    assert "CRN901" in codes  # libSBML's consistency checks were skipped
    assert not report.ok


@pytest.mark.skipif(not hasattr(os, "fork"), reason="crash isolation needs os.fork")
@pytest.mark.parametrize("reversible", ["", ' reversible="false"'])
def test_libsbml_crash_in_consistency_check_does_not_kill_the_caller(reversible: str) -> None:
    # A <sep/> inside a lambda's bvar makes libSBML 5.21's unit check abort the process. Without
    # the read error (no reversible attribute) the checks take the fast path first.
    function = (
        "<lambda><bvar><ci>x</ci></bvar><bvar><sep/></bvar>"
        "<apply><times/><ci>x</ci><ci>x</ci></apply></lambda>"
    )
    text = malformed(function, "<apply><ci>f</ci><ci>k</ci><ci>A</ci></apply>")
    report = validate_string(text.replace('<reaction id="R1">', f'<reaction id="R1"{reversible}>'))
    assert not report.ok  # CRN902 while libSBML crashes, its own errors once it no longer does
    assert report.to_json()
    assert [f.severity for f in report.findings if f.code == "CRN902"] in ([], ["error"])


# --- unusable input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "this is not XML",
        "",
        sbml(CLEAN)[:400],  # truncated
        '<?xml version="1.0" encoding="UTF-8"?><html><body/></html>',
        L3_HEAD + "</sbml>",  # no model
    ],
)
def test_unusable_text_raises_input_error(text: str) -> None:
    with pytest.raises(InputError, match=r"^thing\.xml: "):
        validate_string(text, source="thing.xml")


@pytest.mark.parametrize("text", ["<sbml>\x00</sbml>", "<sbml>\ud800</sbml>"])
def test_text_that_is_not_xml_characters_raises_input_error(text: str) -> None:
    with pytest.raises(InputError, match=r"^<string>: "):
        validate_string(text)


def test_unusable_files_raise_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    with pytest.raises(InputError, match=r"missing\.xml"):
        validate_file(missing)
    with pytest.raises(InputError, match="directory"):
        validate_file(tmp_path)
    bad = tmp_path / "bad.xml"
    bad.write_text("not xml <<<", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.xml"):
        validate_file(bad)
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(sbml(CLEAN)[:-200], encoding="utf-8")
    with pytest.raises(InputError, match=r"truncated\.xml"):
        validate_file(truncated)
    binary = tmp_path / "binary.xml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match=r"binary\.xml"):
        validate_file(binary)


def test_bad_max_molecularity_is_an_input_error() -> None:
    with pytest.raises(InputError):
        validate_string(sbml(CLEAN), max_molecularity=-1)


# --- report output ------------------------------------------------------------------------------


def test_validate_file_reports_path_and_json_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "model.xml"
    path.write_text(sbml(CLEAN.replace("=>", "->", 1)), encoding="utf-8")
    report = validate_file(path)
    assert report.source == str(path)
    assert not report.ok
    data = json.loads(report.to_json())
    assert data == report.to_dict()
    assert list(data) == ["source", "ok", "counts", "stats", "findings"]
    assert data["counts"]["errors"] == len(report.errors) == 1
    assert data["findings"][-1] == {
        "severity": "error",
        "category": "crn:irreversible",
        "code": "CRN002",
        "message": report.errors[0].message,
        "location": "R1",
        "line": None,
    }
    for key in ("level", "version", "species", "reactions", "events", "parameters"):
        assert isinstance(data["stats"][key], int)


def test_output_is_deterministic(tmp_path: Path) -> None:
    text = sbml(EVENT_MODEL.format(event="E1: at (A > 1): x_p = B"))
    first = validate_string(text, source="m.xml")
    second = validate_string(text, source="m.xml")
    assert first == second
    assert first.to_json() == second.to_json()
    assert first.format_text() == second.format_text()
    path = tmp_path / "m.xml"
    path.write_text(text, encoding="utf-8")
    assert validate_file(path).findings == first.findings


def test_format_text_groups_by_category_and_ends_with_summary() -> None:
    report = events("E1: at (A > 1): x_p = B")
    lines = report.format_text().splitlines()
    headers = [line for line in lines if line.startswith("[")]
    assert len(headers) == len(set(headers))  # each category once
    assert "[crn:trigger]" in headers and "[crn:dual-rail]" in headers
    n_err, n_warn = len(report.errors), len(report.warnings)
    assert lines[-1] == f"<string>: {n_err} errors, {n_warn} warnings"
    assert len(lines) == 1 + len(headers) + len(report.findings) + 1


def test_report_values_are_immutable() -> None:
    report = validate_string(sbml(CLEAN), units=False)
    with pytest.raises(TypeError):
        report.stats["species"] = 0  # type: ignore[index]
    with pytest.raises(ValueError):
        Finding("fatal", "crn:rules", "CRN999", "no such severity")


def test_validation_is_right_after_tellurium_broke_libsbml_enums() -> None:
    """``import tellurium`` loads libsedml, whose SWIG types make libsbml's getType() boxed."""
    pytest.importorskip("tellurium")
    import subprocess
    import sys

    code = (
        "import tellurium, antimony\n"
        "from sbmlcrn.validation import validate_string\n"
        "antimony.loadAntimonyString('model m\\nspecies A=1; k=1\\nR1: A => ; k/A\\nend')\n"
        "r = validate_string(antimony.getSBMLString('m'), units=False)\n"
        "print(sorted({f.code for f in r.errors}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "['CRN003']"


def test_cli_validates_several_files_with_junit_output(tmp_path: Path, capsys) -> None:
    """Exit 1 if any file has an error; JUnit XML marks exactly the failing category."""
    from sbmlcrn.cli import main

    good = tmp_path / "good.xml"
    good.write_text(sbml(CLEAN), encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text(sbml("model m\nspecies A=1, B=0; k=1\nR1: A => B; k/A\nend"), encoding="utf-8")
    junit = tmp_path / "out" / "junit.xml"
    assert main(["validate", str(good), "--junit", str(junit)]) == 0
    assert main(["validate", str(good), str(bad), "--junit", str(junit)]) == 1
    text = capsys.readouterr().out
    assert "good.xml: 0 errors" in text and "bad.xml: 1 error" in text
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert len(suites) == 2
    assert suites[0].get("failures") == "0"
    failed = [c.get("name") for c in suites[1].iter("testcase") if c.find("failure") is not None]
    assert failed == ["crn:mass-action"]


def test_pre_commit_hook_definition_runs_the_validator() -> None:
    text = (Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml").read_text(
        encoding="utf-8"
    )
    assert "id: sbmlcrn-validate" in text and "entry: sbmlcrn validate" in text


# --- fast reactions -----------------------------------------------------------------------------


def test_fast_reaction_is_an_error() -> None:
    report = validate_string(
        L2V4.replace('id="irrev" reversible="false"', 'id="irrev" reversible="false" fast="true"')
    )
    assert ("error", "CRN006", "irrev") in crn(report)
    assert [f.category for f in report.findings if f.code == "CRN006"] == ["crn:mass-action"]
    assert ("error", "CRN006", "irrev") not in crn(validate_string(L2V4))


# --- libSBML's checks in parallel ---------------------------------------------------------------


def libsbml_sequential(text: str, *, units: bool = True) -> list[Finding]:
    """libSBML's own findings: read errors, then one checkConsistency() call in this process."""
    doc = libsbml.readSBMLFromString(text)
    read = [validate._sbml_finding(doc.getError(i)) for i in range(doc.getNumErrors())]
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, units)
    doc.checkConsistency()
    checked = [
        validate._sbml_finding(doc.getError(i)) for i in range(len(read), doc.getNumErrors())
    ]
    return list(dict.fromkeys([*read, *checked]))


def libsbml_findings(text: str, *, units: bool = True) -> list[Finding]:
    return validate._LibsbmlChecks(libsbml.readSBMLFromString(text), units=units).result()


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the child processes validate starts: 2 when the fast path settles the checks."""
    started: list[int] = []
    start = validate._Child.__init__

    def counting(self: validate._Child, work: Callable[[], object]) -> None:
        started.append(1)
        start(self, work)

    monkeypatch.setattr(validate._Child, "__init__", counting)
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
    monkeypatch.setattr(validate, "_CAN_FORK", False)
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
        validate.__doc__ or "",
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

    report = validate_file(path)
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
    assert main(["validate", str(path), "--json"]) == (0 if report.ok else 1)
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
    status = main(["validate", *map(str, SUITE_FILES), "--junit", str(junit)])
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
