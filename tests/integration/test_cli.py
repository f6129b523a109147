"""The command line: train, predict, export-inference, validate, reproduce, and bad input.

Most tests run ``sbmlcrn.cli.main`` in-process; two run ``python -m sbmlcrn`` in a subprocess
to prove the module entry point works and never prints a traceback. Data sets are tiny so the
default set stays fast.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import antimony
import libsbml
import numpy as np
import pytest
import roadrunner

from sbmlcrn.cli import main
from tests.helpers import run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
RESULT_KEYS = {
    "circuit",
    "inputs",
    "parameters",
    "parameter_species",
    "training_end_time",
    "reference_parameters",
    "max_abs_deviation",
    "train_loss",
    "test",
    "software",
}


# --------------------------------------------------------------------------- helpers


def assert_one_error_line(err: str, *patterns: str) -> str:
    """stderr is exactly one line ``error: …`` matching every regex in ``patterns``."""
    assert "Traceback" not in err, err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, f"expected exactly one stderr line, got {len(lines)}:\n{err}"
    line = lines[0]
    assert line.startswith("error: "), line
    for pattern in patterns:
        assert re.search(pattern, line, flags=re.IGNORECASE), f"{pattern!r} not in {line!r}"
    return line


def write_rows(path: Path, header: list[str], rows: list[list[float]] | np.ndarray) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([repr(float(v)) for v in row])
    return path


def regression_rows(n: int = 20, seed: int = 1) -> np.ndarray:
    """Noise-free ``y = 2 x1 - x2 + 0.5`` on ``x ~ U(-2, 2)²``: columns x1, x2, y."""
    x = np.random.default_rng(seed).uniform(-2.0, 2.0, size=(n, 2))
    y = 2.0 * x[:, 0] - x[:, 1] + 0.5
    return np.column_stack([x, y])


def classification_rows(n: int = 16, seed: int = 2) -> np.ndarray:
    """Label ``x1 + x2 > 0`` on ``x ~ U(-2, 2)²``: columns x1, x2, y (0/1), both classes."""
    x = np.random.default_rng(seed).uniform(-2.0, 2.0, size=(n, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(float)
    assert 0 < y.sum() < n
    return np.column_stack([x, y])


def read_prediction_csv(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], [r for r in rows[1:] if r]


def snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every path under ``directory`` with its bytes (None for directories)."""
    return {
        str(p.relative_to(directory)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(directory.rglob("*"))
    }


def libsbml_errors(path: Path) -> list[str]:
    doc = libsbml.readSBMLFromFile(str(path))
    log = doc.getErrorLog()
    return [
        log.getError(i).getMessage()
        for i in range(log.getNumErrors())
        if log.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ]


# --------------------------------------------------------------------------- shared runs


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A regression run on noise-free data (20 rows, 30 epochs) with a test file."""
    base = tmp_path_factory.mktemp("regression")
    data = regression_rows()
    write_rows(base / "train.csv", ["x1", "x2", "y"], data)
    write_rows(base / "test.csv", ["x1", "x2", "y"], regression_rows(8, seed=7))
    out = base / "run"
    code = main(
        [
            "train",
            "linear-regression",
            "--data",
            str(base / "train.csv"),
            "--test",
            str(base / "test.csv"),
            "--epochs",
            "30",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def classification_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-input classification run (16 rows, 5 epochs) with a test file."""
    base = tmp_path_factory.mktemp("classification")
    write_rows(base / "train.csv", ["x1", "x2", "y"], classification_rows())
    write_rows(base / "test.csv", ["x1", "x2", "y"], classification_rows(10, seed=3))
    out = base / "run"
    code = main(
        [
            "train",
            "linear-classification",
            "--data",
            str(base / "train.csv"),
            "--test",
            str(base / "test.csv"),
            "--epochs",
            "5",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    return out


# --------------------------------------------------------------------------- train


def test_train_writes_run_directory(regression_run: Path) -> None:
    files = {p.name for p in regression_run.iterdir()}
    assert {"model.xml", "model.ant", "result.json", "loss.png"} <= files
    assert "decision.png" not in files  # regression: no decision plot
    assert (regression_run / "loss.png").read_bytes().startswith(PNG_MAGIC)
    ant = (regression_run / "model.ant").read_text(encoding="utf-8")
    assert antimony.loadAntimonyString(ant) >= 0, antimony.getLastError()
    assert libsbml_errors(regression_run / "model.xml") == []
    # no temporary siblings left behind by the atomic write
    assert [p.name for p in regression_run.parent.iterdir() if p.name.startswith(".")] == []


def test_train_result_json_contract(regression_run: Path) -> None:
    result = json.loads((regression_run / "result.json").read_text(encoding="utf-8"))
    assert set(result) >= RESULT_KEYS
    assert result["circuit"] == "linear-regression"
    assert result["inputs"] == ["x1", "x2"]
    params = result["parameters"]
    assert params and all(isinstance(v, float) for v in params.values())
    assert set(result["parameter_species"]) == set(params)
    assert set(result["reference_parameters"]) == set(params)
    for pair in result["parameter_species"].values():
        assert isinstance(pair, list) and len(pair) == 2 and pair[0] != pair[1]
    assert result["training_end_time"] > 0
    assert result["max_abs_deviation"] < 1e-6
    for name, value in params.items():
        assert value == pytest.approx(result["reference_parameters"][name], abs=1e-6)
    loss = result["train_loss"]
    assert len(loss) == 30 and all(v >= 0 for v in loss)
    assert loss[-1] < loss[0]
    assert set(result["test"]) >= {"mse"} and result["test"]["mse"] < 1e-6
    assert isinstance(result["software"], dict) and "sbmlcrn" in result["software"]


def test_train_parameters_are_read_from_the_sbml_model(regression_run: Path) -> None:
    """Simulating model.xml to training_end_time reproduces result.json's parameters."""
    result = json.loads((regression_run / "result.json").read_text(encoding="utf-8"))
    rr = roadrunner.RoadRunner(str(regression_run / "model.xml"))
    rr.integrator.relative_tolerance = 1e-10
    rr.integrator.absolute_tolerance = 1e-12
    rr.simulate(0.0, result["training_end_time"], 3)
    species = set(rr.model.getFloatingSpeciesIds())
    for name, (plus, minus) in result["parameter_species"].items():
        assert {plus, minus} <= species
        assert rr[plus] - rr[minus] == pytest.approx(result["parameters"][name], abs=1e-6)


def test_train_prints_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(8))
    code, out, err = run_cli(
        capsys,
        "train",
        "linear-regression",
        "--data",
        data,
        "--epochs",
        "2",
        "--out",
        tmp_path / "run",
        "--seed",
        "3",
        "--lr",
        "0.05",
        "--horizon",
        "0.5",
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert "theta[x1]" in out and "theta[offset]" in out
    cfg = json.loads((tmp_path / "run" / "result.json").read_text(encoding="utf-8"))["config"]
    assert (cfg["seed"], cfg["lr"], cfg["horizon"], cfg["epochs"]) == (3, 0.05, 0.5, 2)


def test_train_classification_writes_decision_plot(classification_run: Path) -> None:
    assert (classification_run / "decision.png").read_bytes().startswith(PNG_MAGIC)
    result = json.loads((classification_run / "result.json").read_text(encoding="utf-8"))
    assert result["circuit"] == "linear-classification"
    assert 0.0 <= result["test"]["accuracy"] <= 1.0
    assert result["max_abs_deviation"] < 1e-6
    assert len(result["train_loss"]) == 5


def test_train_target_option(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = write_rows(tmp_path / "d.csv", ["out", "a", "b"], regression_rows(8)[:, [2, 0, 1]])
    code, _, err = run_cli(
        capsys,
        "train",
        "linear-regression",
        "--data",
        data,
        "--target",
        "out",
        "--epochs",
        "2",
        "--out",
        tmp_path / "run",
        "--quiet",
    )
    assert code == 0, err
    result = json.loads((tmp_path / "run" / "result.json").read_text(encoding="utf-8"))
    assert result["inputs"] == ["a", "b"]


@pytest.mark.parametrize("variant", ["bom", "crlf", "bom+crlf"])
def test_train_accepts_bom_and_windows_line_endings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, variant: str
) -> None:
    text = "x1,x2,y\n" + "".join(
        ",".join(map(repr, map(float, r))) + "\n" for r in regression_rows(8)
    )
    raw = text.replace("\n", "\r\n") if "crlf" in variant else text
    data = tmp_path / "d.csv"
    data.write_bytes((b"\xef\xbb\xbf" if "bom" in variant else b"") + raw.encode("utf-8"))
    code, _, err = run_cli(
        capsys,
        "train",
        "linear-regression",
        "--data",
        data,
        "--epochs",
        "2",
        "--out",
        tmp_path / "run",
        "--quiet",
    )
    assert code == 0, err
    result = json.loads((tmp_path / "run" / "result.json").read_text(encoding="utf-8"))
    assert result["inputs"] == ["x1", "x2"]  # no BOM glued to the first name
    code, out, err = run_cli(capsys, "predict", tmp_path / "run", "--data", data)
    assert code == 0, err
    header, rows = read_prediction_csv(out)
    assert header[:2] == ["x1", "x2"] and header[-1] == "prediction"
    assert len(rows) == 8


# --------------------------------------------------------------------------- bad input

GOOD = "x1,x2,y\n1,2,3\n2,1,4\n3,0,5\n0,1,2\n"
DIRECTORY = object()  # sentinel: create a directory at the --data path

# (id, circuit, --data content (None: no file), extra options, regexes the error must match)
BAD_TRAIN_CASES = [
    ("missing-file", "linear-regression", None, [], [r"train\.csv", r"no such|not found|exist"]),
    ("directory", "linear-regression", DIRECTORY, [], [r"directory"]),
    ("empty-file", "linear-regression", "", [], [r"empty"]),
    ("header-only", "linear-regression", "x1,x2,y\n", [], [r"rows?"]),
    ("non-numeric", "linear-regression", GOOD + "4,abc,6\n", [], [r"abc", r"number|numeric"]),
    ("nan-cell", "linear-regression", GOOD + "nan,1,2\n", [], [r"nan|finite"]),
    ("inf-cell", "linear-regression", GOOD + "1,1,inf\n", [], [r"inf|finite"]),
    ("neg-inf-cell", "linear-regression", GOOD + "-inf,1,2\n", [], [r"inf|finite"]),
    ("missing-target", "linear-regression", "a,b,c\n1,2,3\n2,3,4\n", [], [r"target|'y'"]),
    ("missing-named-target", "linear-regression", GOOD, ["--target", "z"], [r"'z'|\bz\b"]),
    ("labels-not-0-1", "linear-classification", "x1,y\n1,0\n2,1\n3,2\n", [], [r"label|0.*1"]),
    ("labels-negative", "linear-classification", "x1,y\n1,0\n2,-1\n", [], [r"label|0.*1"]),
    ("one-row", "linear-regression", "x1,x2,y\n1,2,3\n", [], [r"rows?"]),
    ("lr-zero", "linear-regression", GOOD, ["--lr", "0"], [r"--lr|learning rate"]),
    ("lr-negative", "linear-regression", GOOD, ["--lr", "-0.1"], [r"--lr|learning rate"]),
    ("lr-non-numeric", "linear-regression", GOOD, ["--lr", "fast"], [r"--lr"]),
    ("epochs-zero", "linear-regression", GOOD, ["--epochs", "0"], [r"epoch"]),
    ("epochs-negative", "linear-regression", GOOD, ["--epochs", "-3"], [r"epoch"]),
    ("horizon-zero", "linear-regression", GOOD, ["--horizon", "0"], [r"horizon"]),
    ("horizon-negative", "linear-regression", GOOD, ["--horizon", "-1"], [r"horizon"]),
    (
        "unknown-circuit",
        "linear-regresion",
        GOOD,
        [],
        [r"linear-regresion", r"did you mean", r"'linear-regression'"],
    ),
    ("ragged-rows", "linear-regression", GOOD + "4,5\n", [], [r"row \d+|cells|columns"]),
    (
        "duplicate-columns",
        "linear-regression",
        "x1,x2,x1,y\n1,2,3,4\n2,1,4,5\n",
        [],
        [r"x1", r"twice|duplicate|more than once|repeated"],
    ),
]


@pytest.mark.parametrize(
    ("circuit", "content", "extra", "patterns"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_TRAIN_CASES],
)
def test_train_bad_input_is_one_error_line(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    circuit: str,
    content: object,
    extra: list[str],
    patterns: list[str],
) -> None:
    data = tmp_path / "train.csv"
    if content is DIRECTORY:
        data.mkdir()
    elif isinstance(content, str):
        data.write_text(content, encoding="utf-8")
    before = snapshot(tmp_path)
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "train", circuit, "--data", data, *extra, "--out", out)
    assert code == 2, err
    assert_one_error_line(err, *patterns)
    assert not out.exists()
    assert snapshot(tmp_path) == before  # no temporary or partial directory either


@pytest.mark.parametrize(
    ("circuit", "test_content", "patterns"),
    [
        pytest.param("linear-regression", None, [r"test\.csv"], id="missing-test-file"),
        pytest.param("linear-regression", "x1,x2,y\n", [r"test\.csv"], id="header-only-test"),
        pytest.param(
            "linear-regression", "x1,x2,y\n1,zz,3\n", [r"test\.csv", r"zz"], id="bad-cell-test"
        ),
        pytest.param(
            "linear-regression", "x1,x3,y\n1,2,3\n", [r"column|x3|x2"], id="other-columns-test"
        ),
        pytest.param(
            "linear-classification", "x1,x2,y\n1,2,0\n2,1,3\n", [r"label|0.*1"], id="labels-test"
        ),
    ],
)
def test_train_bad_test_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    circuit: str,
    test_content: str | None,
    patterns: list[str],
) -> None:
    data = tmp_path / "train.csv"
    data.write_text("x1,x2,y\n1,2,1\n2,1,0\n3,0,1\n0,1,0\n", encoding="utf-8")
    test = tmp_path / "test.csv"
    if test_content is not None:
        test.write_text(test_content, encoding="utf-8")
    before = snapshot(tmp_path)
    out = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "train", circuit, "--data", data, "--test", test, "--epochs", "2", "--out", out
    )
    assert code == 2, err
    assert_one_error_line(err, *patterns)
    assert not out.exists()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param([], id="no-command"),
        pytest.param(["train", "linear-regression", "--data", "d.csv"], id="no-out"),
        pytest.param(["train", "linear-regression", "--out", "run"], id="no-data"),
        pytest.param(["frobnicate"], id="unknown-command"),
    ],
)
def test_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, *argv)
    assert code == 2
    assert_one_error_line(err)
    assert list(tmp_path.iterdir()) == []


