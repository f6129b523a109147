"""The README's "Worked example" (Python API) runs as written; the public API's contracts."""

from __future__ import annotations

import doctest
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import sbmlcrn
from sbmlcrn.errors import DataError, InputError

ROOT = Path(__file__).resolve().parents[2]


def _api_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- api-doctest -->\n```pycon\n(.*?)```", text, re.S)
    assert match, "README.md has no api-doctest block"
    return match.group(1)


def test_readme_python_api_block_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    test = doctest.DocTestParser().get_doctest(_api_block(), {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, f"{runner.failures} README example(s) failed (see output)"
    assert (tmp_path / "api-run" / "result.json").is_file()


def test_public_names_are_served_lazily() -> None:
    for name in sbmlcrn.__all__:
        assert getattr(sbmlcrn, name) is not None
    assert callable(sbmlcrn.train) and callable(sbmlcrn.load_run) and callable(sbmlcrn.validate)
    with pytest.raises(AttributeError):
        _ = sbmlcrn.no_such_name


def test_train_accepts_a_dataframe_and_predicts_one(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.read_csv(ROOT / "examples" / "linreg_train.csv")
    moved = frame[["y", "x1", "x2"]]  # the target is found by name, wherever it is
    run = sbmlcrn.train("linear-regression", moved, epochs=2)
    csv = ROOT / "examples" / "linreg_train.csv"
    from_csv = sbmlcrn.train("linear-regression", csv, epochs=2)
    assert run.features == ("x1", "x2")
    assert run.parameters["x1"] == pytest.approx(from_csv.parameters["x1"], rel=1e-9)
    x = pd.DataFrame({"x1": [1.0, 3.0], "x2": [2.0, 0.5], "extra": [0.0, 0.0]})
    np.testing.assert_allclose(run.predict(x), from_csv.predict([[1.0, 2.0], [3.0, 0.5]]))


def test_train_refuses_unknown_options_and_bad_data() -> None:
    with pytest.raises(InputError, match=r"unknown option 'epoch'.*Did you mean 'epochs'"):
        sbmlcrn.train("linear-regression", ROOT / "examples" / "linreg_train.csv", epoch=3)
    with pytest.raises(DataError, match="The data parameter of train must be"):
        sbmlcrn.train("linear-regression", 42)
    with pytest.raises(InputError, match="Did you mean 'linear-regression'"):
        sbmlcrn.train("linear-regresion", ROOT / "examples" / "linreg_train.csv")


def test_load_run_refuses_a_directory_without_a_run(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a training run directory"):
        sbmlcrn.load_run(tmp_path)
