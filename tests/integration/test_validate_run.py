"""``sbmlcrn validate --run DIR`` and :func:`sbmlcrn.validate_run` (issue 18)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import sbmlcrn
from sbmlcrn.cli import main
from sbmlcrn.errors import InputError
from sbmlcrn.io.copasi import copasi_available
from tests.helpers import linear_data

MODELS = Path(__file__).resolve().parents[2] / "models"


def _write_csv(path: Path, x: np.ndarray, y: np.ndarray) -> Path:
    rows = [
        "x1,x2,y",
        *(f"{a!r},{b!r},{t!r}" for (a, b), t in zip(x.tolist(), y.tolist(), strict=True)),
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A tiny linear-regression run trained from CSV files, with its data and test files."""
    where = tmp_path_factory.mktemp("validate_run")
    data, _, _ = linear_data(12, 2, seed=5, noise=0.1)
    train_csv = _write_csv(where / "train.csv", data.x[:8], data.y[:8])
    test_csv = _write_csv(where / "test.csv", data.x[8:], data.y[8:])
    out = where / "run"
    sbmlcrn.train("linear-regression", train_csv, test=test_csv, out=out, epochs=2, plots=False)
    return {"run": out, "data": train_csv, "test": test_csv, "where": where}


def _copy(run: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(run, tmp_path / "copy"))


def test_fresh_run_passes_every_check(fresh: dict[str, Path], tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    code = main(
        ["validate", "--run", str(fresh["run"]), "--data", str(fresh["data"]),
         "--test", str(fresh["test"]), "--expect-mse", "100", "--junit", str(junit)]
    )  # fmt: skip
    assert code == 0
    root = ET.parse(junit).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"weights-roadrunner", "expectations", "reproducible", "structure"}
    assert not any(c.find("failure") is not None for c in cases.values())
    suite = root.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "0"
    from junitparser import JUnitXml  # a standard JUnit reader, as CI services use

    parsed = JUnitXml.fromfile(str(junit))
    names = {case.name: case for s in parsed for case in s}
    assert set(names) == set(cases) and all(case.is_passed for case in names.values())


def test_recomputed_metric_matches_the_record(fresh: dict[str, Path]) -> None:
    report = sbmlcrn.validate_run(fresh["run"], test=fresh["test"])
    check = report.check("expectations")
    assert check.status == "reported"  # no expectations: reported, not judged
    recorded = json.loads((fresh["run"] / "result.json").read_text())["test"]["mse"]
    assert check.data["metric"]["mse"] == pytest.approx(recorded, rel=1e-6)
    assert (
        sbmlcrn.validate_run(fresh["run"], test=fresh["test"], expect_mse=0.0)
        .check("expectations")
        .failed
    )


@pytest.mark.skipif(not copasi_available(), reason="COPASI (sbmlcrn[copasi]) is not installed")
def test_fresh_run_passes_in_copasi_too(fresh: dict[str, Path]) -> None:
    report = sbmlcrn.validate_run(fresh["run"], simulator="both")
    assert report.ok, report.format_text()
    assert report.check("weights-copasi").status == "passed"