def test_train_refuses_foreign_out_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(8))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious\n", encoding="utf-8")
    (out / "sub").mkdir()
    (out / "sub" / "a.dat").write_bytes(b"\x00\x01")
    before = snapshot(tmp_path)
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", data, "--epochs", "2", "--out", out
    )
    assert code == 2
    assert_one_error_line(err, r"mine|--out")
    assert snapshot(tmp_path) == before


def test_train_refuses_out_that_is_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(8))
    out = tmp_path / "result.txt"
    out.write_text("keep me\n", encoding="utf-8")
    before = snapshot(tmp_path)
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", data, "--epochs", "2", "--out", out
    )
    assert code == 2
    assert_one_error_line(err, r"result\.txt|--out")
    assert snapshot(tmp_path) == before


def test_train_accepts_empty_out_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(8))
    (tmp_path / "run").mkdir()
    code, _, err = run_cli(
        capsys,
        "train",
        "linear-regression",
        "--data",
        data,
        "--epochs",
        "2",
        "--out",
        tmp_path / "run",
        "--quiet",
    )
    assert code == 0, err
    assert (tmp_path / "run" / "result.json").is_file()


def test_train_replaces_previous_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(8))
    out = tmp_path / "run"
    args = ["train", "linear-regression", "--data", data, "--epochs", "2", "--out", out]
    code, _, err = run_cli(capsys, *args, "--seed", "1", "--quiet")
    assert code == 0, err
    (out / "decision.png").write_bytes(b"from an older run")  # a run file, not a user file
    code, _, err = run_cli(capsys, *args, "--seed", "2", "--quiet")
    assert code == 0, err
    assert not (out / "decision.png").exists()  # replaced, not merged
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["config"]["seed"] == 2


