"""The raw-unit inference model (issue 17, friction 8): inputs and prediction in data units."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sbmlcrn
from sbmlcrn.core.data import make_task, read_csv
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import load_roadrunner
from sbmlcrn.training.inference_export import raw_inference_network
from sbmlcrn.validation import validate_string
from tests.helpers import run_cli

ROOT = Path(__file__).resolve().parents[2]


def _predict_raw(sbml: str, features, x: np.ndarray) -> np.ndarray:
    """What a user does: a fresh RoadRunner per sample, inputs set by column name."""
    out = []
    for row in x:
        rr = load_roadrunner(sbml)
        for name, value in zip(features, row, strict=True):
            rr[name] = float(value)
        rr.simulate(0.0, rr["t_end"], 2)
        out.append(rr["prediction"])
    return np.asarray(out)


@pytest.mark.parametrize(
    ("circuit", "task", "epochs"),
    [
        ("linear-regression", None, 3),
        ("linear-classification", None, 3),
        ("nonlinear-regression", "poly", 2),
        ("nonlinear-classification", "xor", 2),
        ("nonlinear-multiclass", "iris", 1),
    ],
)
def test_raw_model_predicts_what_the_run_predicts(circuit: str, task: str | None, epochs: int):
    if task is None:
        name = "linreg" if circuit.endswith("regression") else "cls"
        train = read_csv(ROOT / "examples" / f"{name}_train.csv")
        x = train.x[:6]
    else:
        t = make_task(task, 0)
        train, x = t.train, t.test.x[:6]
    run = sbmlcrn.train(circuit, train, epochs=epochs)
    network = raw_inference_network(run.model, train.target)
    sbml = to_sbml(network)
    assert validate_string(sbml).ok
    got = _predict_raw(sbml, run.model.features, x)
    want = np.asarray(run.predict(x), dtype=float)
    if circuit.endswith("regression"):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    else:
        assert got.tolist() == want.tolist()  # the class labels themselves


def test_cli_exports_the_raw_model_by_default_and_the_rails_on_request(tmp_path, capsys):
    data = ROOT / "examples" / "linreg_train.csv"
    code, _, err = run_cli(capsys, "train", "linear-regression", "--data", data, "--epochs", "2",
                           "--out", tmp_path / "run")  # fmt: skip
    assert code == 0, err
    code, out, err = run_cli(capsys, "export-inference", tmp_path / "run", "-o", tmp_path / "m.xml")
    assert code == 0, err
    assert "set the inputs (x1, x2)" in out and "read prediction" in out
    run = sbmlcrn.load_run(tmp_path / "run")
    x = np.array([[1.2, -0.4]])
    got = _predict_raw((tmp_path / "m.xml").read_text(encoding="utf-8"), ("x1", "x2"), x)
    np.testing.assert_allclose(got, run.predict(x), rtol=1e-7, atol=1e-8)
    code, out, _ = run_cli(
        capsys, "export-inference", tmp_path / "run", "-o", tmp_path / "r.xml", "--rails"
    )
    assert code == 0 and "yhat_p - yhat_m" in out
    assert "<listOfEvents>" not in (tmp_path / "r.xml").read_text(encoding="utf-8")


def test_exports_are_minimised_and_predict_the_same(tmp_path, capsys):
    """Issue 19: the inference exports leave out the reactions that can never fire."""
    data = ROOT / "examples" / "linreg_train.csv"
    code, _, err = run_cli(capsys, "train", "linear-regression", "--data", data, "--epochs", "2",
                           "--out", tmp_path / "run")  # fmt: skip
    assert code == 0, err
    run = sbmlcrn.load_run(tmp_path / "run")
    full = raw_inference_network(run.model, "y", minimised=False)
    small = raw_inference_network(run.model, "y")
    assert len(small.reactions) < len(full.reactions)
    x = read_csv(ROOT / "examples" / "linreg_test.csv").x[:5]
    features = run.model.features
    np.testing.assert_allclose(
        _predict_raw(to_sbml(small), features, x),
        _predict_raw(to_sbml(full), features, x),
        rtol=1e-8,
        atol=1e-9,
    )
    sizes = {}
    for flag in ((), ("--no-minimise",)):
        out = tmp_path / f"r{len(flag)}.xml"
        code, _, err = run_cli(
            capsys, "export-inference", tmp_path / "run", "-o", out, "--rails", *flag
        )
        assert code == 0, err
        sizes[bool(flag)] = out.read_text(encoding="utf-8").count("<reaction ")
    assert sizes[False] < sizes[True]
