"""``validate --rules sbml|neural-crn|all`` (issue 17, frictions 2 and 3): libSBML's checks alone
for ordinary models, the Neural-CRN rules too for sbmlcrn models (annotation, or the notes of
older ones) or when asked; the report says which rule sets ran and why; non-SBML XML (an OMEX
manifest) is skipped with a note, and one bad file never hides the reports of the others."""

from __future__ import annotations

import importlib.util
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import libsbml
import pytest
import yaml

import sbmlcrn
from sbmlcrn.cli import main
from sbmlcrn.core.network import Network, Parameter, Reaction, Species
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.validation import junit_xml, validate, validate_file, validate_string
from sbmlcrn.validation.markers import SBMLCRN_ANNOTATION, SBMLCRN_NAMESPACE

ROOT = Path(__file__).resolve().parents[2]
SBMLCRN_MODEL = ROOT / "models" / "linear_classification.xml"
_RR = importlib.util.find_spec("roadrunner")
RR_TESTS = Path(_RR.submodule_search_locations[0]) / "tests" if _RR else Path("/nonexistent")
ORDINARY_NOTE = "not an sbmlcrn model: libSBML checks only; --rules all adds the Neural-CRN rules"

# A small feedback loop with saturating (not mass-action) kinetics, like roadrunner's
# feedback.xml: valid SBML (libSBML: unit warnings only), not a Neural CRN.
FEEDBACK = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level2/version4" level="2" version="4">
  <model id="loop">
    <listOfCompartments><compartment id="cell" size="1"/></listOfCompartments>
    <listOfSpecies>
      <species id="Src" compartment="cell" initialConcentration="10" boundaryCondition="true"/>
      <species id="A" compartment="cell" initialConcentration="0"/>
      <species id="B" compartment="cell" initialConcentration="0"/>
      <species id="Snk" compartment="cell" initialConcentration="0" boundaryCondition="true"/>
    </listOfSpecies>
    <listOfParameters>
      <parameter id="Vm" value="10"/><parameter id="Ki" value="0.5"/>
      <parameter id="Km" value="2"/>
    </listOfParameters>
    <listOfReactions>
      <reaction id="make">
        <listOfReactants><speciesReference species="Src"/></listOfReactants>
        <listOfProducts><speciesReference species="A"/></listOfProducts>
        <listOfModifiers><modifierSpeciesReference species="B"/></listOfModifiers>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><divide/><apply><times/><ci>Vm</ci><ci>Src</ci></apply>
            <apply><plus/><cn>1</cn><apply><divide/><ci>B</ci><ci>Ki</ci></apply></apply>
          </apply></math></kineticLaw>
      </reaction>
      <reaction id="convert" reversible="false">
        <listOfReactants><speciesReference species="A"/></listOfReactants>
        <listOfProducts><speciesReference species="B"/></listOfProducts>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><divide/><apply><times/><ci>Vm</ci><ci>A</ci></apply>
            <apply><plus/><ci>Km</ci><ci>A</ci></apply></apply></math></kineticLaw>
      </reaction>
      <reaction id="drain" reversible="false">
        <listOfReactants><speciesReference species="B"/></listOfReactants>
        <listOfProducts><speciesReference species="Snk"/></listOfProducts>
        <kineticLaw><math xmlns="http://www.w3.org/1998/Math/MathML">
          <apply><divide/><ci>B</ci><apply><plus/><ci>Km</ci><ci>B</ci></apply></apply>
        </math></kineticLaw>
      </reaction>
    </listOfReactions>
  </model>
</sbml>
"""

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<omexManifest xmlns="http://identifiers.org/combine.specifications/omex-manifest">
  <content location="./model.xml" format="http://identifiers.org/combine.specifications/sbml"/>
</omexManifest>
"""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def assert_exactly_libsbml(path: Path, report: sbmlcrn.ValidationReport) -> None:
    """The report's findings are libSBML's own: read errors plus one checkConsistency() call
    with its default checks (sbmlcrn's default: units included), same ids, lines, severities
    and messages, nothing else."""
    doc = libsbml.readSBMLFromFile(str(path))
    doc.checkConsistency()
    logged = [doc.getError(i) for i in range(doc.getNumErrors())]
    assert len(report.findings) == len(logged)
    severities = {libsbml.LIBSBML_SEV_WARNING: "warning", libsbml.LIBSBML_SEV_ERROR: "error"}
    for finding, error in zip(report.findings, logged, strict=True):
        assert finding.code == f"SBML-{error.getErrorId()}"
        assert finding.line == (error.getLine() or None)
        assert finding.severity == severities.get(error.getSeverity(), finding.severity)
        assert finding.message.startswith(_one_line(error.getShortMessage()))
        # the message's first line is the rule's general text, which the short one replaces
        lines = [ln for ln in error.getMessage().splitlines() if ln.strip()][1:]
        for line in lines:
            if not line.strip().startswith("Reference:"):
                assert _one_line(line) in finding.message