def test_train_keeps_user_files_in_a_previous_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(8))
    out = tmp_path / "run"
    args = ["train", "linear-regression", "--data", data, "--epochs", "2", "--out", out]
    assert run_cli(capsys, *args, "--quiet")[0] == 0
    (out / "mydata.csv").write_text("precious\n", encoding="utf-8")
    before = snapshot(out)
    code, _, err = run_cli(capsys, *args, "--quiet")
    assert code == 2
    assert_one_error_line(err, r"mydata\.csv")
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "run"]


# --------------------------------------------------------------------------- predict


def test_regression_round_trip_predicts_training_targets(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, regression_run: Path
) -> None:
    """Noise-free y = 2 x1 - x2 + 0.5 is learned exactly.

    After 30 epochs the training loss is ~1e-17 (errors ~1e-8) and CVODE runs at rtol 1e-10,
    so 1e-5 leaves three orders of margin while still catching any real misfit (an untrained
    or mis-scaled model is off by O(1)).
    """
    rows = regression_rows()
    inputs = write_rows(tmp_path / "new.csv", ["x1", "x2"], rows[:, :2])
    code, out, err = run_cli(capsys, "predict", regression_run, "--data", inputs)
    assert code == 0, err
    header, cells = read_prediction_csv(out)
    assert header == ["x1", "x2", "prediction"]
    got = np.array([[float(c) for c in r] for r in cells])
    assert got.shape == (20, 3)
    np.testing.assert_allclose(got[:, :2], rows[:, :2], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got[:, 2], rows[:, 2], rtol=0, atol=1e-5)


