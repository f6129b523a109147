"""Issue 13, items 5, 6, 9 and 10: exact integer seeds, symbolic-link loops and an unusable
``HOME`` without tracebacks, every check that can be made before training made before it, and
the predictions CSV's output column and size messages that name the true cause."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sbmlcrn
from sbmlcrn.cli import main
from sbmlcrn.cli._common import number
from sbmlcrn.core.data import Dataset, read_csv
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.io.predictions import prediction_column, predictions_csv
from sbmlcrn.training import pipeline

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "examples" / "linreg_train.csv"


@pytest.fixture
def no_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if the training model is simulated (the check must come first)."""

    def simulate(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("training started before the check")

    monkeypatch.setattr(pipeline, "simulate_model", simulate)


# --- item 9: seeds are integers end to end ---------------------------------------------------


def test_integer_options_parse_exactly() -> None:
    parse = number("--seed", integer=True)
    assert parse("9007199254740993") == 9007199254740993
    assert parse(str(2**63 - 1)) == 2**63 - 1
    assert parse("-7") == -7
    assert parse("1e3") == 1000 and isinstance(parse("1e3"), int)
    assert parse("5.0") == 5
    for bad, message in (
        (str(2**63), "too large"),
        ("1e308", r"1e\+308 is too large"),
        ("1.5", "must be an integer"),
        ("inf", "must be finite"),
        ("x", "must be a number"),
    ):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(bad)


def test_cli_seed_is_not_rounded(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "linear-regression", "--seed", str(2**63), "--out", "o"])
    assert exc.value.code == 2
    assert "--seed 9223372036854775808 is too large" in capsys.readouterr().err
    from sbmlcrn.cli import _build_parser

    argv = ["train", "linear-regression", "--data", "d.csv", "--out", "o"]
    args = _build_parser().parse_args([*argv, "--seed", "9007199254740993"])
    assert args.seed == 9007199254740993


# --- item 5: symbolic-link loops and an unusable HOME ----------------------------------------


@pytest.mark.parametrize("option", ["--data", "--test", "--out", "--resume"])
def test_symlink_loop_paths_are_input_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, no_training: None
) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    paths = {"--data": str(TRAIN), "--out": str(tmp_path / "out")}
    paths[option] = str(loop / "x") if option != "--resume" else str(loop)
    argv = ["train", "linear-regression", "--epochs", "1", "--quiet"]
    for name, value in paths.items():
        argv += [name, value]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert "link loop" in err or "Too many levels" in err


def test_resume_alone_with_a_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(SystemExit) as exc:
        main(["train", "--resume", str(loop)])
    assert exc.value.code == 2
    assert "link loop" in capsys.readouterr().err


def test_home_that_is_a_symlink_loop(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.symlink_to(home)
    env = {**os.environ, "HOME": str(home)}
    env.pop("MPLCONFIGDIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "sbmlcrn", "train", "linear-regression", "--data", str(TRAIN),
         "--epochs", "1", "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "out" / "result.json").is_file()


# --- item 6: checks made before training ----------------------------------------------------


def test_test_csv_values_checked_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_training: None
) -> None:
    test = tmp_path / "test.csv"
    test.write_text("x1,x2,y\n1,2,3\n1e149,1,2\n")
    out = tmp_path / "out"
    argv = ["train", "linear-regression", "--data", str(TRAIN), "--test", str(test)]
    assert main([*argv, "--epochs", "1", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "data row 2" in err and "'x1'" in err and "inference network" in err
    assert not out.exists()


def test_unwritable_out_checked_before_training(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_training: None,
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(os.fspath(path)) == locked:  # type: ignore[arg-type]
            return False
        return real(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    out = locked / "a" / "b"
    argv = ["train", "linear-regression", "--data", str(TRAIN), "--epochs", "1"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: cannot be written ({locked} is not writable" in err
    with pytest.raises(InputError, match="not writable"):
        sbmlcrn.train("linear-regression", str(TRAIN), out=out, epochs=1)


def test_unreadable_data_is_a_data_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hidden = tmp_path / "private" / "data.csv"
    real = Path.stat

    def stat(self: Path, **kwargs: object) -> os.stat_result:
        if self == hidden:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", stat)
    with pytest.raises(DataError, match=r"cannot be read \(Permission denied"):
        read_csv(hidden)
    argv = ["train", "linear-regression", "--data", str(hidden), "--epochs", "1"]
    assert main([*argv, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "Permission denied" in capsys.readouterr().err
    with pytest.raises(DataError, match="is a directory"):
        read_csv(tmp_path)
    with pytest.raises(DataError, match="no such file"):
        read_csv(tmp_path / "none.csv")


# --- item 10: the predictions CSV's output column, messages naming the true cause ------------


def test_prediction_column_never_duplicates_an_input() -> None:
    assert prediction_column(["x1", "x2"]) == "prediction"
    assert prediction_column(["prediction"]) == "prediction_1"
    assert prediction_column(["prediction", "prediction_1"]) == "prediction_2"
    text = predictions_csv(["x1", "prediction"], np.array([[1.0, 2.0]]), np.array([3.0]))
    assert text.splitlines() == ["x1,prediction,prediction_1", "1.0,2.0,3.0"]


def test_too_many_columns_says_columns_not_zero_rows(no_training: None) -> None:
    d = 30_001
    data = Dataset(
        tuple(f"x{i}" for i in range(d)), np.ones((2, d)), np.array([1.0, 2.0]), "y", name="w"
    )
    with pytest.raises(InputError, match="input columns") as exc:
        sbmlcrn.train("linear-regression", data, epochs=1)
    assert "0 rows" not in str(exc.value)


def test_too_many_classes_says_classes(no_training: None) -> None:
    rng = np.random.default_rng(0)
    n = 400
    data = Dataset(("x1", "x2"), rng.normal(size=(n, 2)), (np.arange(n) % 200).astype(float), "y")
    with pytest.raises(InputError, match="200 classes") as exc:
        sbmlcrn.train("nonlinear-multiclass", data, epochs=1)
    assert "input columns" not in str(exc.value)


def test_seed_reaches_the_run_record_exactly(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["train", "linear-regression", "--data", str(TRAIN), "--epochs", "1", "--quiet"]
    assert main([*argv, "--seed", "9007199254740993", "--out", str(out)]) == 0
    assert '"seed": 9007199254740993' in (out / "result.json").read_text()
