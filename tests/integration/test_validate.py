"""Tests of sbmlcrn.validation: libSBML findings, each Neural-CRN rule, inputs, report output.

The parallel libSBML checks and the SBML Test Suite subset are in test_validate_libsbml.py.
"""

from __future__ import annotations

import functools
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import antimony
import libsbml
import pytest

from sbmlcrn import validation
from sbmlcrn.errors import InputError
from sbmlcrn.validation import Finding, ValidationReport
from sbmlcrn.validation.rules import _crn_findings

# The models here are hand-written, without sbmlcrn's marker, so the automatic choice would run
# libSBML's checks alone: these tests of the Neural-CRN rules ask for both rule sets. The
# automatic choice is tested in test_validate_rules.py.
validate = functools.partial(validation.validate, rules="all")
validate_file = functools.partial(validation.validate_file, rules="all")
validate_string = functools.partial(validation.validate_string, rules="all")

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
    # The Neural-CRN rules walk the 1,500-deep tree iteratively ...
    findings, max_seen = _crn_findings(doc.getModel(), doc.getLevel(), 2)
    assert [f for f in findings if f.severity == "error"] == [] and max_seen == 1
    # ... and libSBML writes it as one product of 1,500 factors, which the pre-check refuses
    # before libSBML's quadratic checks see it.
    with pytest.raises(InputError, match=r"more than 1,000 operands.*MAX_MATH_OPERANDS"):
        validate_string(libsbml.writeSBMLToString(doc), units=False)


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


# --- validate(): a path or SBML text ------------------------------------------------------------


def test_validate_takes_a_path_as_str_or_pathlike(tmp_path: Path) -> None:
    path = tmp_path / "model.xml"
    path.write_text(sbml(CLEAN.replace("=>", "->", 1)), encoding="utf-8")
    expected = validate_file(path)
    assert not expected.ok and expected.source == str(path)
    assert validate(path) == expected
    assert validate(str(path)) == expected
    assert validate(path, units=False) == validate_file(path, units=False)
    with pytest.raises(InputError, match=r"missing\.xml"):
        validate(str(tmp_path / "missing.xml"))


def test_validate_takes_sbml_text() -> None:
    text = sbml(CLEAN)
    report = validate(text)
    assert report == validate_string(text) and report.ok and report.source == "<string>"
    blank_first = "\n  \t" + text.split("?>", 1)[1]  # no XML declaration after blanks
    assert validate(blank_first) == validate_string(blank_first) and validate(blank_first).ok
    high = sbml(CLEAN.replace("R4: A + P", "R4: A + P + B"))
    assert "CRN004" in {f.code for f in validate(high).errors}
    assert validate(high, max_molecularity=3) == validate_string(high, max_molecularity=3)
    assert "CRN004" not in {f.code for f in validate(high, max_molecularity=3).errors}


@pytest.mark.parametrize("source", [b"<sbml/>", 42, None, ["model.xml"]])
def test_validate_refuses_other_types_naming_the_source_parameter(source: object) -> None:
    with pytest.raises(InputError, match=r"^The source parameter of validate must be .* Got \w+"):
        validate(source)  # type: ignore[arg-type]


# --- report output ------------------------------------------------------------------------------


def test_validate_file_reports_path_and_json_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "model.xml"
    path.write_text(sbml(CLEAN.replace("=>", "->", 1)), encoding="utf-8")
    report = validate_file(path)
    assert report.source == str(path)
    assert not report.ok
    data = json.loads(report.to_json())
    assert data == report.to_dict()
    assert list(data) == [
        "source",
        "ok",
        "counts",
        "skipped",
        "rules",
        "rules_note",
        "stats",
        "findings",
    ]
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
    assert lines[1].startswith("rules: sbml + neural-crn (--rules all: ")
    assert len(lines) == 2 + len(headers) + len(report.findings) + 1


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
        "r = validate_string(antimony.getSBMLString('m'), units=False, rules='all')\n"
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
    assert main(["validate", str(good), str(bad), "--junit", str(junit), "--rules", "all"]) == 1
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