def test_predict_out_file_and_column_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, regression_run: Path
) -> None:
    rows = regression_rows(5, seed=9)
    # columns in another order plus the target: prediction uses the named inputs
    data = write_rows(tmp_path / "new.csv", ["y", "x2", "x1"], rows[:, [2, 1, 0]])
    target = tmp_path / "sub" / "pred.csv"
    code, out, err = run_cli(capsys, "predict", regression_run, "--data", data, "--out", target)
    assert code == 0, err
    assert "x1" not in out  # the CSV went to the file, not stdout
    header, cells = read_prediction_csv(target.read_text(encoding="utf-8"))
    assert {"x1", "x2"} <= set(header) and header[-1] == "prediction"
    assert len(cells) == 5
    pred = np.array([float(r[-1]) for r in cells])
    np.testing.assert_allclose(pred, rows[:, 2], rtol=0, atol=1e-5)


def test_classification_predictions_are_labels(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, classification_run: Path
) -> None:
    rows = classification_rows(12, seed=5)
    data = write_rows(tmp_path / "new.csv", ["x1", "x2"], rows[:, :2])
    code, out, err = run_cli(capsys, "predict", classification_run, "--data", data)
    assert code == 0, err
    header, cells = read_prediction_csv(out)
    assert header == ["x1", "x2", "prediction"]
    labels = [r[-1] for r in cells]
    assert len(labels) == 12
    assert set(labels) <= {"0", "1"}, labels  # integer labels, not 0.0/1.0 or scores
    # a separable problem: the trained circuit should get most points right
    accuracy = np.mean(np.array(labels, dtype=float) == rows[:, 2])
    assert accuracy >= 0.75