def crn_codes(report: sbmlcrn.ValidationReport) -> list[str]:
    return [f.code for f in report.findings if f.category.startswith("crn:")]


@pytest.fixture
def feedback(tmp_path: Path) -> Path:
    path = tmp_path / "loop.xml"
    path.write_text(FEEDBACK, encoding="utf-8")
    return path


def small_network() -> Network:
    return Network(
        "tiny",
        (Species("A", 1.0), Species("B", 0.0)),
        (Parameter("k1", 0.5),),
        (Reaction("R1", ("A",), ("B",), "k1"),),
        notes="sbmlcrn linear-regression training network: 1 samples x 1 epochs.",
    )


# --- the automatic choice -----------------------------------------------------------------------


def test_ordinary_model_gets_libsbml_checks_alone_and_exactly_libsbmls_findings(
    feedback: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = validate_file(feedback)
    assert report.rules == ("sbml",) and report.rules_note == ORDINARY_NOTE
    assert report.ok and crn_codes(report) == [] and report.warnings
    assert_exactly_libsbml(feedback, report)
    assert main(["validate", str(feedback)]) == 0
    out = capsys.readouterr().out
    assert f"rules: sbml ({ORDINARY_NOTE})" in out.splitlines()[1]


def test_neural_crn_rules_when_asked(feedback: Path, capsys: pytest.CaptureFixture[str]) -> None:
    only = validate_file(feedback, rules="neural-crn")
    assert only.rules == ("neural-crn",) and not only.ok
    assert not [f for f in only.findings if f.category.startswith("sbml:")]
    assert crn_codes(only) == ["CRN002", "CRN003", "CRN003", "CRN003"]  # 'make' is reversible
    both = validate_file(feedback, rules="all")
    assert both.rules == ("sbml", "neural-crn") and both.rules_note.startswith("--rules all")
    assert both.findings == (*validate_file(feedback).findings, *only.findings)
    assert main(["validate", str(feedback), "--rules", "neural-crn", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["rules"] == ["neural-crn"] and data["counts"]["errors"] == 4
    assert data["rules_note"] == "--rules neural-crn: the Neural-CRN rules only"
    assert main(["validate", str(feedback), "--rules", "sbml"]) == 0


@pytest.mark.skipif(not (RR_TESTS / "feedback.xml").exists(), reason="roadrunner's test model")
def test_roadrunner_feedback_model(capsys: pytest.CaptureFixture[str]) -> None:
    """The model of issue 17: exit 1 with five CRN003 errors before; now libSBML's 10 warnings
    by default (exit 0), the CRN findings with --rules neural-crn (exit 1)."""
    path = RR_TESTS / "feedback.xml"
    report = validate_file(path)
    assert report.rules == ("sbml",) and report.ok and not report.errors
    assert_exactly_libsbml(path, report)
    assert main(["validate", str(path)]) == 0
    assert main(["validate", str(path), "--rules", "neural-crn"]) == 1
    out = capsys.readouterr().out
    assert out.count("error CRN003") == 5


@pytest.mark.skipif(not (RR_TESTS / "EcoliCore.xml").exists(), reason="roadrunner's test model")
def test_roadrunner_ecoli_core_gets_exactly_libsbmls_errors() -> None:
    path = RR_TESTS / "EcoliCore.xml"
    report = validate_file(path)
    assert report.rules == ("sbml",) and crn_codes(report) == [] and not report.ok
    assert_exactly_libsbml(path, report)
    assert len(validate_file(path, rules="all").errors) > len(report.errors)


def test_sbmlcrn_models_carry_the_annotation_and_get_both_rule_sets() -> None:
    text = to_sbml(small_network())
    assert text == to_sbml(small_network())  # deterministic
    assert text.count(SBMLCRN_NAMESPACE) == 1 and sbmlcrn.__version__ not in SBMLCRN_ANNOTATION
    report = validate_string(text)
    assert report.rules == ("sbml", "neural-crn") and "as its annotation says" in report.rules_note
    assert report.ok and not report.warnings
    assert validate_file(SBMLCRN_MODEL).rules == ("sbml", "neural-crn")
    for variant in (to_sbml(small_network(), molecules=10),):
        assert validate_string(variant).rules == ("sbml", "neural-crn")


def test_models_written_before_the_annotation_are_recognised_by_their_notes() -> None:
    doc = libsbml.readSBMLFromString(to_sbml(small_network()))
    doc.getModel().unsetAnnotation()
    old = libsbml.writeSBMLToString(doc)
    assert SBMLCRN_NAMESPACE not in old
    report = validate_string(old)
    assert report.rules == ("sbml", "neural-crn") and "as its notes say" in report.rules_note
    doc.getModel().unsetNotes()
    assert validate_string(libsbml.writeSBMLToString(doc)).rules == ("sbml",)
    # a model that merely mentions sbmlcrn is not one
    doc.getModel().setNotes('<body xmlns="http://www.w3.org/1999/xhtml"><p>see sbmlcrn</p></body>')
    assert validate_string(libsbml.writeSBMLToString(doc)).rules == ("sbml",)


def test_rules_option_is_checked() -> None:
    for function in (validate, validate_file, validate_string):
        with pytest.raises(InputError, match=r"^The rules parameter of \w+ must be .* instead\.$"):
            function(FEEDBACK, rules="crn")  # type: ignore[arg-type]


def test_report_outputs_say_which_rule_sets_ran(feedback: Path) -> None:
    report = validate_file(feedback)
    data = report.to_dict()
    assert data["rules"] == ["sbml"] and data["rules_note"] == ORDINARY_NOTE
    assert data["skipped"] is False
    suite = ET.fromstring(junit_xml([report])).find("testsuite")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"rules": "sbml", "rules-note": ORDINARY_NOTE}
    assert suite.get("tests") == str(len(suite.findall("testcase")))


# --- several files, the pre-commit hook ---------------------------------------------------------


def test_non_sbml_xml_is_skipped_with_a_note_never_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "manifest.xml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    assert main(["validate", str(manifest)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{manifest}: skipped: is XML but not SBML")
    assert err.startswith(f"note: {manifest}: skipped: ") and "error" not in err
    report = validate_file(manifest, unusable="report")
    assert report.skipped and report.ok and not report.usable and report.rules == ()
    assert [f.code for f in report.findings] == ["CRN911"]
    with pytest.raises(InputError, match="is XML but not SBML"):
        validate_file(manifest)  # raise mode: still an input error through the API


def test_one_bad_file_never_hides_the_other_reports(
    tmp_path: Path, feedback: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "manifest.xml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(FEEDBACK[: len(FEEDBACK) // 2], encoding="utf-8")
    files = [str(p) for p in (manifest, feedback, SBMLCRN_MODEL, broken)]
    # the hook's batch without the broken file: skipped manifest, two valid models: exit 0
    assert main(["validate", *files[:3]]) == 0
    capsys.readouterr()
    junit = tmp_path / "junit.xml"
    assert main(["validate", *files, "--junit", str(junit)]) == 2
    out, err = capsys.readouterr()
    for name in files:
        assert f"{name}: " in out
    assert "rules: sbml (not an sbmlcrn" in out and "rules: sbml + neural-crn (an sbmlcrn" in out
    assert err.count("note: ") == 1 and err.count("error: ") == 1
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name").rsplit(" ", 1)[-1] for s in suites] == files
    assert suites[0].find("testcase/skipped") is not None and suites[0].get("skipped") == "1"
    assert suites[3].get("failures") == "1"
    assert main(["validate", *files, "--json"]) == 2
    docs = json.loads(capsys.readouterr().out)
    assert [d["source"] for d in docs] == files
    assert [d["skipped"] for d in docs] == [True, False, False, False]
    assert [d["ok"] for d in docs] == [True, True, True, False]


def test_pre_commit_hook_runs_the_validator_on_sbml_and_skips_other_xml() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "sbmlcrn-validate")
    assert hook["id"] == "sbmlcrn-validate" and hook["entry"] == "sbmlcrn validate"
    pattern = re.compile(hook["files"])
    assert pattern.search("models/a.xml") and pattern.search("run/manifest.xml")
    assert "skipped" in hook["description"]
