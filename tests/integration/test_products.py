"""The product-unit circuits (the default nonlinear design): chemistry against the closed-form
reference, their reactions, prediction, the record and the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sbmlcrn
from sbmlcrn.circuits.nonlinear import NonlinearConfig
from sbmlcrn.circuits.products import ProductConfig
from sbmlcrn.circuits.registry import compile_circuit
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.reference import product_predict
from tests.helpers import regression_data, run_cli, three_rings, xor_data


@pytest.mark.parametrize(
    ("circuit", "data"),
    [
        ("nonlinear-classification", xor_data(16)),
        ("nonlinear-regression", regression_data(12)),
        ("nonlinear-multiclass", three_rings(12)),
    ],
)
def test_chemistry_equals_the_closed_form_reference(circuit: str, data: Dataset) -> None:
    run = sbmlcrn.train(circuit, data, epochs=2)
    theta = np.array(list(run.parameters.values()))
    ref = np.array(list(run.reference_parameters.values()))
    assert np.max(np.abs(theta - ref)) <= 1e-6 * max(1.0, float(np.max(np.abs(ref))))
    assert isinstance(run.model.config, ProductConfig)
    assert run.network.stats()["max_molecularity"] <= 2


def test_default_design_and_the_papers_circuits_on_request() -> None:
    data = xor_data(8)
    assert isinstance(compile_circuit("nonlinear-classification", data).config, ProductConfig)
    node = compile_circuit("nonlinear-classification", data, NonlinearConfig())
    assert node.config.design == "node"
    with pytest.raises(InputError, match="design"):
        ProductConfig(design="node")


def test_network_is_deterministic_and_the_units_are_the_pairs() -> None:
    data = xor_data(8)
    a = compile_circuit("nonlinear-classification", data)
    b = compile_circuit("nonlinear-classification", data)
    assert to_sbml(a.network) == to_sbml(b.network)
    assert a.parameter_names == ("x1^2", "x1*x2", "x1", "x2^2", "x2", "offset")


def test_inference_network_predicts_the_reference_outputs() -> None:
    data = xor_data(16)
    run = sbmlcrn.train("nonlinear-classification", data, epochs=2)
    model = run.model
    x_tilde = model.feature_map(data.x)
    want = product_predict(
        model.theta(), x_tilde, ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)), 1
    )
    assert np.array_equal(run.predict(data.x), (want[:, 0] > 0).astype(float))


def test_hinge_loss_is_reported_from_the_margins() -> None:
    run = sbmlcrn.train("nonlinear-classification", xor_data(16), epochs=3)
    assert np.allclose(run.train_loss, run.reference_train_loss, rtol=1e-6, atol=1e-9)
    assert run.train_loss[-1] < run.train_loss[0]


def test_cli_design_options_and_record(tmp_path, capsys) -> None:
    csv = tmp_path / "xor.csv"
    data = xor_data(12)
    rows = ["x1,x2,y", *(f"{a},{b},{int(c)}" for (a, b), c in zip(data.x, data.y, strict=True))]
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _out, err = run_cli(
        capsys, "train", "nonlinear-classification", "--data", csv, "--epochs", 2,
        "--out", tmp_path / "run",
    )  # fmt: skip
    assert code == 0, err
    record = json.loads((tmp_path / "run" / "result.json").read_text(encoding="utf-8"))
    assert record["config"]["design"] == "products"
    assert sbmlcrn.load_run(tmp_path / "run").model.config.design == "products"
    code, _out, err = run_cli(
        capsys, "train", "nonlinear-classification", "--data", csv, "--square", "per-rail",
        "--out", tmp_path / "bad",
    )  # fmt: skip
    assert code == 2 and "--design node" in err
    code, _out, err = run_cli(
        capsys, "train", "nonlinear-classification", "--data", csv, "--design", "node",
        "--loss", "squared", "--out", tmp_path / "bad2",
    )  # fmt: skip
    assert code == 2 and "--loss" in err
    code, _out, err = run_cli(
        capsys, "train", "nonlinear-classification", "--data", csv, "--design", "node",
        "--epochs", 1, "--out", tmp_path / "node",
    )  # fmt: skip
    assert code == 0, err
    record = json.loads((tmp_path / "node" / "result.json").read_text(encoding="utf-8"))
    assert record["config"]["design"] == "node"


def test_record_without_design_is_read_as_the_papers_circuit(tmp_path) -> None:
    run = sbmlcrn.train("nonlinear-classification", xor_data(8), epochs=1, design="node")
    from sbmlcrn.training.store import save_run

    save_run(run, tmp_path / "old2", plots=False)
    path = tmp_path / "old2" / "result.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    del record["config"]["design"]
    path.write_text(json.dumps(record), encoding="utf-8")
    assert isinstance(sbmlcrn.load_run(tmp_path / "old2").model.config, NonlinearConfig)


@pytest.mark.parametrize(
    ("circuit", "data"),
    [("nonlinear-classification", xor_data(8)), ("nonlinear-multiclass", three_rings(9))],
)
def test_training_and_inference_models_validate_without_errors(circuit: str, data) -> None:
    """Bimolecular mass action, events that only load data: 0 errors at molecularity 2."""
    run = sbmlcrn.train(circuit, data, epochs=1)
    for sbml in (run.sbml, run.model.inference_sbml()):
        report = sbmlcrn.validate(sbml)
        assert not report.errors, [str(f) for f in report.errors][:3]


def test_cli_option_edge_cases(tmp_path, capsys) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("x1,y\n1,2\n2,3\n3,5\n4,4\n", encoding="utf-8")
    base = ["train", "nonlinear-regression", "--data", csv, "--out", tmp_path / "r"]
    code, _, err = run_cli(capsys, *base, "--degree", 0)
    assert code == 2 and "--degree" in err  # 0 is refused, not ignored
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", csv, "--no-standardize-target",
        "--out", tmp_path / "l",
    )  # fmt: skip
    assert code == 2 and "--no-standardize-target" in err and "design linear" not in err
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", csv, "--loss", "squared",
        "--out", tmp_path / "l2",
    )  # fmt: skip
    assert code == 2 and "--loss" in err and "--design linear" not in err
    from sbmlcrn.errors import InputError as _InputError
    from sbmlcrn.studies.grid import parse_grid

    with pytest.raises(_InputError):
        parse_grid("nonlinear-regression", ["design"])