@pytest.mark.parametrize(
    ("content", "patterns"),
    [
        pytest.param("x1,y\n1,2\n", [r"x2"], id="missing-input-column"),
        pytest.param("x1,x2\n1,abc\n", [r"abc"], id="non-numeric"),
        pytest.param("x1,x2\n1,nan\n", [r"nan|finite"], id="nan"),
        pytest.param("", [r"empty"], id="empty"),
        pytest.param(None, [r"no such|not found|exist"], id="missing-file"),
    ],
)
def test_predict_bad_data(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    regression_run: Path,
    content: str | None,
    patterns: list[str],
) -> None:
    data = tmp_path / "new.csv"
    if content is not None:
        data.write_text(content, encoding="utf-8")
    out = tmp_path / "pred.csv"
    code, stdout, err = run_cli(capsys, "predict", regression_run, "--data", data, "--out", out)
    assert code == 2, err
    assert_one_error_line(err, *patterns)
    assert not out.exists()
    assert stdout == ""


def test_predict_on_a_non_run_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = write_rows(tmp_path / "new.csv", ["x1", "x2"], [[1.0, 2.0]])
    code, _, err = run_cli(capsys, "predict", tmp_path / "nowhere", "--data", data)
    assert code == 2
    assert_one_error_line(err, r"nowhere")