def test_backward_rate_times_1_1_fails_check_1(
    fresh: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _copy(fresh["run"], tmp_path)
    model = run / "model.xml"
    text = model.read_text(encoding="utf-8")
    pattern = re.compile(r'(<parameter [^>]*id="k_bw"[^>]*value=")([^"]+)(")')
    match = pattern.search(text)
    assert match is not None, "the model has no k_bw parameter"
    value = float(match.group(2)) * 1.1
    model.write_text(pattern.sub(lambda m: f"{m[1]}{value!r}{m[3]}", text, 1), encoding="utf-8")
    assert main(["validate", "--run", str(run), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    weights = next(c for c in doc["checks"] if c["name"] == "weights-roadrunner")
    assert weights["status"] == "failed"
    names = {d.split(":")[0] for d in weights["details"]}
    assert names and names <= {"parameter x1", "parameter x2", "parameter offset"}


def test_edited_result_value_fails_naming_it(fresh: dict[str, Path], tmp_path: Path) -> None:
    run = _copy(fresh["run"], tmp_path)
    record = json.loads((run / "result.json").read_text(encoding="utf-8"))
    old = record["parameters"]["x2"]
    record["parameters"]["x2"] = old + 0.01
    (run / "result.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    report = sbmlcrn.validate_run(run)
    check = report.check("weights-roadrunner")
    assert not report.ok and check.failed
    assert len(check.details) == 1 and check.details[0].startswith("parameter x2:")
    assert f"{old + 0.01:.15g}" in check.details[0]


def test_changed_data_row_fails_check_3(fresh: dict[str, Path], tmp_path: Path) -> None:
    lines = fresh["data"].read_text(encoding="utf-8").splitlines()
    first = lines[3].split(",")
    first[0] = repr(float(first[0]) + 0.5)
    lines[3] = ",".join(first)
    changed = tmp_path / "train.csv"
    changed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = sbmlcrn.validate_run(fresh["run"], data=changed)
    check = report.check("reproducible")
    assert check.failed and check.details[0].startswith("line ")
    assert report.check("weights-roadrunner").status == "passed"


def test_expectations_file(fresh: dict[str, Path], tmp_path: Path) -> None:
    record = json.loads((fresh["run"] / "result.json").read_text())
    good = {
        "parameters": {k: {"value": v, "tolerance": 1e-6} for k, v in record["parameters"].items()},
        "metrics": {"mse": {"max": record["test"]["mse"] * 1.01}},
    }
    path = tmp_path / "expect.json"
    path.write_text(json.dumps(good), encoding="utf-8")
    report = sbmlcrn.validate_run(fresh["run"], test=fresh["test"], expect=path)
    assert report.check("expectations").status == "passed", report.format_text()
    bad = dict(good, parameters={"x1": record["parameters"]["x1"] + 1.0})
    check = sbmlcrn.validate_run(fresh["run"], expect=bad).check("expectations")
    assert check.failed and check.details[0].startswith("parameter x1:")


@pytest.mark.parametrize(
    "args",
    [
        ["--run", "{where}"],  # a directory without result.json
        ["--run", "{where}/nothing"],
        ["--run", "{run}", "--test", "{where}/other.csv"],  # other columns
        ["--run", "{run}", "--expect", "{where}/broken.json"],
        ["{run}/model.xml", "--run", "{run}"],  # files and --run
        ["{run}/model.xml", "--data", "{where}/train.csv"],  # a --run option without --run
    ],
)
def test_bad_input_is_an_error(
    fresh: dict[str, Path], args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    where = fresh["where"]
    (where / "other.csv").write_text("a,b,y\n1,2,3\n4,5,6\n", encoding="utf-8")
    (where / "broken.json").write_text('{"metrics": {"loss": {"max": 1}}}', encoding="utf-8")
    argv = [a.format(where=where, run=fresh["run"]) for a in args]
    assert main(["validate", *argv]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_damaged_record_is_an_error(fresh: dict[str, Path], tmp_path: Path) -> None:
    run = _copy(fresh["run"], tmp_path)
    (run / "result.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError):
        sbmlcrn.validate_run(run)


def test_unsimulable_model_is_a_failed_check(fresh: dict[str, Path], tmp_path: Path) -> None:
    run = _copy(fresh["run"], tmp_path)
    (run / "model.xml").write_text("<sbml>broken</sbml>", encoding="utf-8")
    report = sbmlcrn.validate_run(run)
    check = report.check("weights-roadrunner")
    assert check.failed and "RoadRunner could not simulate" in check.summary
    assert report.check("structure").failed


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.json")), ids=lambda p: p.name)
def test_models_expectations_files_parse(path: Path) -> None:
    from sbmlcrn.training.validate_run import read_expectations

    expected = read_expectations(path)
    assert expected["parameters"], f"{path.name} expects no parameter"


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.xml")), ids=lambda p: p.name)
def test_committed_example_models_learn_their_expectations(path: Path) -> None:
    report = sbmlcrn.validate_run(path)  # models/<stem>.json beside it
    assert report.ok, report.format_text()
    assert report.check("weights-roadrunner").status == "passed"
    assert report.check("structure").status == "passed"


def test_bare_model_with_wrong_expectation_fails(tmp_path: Path) -> None:
    model = sorted(MODELS.glob("*.xml"))[0]
    doc = json.loads(model.with_suffix(".json").read_text(encoding="utf-8"))
    name = next(iter(doc["parameters"]))
    doc["parameters"][name]["value"] += 0.001
    check = sbmlcrn.validate_run(model, expect=doc).check("weights-roadrunner")
    assert check.failed and check.details[0].startswith(f"parameter {name}:")
    with pytest.raises(InputError):
        sbmlcrn.validate_run(model, data=model)  # a model has no run record to rebuild from


def test_bare_model_without_expectations_is_skipped_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pre-commit hook passes every staged models/*.xml: one without NAME.json is skipped."""
    model = tmp_path / "enzyme.xml"
    shutil.copy(sorted(MODELS.glob("*.xml"))[0], model)
    report = sbmlcrn.validate_run(model)
    assert report.ok
    assert {c.status for c in report.checks} == {"skipped"}
    assert "enzyme.json beside it" in report.check("weights-roadrunner").summary
    assert main(["validate", "--run", str(model)]) == 0
    assert "SKIPPED" in capsys.readouterr().out


def test_several_runs_and_files_inside_them(
    fresh: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "junit.xml"
    run = fresh["run"]
    argv = [str(run / "result.json"), str(run / "model.xml"), str(sorted(MODELS.glob("*.xml"))[0])]
    assert main(["validate", "--run", *argv, "--json", "--junit", str(junit)]) == 0
    docs = json.loads(capsys.readouterr().out)
    assert [d["run_dir"] for d in docs] == [str(run), argv[2]]  # the run once
    assert len(ET.parse(junit).getroot().findall("testsuite")) == 2


def test_hook_definition() -> None:
    import yaml

    hooks = yaml.safe_load((MODELS.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "sbmlcrn-validate-run")
    assert hook["entry"] == "sbmlcrn validate --run"
    pattern = re.compile(hook["files"])
    assert pattern.search("models/a.xml") and pattern.search("runs/r1/result.json")
    assert not pattern.search("runs/r1/model.ant")