def test_predict_on_a_corrupt_result(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, regression_run: Path
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "result.json").write_text("{not json", encoding="utf-8")
    data = write_rows(tmp_path / "new.csv", ["x1", "x2"], [[1.0, 2.0]])
    code, _, err = run_cli(capsys, "predict", run, "--data", data)
    assert code == 2
    assert_one_error_line(err, r"result\.json")


# --------------------------------------------------------------------------- export-inference


def test_export_inference_writes_valid_sbml(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, regression_run: Path
) -> None:
    target = tmp_path / "infer.xml"
    code, _, err = run_cli(capsys, "export-inference", regression_run, "-o", target)
    assert code == 0, err
    assert libsbml_errors(target) == []
    model = libsbml.readSBMLFromFile(str(target)).getModel()
    assert model is not None and model.getNumReactions() > 0
    ids = {model.getSpecies(i).getId() for i in range(model.getNumSpecies())}
    assert {"yhat_p", "yhat_m", "x1_p", "x1_m", "x2_p", "x2_m"} <= ids
    # the inference network is not the training network
    assert target.read_bytes() != (regression_run / "model.xml").read_bytes()


def test_export_inference_long_option_and_classification(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, classification_run: Path
) -> None:
    target = tmp_path / "cls.xml"
    code, _, err = run_cli(capsys, "export-inference", classification_run, "--output", target)
    assert code == 0, err
    assert libsbml_errors(target) == []


def test_export_inference_bad_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "infer.xml"
    code, _, err = run_cli(capsys, "export-inference", tmp_path / "nope", "-o", target)
    assert code == 2
    assert_one_error_line(err, r"nope")
    assert not target.exists()


# --------------------------------------------------------------------------- validate


def test_validate_training_model_is_valid(
    capsys: pytest.CaptureFixture[str], regression_run: Path
) -> None:
    pytest.importorskip("sbmlcrn.validation")
    code, out, err = run_cli(capsys, "validate", regression_run / "model.xml")
    assert code == 0, out + err
    assert "Traceback" not in err


def test_validate_json_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, regression_run: Path
) -> None:
    pytest.importorskip("sbmlcrn.validation")
    infer = tmp_path / "infer.xml"
    assert run_cli(capsys, "export-inference", regression_run, "-o", infer)[0] == 0
    code, out, err = run_cli(capsys, "validate", infer, "--json")
    assert code == 0, out + err
    json.loads(out)  # the whole of stdout is one JSON document


def test_validate_reports_problems_with_exit_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A well-formed SBML model with a trimolecular reaction breaks the default limit of 2 of
    the Neural-CRN rules (asked for: the model is not an sbmlcrn model)."""
    pytest.importorskip("sbmlcrn.validation")
    assert antimony.loadAntimonyString("A + B + C -> D; k*A*B*C; A = 1; B = 1; C = 1; k = 1") >= 0
    model = tmp_path / "tri.xml"
    model.write_text(antimony.getSBMLString(antimony.getMainModuleName()), encoding="utf-8")
    assert run_cli(capsys, "validate", model)[0] == 0  # libSBML's checks alone by default
    code, out, err = run_cli(capsys, "validate", model, "--json", "--rules", "all")
    assert code == 1, out + err
    assert "Traceback" not in err
    json.loads(out)


@pytest.mark.parametrize(
    "content", [None, "", "this is not xml\n"], ids=["missing", "empty", "not-xml"]
)
def test_validate_unusable_input_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str | None
) -> None:
    pytest.importorskip("sbmlcrn.validation")
    model = tmp_path / "m.xml"
    if content is not None:
        model.write_text(content, encoding="utf-8")
    code, _, err = run_cli(capsys, "validate", model)
    assert code == 2
    assert_one_error_line(err, r"m\.xml")


# --------------------------------------------------------------------------- reproduce


def test_reproduce_quick_subset(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The --quick code path on four rows, one seed, in-process (the full --quick is slow)."""
    out_dir = tmp_path / "repro"
    code, out, err = run_cli(
        capsys,
        "reproduce",
        "--quick",
        "--only",
        "linreg-authors",
        "lincls",
        "and-quad",
        "and-products",
        "--seeds",
        "1",
        "--workers",
        "1",
        "--out",
        out_dir,
    )
    assert code == 0, err
    assert "Traceback" not in err
    table = [ln for ln in out.splitlines() if ln.startswith("|")]
    header = table[0].lower()
    for word in ("experiment", "metric", "authors", "sbmlcrn", "dev", "balanced", "baseline"):
        assert word in header, header
    body = [ln for ln in table[1:] if not set(ln) <= set("|-: ")]
    assert len(body) >= 2
    assert any("regression" in ln for ln in body) and any("classification" in ln for ln in body)
    names = [c.strip().lower() for c in table[0].strip("|").split("|")]
    dev_col = next(i for i, c in enumerate(names) if "dev" in c)
    for line in body:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert float(cells[dev_col]) < 1e-6, line
    base_col = next(i for i, c in enumerate(names) if "baseline" in c)
    and_rows = [ln for ln in body if "AND" in ln]
    assert len(and_rows) == 2  # the paper's quadratic circuit and the product units
    for and_row in and_rows:
        assert "%" in and_row.strip("|").split("|")[base_col]  # a classifier has its baseline
    report = (out_dir / "report.md").read_text(encoding="utf-8")
    assert "What each row changes" in report and "fixed bias" in report
    assert (out_dir / "summary.png").is_file()
    assert (out_dir / "and-quad" / "decision.png").is_file()


def test_reproduce_unknown_experiment_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "reproduce", "--only", "xor-quintic")
    assert code == 2
    assert_one_error_line(err, "xor-quintic")


@pytest.mark.slow
def test_reproduce_quick_all_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "reproduce", "--quick", "--out", tmp_path / "r")
    assert code == 0, err
    assert out.count("| ") > 20


# --------------------------------------------------------------------------- python -m sbmlcrn


def test_python_m_sbmlcrn_train_and_predict(tmp_path: Path) -> None:
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(8))
    train = subprocess.run(
        [
            sys.executable,
            "-m",
            "sbmlcrn",
            "train",
            "linear-regression",
            "--data",
            "d.csv",
            "--epochs",
            "2",
            "--out",
            "run",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert train.returncode == 0, train.stderr
    assert "Traceback" not in train.stderr
    assert (tmp_path / "run" / "result.json").is_file()
    pred = subprocess.run(
        [sys.executable, "-m", "sbmlcrn", "predict", "run", "--data", data.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert pred.returncode == 0, pred.stderr
    assert pred.stdout.splitlines()[0].endswith(",prediction")


def test_python_m_sbmlcrn_bad_input_has_no_traceback(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(GOOD, encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sbmlcrn",
            "train",
            "linear-regresion",
            "--data",
            "d.csv",
            "--out",
            "run",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert_one_error_line(proc.stderr, r"did you mean", r"linear-regression")
    assert not (tmp_path / "run").exists()


def test_large_targets_train_and_predict_in_raw_units(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Targets of ~1000 (standardised while loading) train; a feature may be named 'error'."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    y = (2 * x[:, 0] - x[:, 1] + 0.5) * 1000 + 3000
    data = write_rows(tmp_path / "big.csv", ["x1", "error", "y"], np.c_[x, y])
    out = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", data, "--epochs", "40", "--out", out
    )
    assert code == 0, err
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert set(result["parameters"]) == {"x1", "error", "offset"}
    fit = result["effective_model"]
    np.testing.assert_allclose([fit["coef"]["x1"], fit["coef"]["error"]], [2000, -1000], rtol=1e-6)
    assert fit["intercept"] == pytest.approx(3500, rel=1e-6)
    code, text, err = run_cli(capsys, "predict", out, "--data", data)
    assert code == 0, err
    preds = np.array([float(r.split(",")[-1]) for r in text.strip().splitlines()[1:]])
    np.testing.assert_allclose(preds, y, rtol=1e-6)


def test_numerically_unreliable_settings_fail_instead_of_returning_wrong_parameters(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = regression_rows(41)
    rows[:, 2] += np.random.default_rng(5).normal(scale=0.4, size=41)  # noise: updates never stop
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], rows)
    out = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", data, "--annihilation", "1e-20",
        "--out", out, "--quiet",
    )  # fmt: skip
    assert code == 1
    assert_one_error_line(err, "differ from the reference")
    assert not out.exists()


def test_out_may_be_the_working_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(8))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for _ in range(2):  # a new run, then a run replacing it in place
        code, _, err = run_cli(
            capsys, "train", "linear-regression", "--data", data, "--out", ".", "--quiet"
        )
        assert code == 0, err
    assert sorted(p.name for p in work.iterdir()) == [
        "loss.png", "model.ant", "model.xml", "result.json",
    ]  # fmt: skip
    code, _, err = run_cli(capsys, "predict", ".", "--data", data, "--out", str(tmp_path))
    assert code == 2
    assert_one_error_line(err, "is a directory")


def test_test_file_columns_may_come_in_another_order(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = regression_rows(12)
    data = write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], rows)
    test = write_rows(tmp_path / "t.csv", ["y", "x2", "x1"], rows[:, ::-1])
    out = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", data, "--test", test, "--epochs", "30",
        "--out", out, "--quiet",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["test"]["mse"] < 1e-6  # noise-free: same as on the training data


def test_train_prints_the_learned_model_in_the_data_units(tmp_path, capsys) -> None:
    """Issue 17, friction 1: the summary leads with the raw-unit equation, not θ."""
    import numpy as np

    import sbmlcrn
    from sbmlcrn.core.data import make_task
    from sbmlcrn.training.equations import model_equations, raw_polynomials

    task = make_task("poly", 0)
    run = sbmlcrn.train("nonlinear-regression", task.train, epochs=2)
    (poly,) = raw_polynomials(run.model)
    x = task.test.x[:15]
    value = np.full(len(x), poly[()])
    for mono, c in poly.items():
        if mono:
            value += c * np.prod(x[:, list(mono)], axis=1)
    np.testing.assert_allclose(value, run.predict(x), rtol=1e-8, atol=1e-9)
    assert model_equations(run.model, "y")[0].startswith("y ~ ")
    data = Path(__file__).resolve().parents[2] / "examples" / "linreg_train.csv"
    code, out, _ = run_cli(
        capsys, "train", "linear-regression", "--data", data, "--epochs", "3",
        "--out", tmp_path / "run",
    )  # fmt: skip
    assert code == 0
    lines = out.splitlines()
    equation = lines[lines.index("  learned model, in the data's units:") + 1]
    assert equation.strip().startswith("y ~ ") and "*x1" in equation and "*x2" in equation
    assert out.isascii()  # printed to pipes and terminals of any encoding
