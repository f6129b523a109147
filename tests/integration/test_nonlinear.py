"""Nonlinear circuits: the reference's gradients, the chemistry against the reference, sizes."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from sbmlcrn.circuits.nonlinear import NonlinearConfig, compile_nonlinear, topology
from sbmlcrn.circuits.registry import reference_run
from sbmlcrn.core.data import Dataset, make_task
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.io.sbml import to_antimony, to_sbml
from sbmlcrn.reference import NonlinearModel, nonlinear_sgd
from sbmlcrn.simulate import simulate
from sbmlcrn.training.model import predict
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.stats import circuit_stats
from sbmlcrn.validation import validate_string


def _small(name: str, n: int, seed: int = 0) -> Dataset:
    task = make_task(name, seed)
    d = task.train
    assert d.y is not None
    return Dataset(d.features, d.x[:n], d.y[:n], d.target, name=f"{name}-small")


def _learned(circuit) -> np.ndarray:
    pairs = circuit.parameter_species
    sim = simulate(
        to_sbml(circuit.network),
        [0.0, circuit.clock.end_time],
        species=[s for pair in pairs.values() for s in pair],
    )
    return np.array([sim.final[p] - sim.final[m] for p, m in pairs.values()])


MODELS = {
    "regression signed": ("regression", 3, 2, 0.5, False, 0),
    "regression per-rail": ("regression", 3, 2, 0.5, True, 0),
    "classification quadratic": ("classification", 3, 2, 0.3, False, 0),
    "classification cubic": ("classification", 3, 3, 1 / 6, False, 0),
    "multiclass": ("multiclass", 4, 2, 0.5, False, 3),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_reference_gradient_matches_finite_differences(name: str) -> None:
    task, d, power, c, odd, classes = MODELS[name]
    top = topology(task, d, True, classes or 2)
    model = NonlinearModel(top.connections, top.outputs, top.sources, power, c, odd, 0.7)
    rng = np.random.default_rng(1)
    x = np.append(rng.normal(0.0, 1.0, d - 1), 1.0)
    theta = rng.normal(0.0, 0.5, len(top.connections))
    target = rng.normal(0.0, 1.0, top.n_outputs)
    grad, err = model.gradient(theta, x, target, exact=True)
    h = 1e-6
    fd = np.array(
        [
            (model.loss(theta + h * e, x, target) - model.loss(theta - h * e, x, target)) / (2 * h)
            for e in np.eye(len(theta))
        ]
    )
    np.testing.assert_allclose(grad, fd, atol=1e-7, rtol=1e-6)
    # the first-order approximation: T (ŷ − t) x̃, which is not the gradient here
    approx, _ = model.gradient(theta, x, target, exact=False)
    expected = np.array([0.7 * err[top.outputs[i]] * x[j] for i, j in top.connections])
    np.testing.assert_allclose(approx, expected, rtol=1e-12)
    assert np.max(np.abs(approx - grad)) > 1e-3


CRN_CASES = {
    "regression exact": ("regression", "poly", NonlinearConfig(epochs=2)),
    "regression first-order": (
        "regression",
        "poly",
        NonlinearConfig(epochs=2, gradient="first-order"),
    ),
    "regression raw data (authors')": (
        "regression",
        "poly",
        NonlinearConfig(epochs=2, standardize=False, lr=0.6),
    ),
    "classification quadratic": (
        "classification",
        "xor",
        NonlinearConfig(epochs=2, degradation=0.3, class_values=(-1.0, 1.0)),
    ),
    "classification cubic": (
        "classification",
        "rings",
        NonlinearConfig(epochs=2, nonlinearity="cubic", backward=1.3),
    ),
    "multiclass": ("multiclass", "iris", NonlinearConfig(epochs=2, backward=0.25)),
    # the authors' circuits: per-rail square (rail-level reference), linapprox backward
    "regression per-rail exact (authors')": (
        "regression",
        "poly",
        NonlinearConfig(
            epochs=2,
            standardize=False,
            lr=0.6,
            square="per-rail",
            annihilation=100.0,
            init_dist="half-normal",
            init_scale=0.4,
        ),
    ),
    "regression per-rail first-order (authors')": (
        "regression",
        "poly",
        NonlinearConfig(
            epochs=2,
            standardize=False,
            lr=0.6,
            horizon=1.0,
            square="per-rail",
            gradient="first-order",
            annihilation=100.0,
        ),
    ),
    "classification linapprox per-rail (authors')": (
        "classification",
        "xor",
        NonlinearConfig(
            epochs=2,
            horizon=0.4,
            backward=2.0,
            gradient="linapprox",
            lr=0.5,
            standardize=False,
            augmentation=0.2,
            degradation=0.15,
            square="per-rail",
            annihilation=100.0,
            init_dist="half-normal",
            init_scale=3**-0.5,
        ),
    ),
    "multiclass per-rail": (
        "multiclass",
        "iris",
        NonlinearConfig(epochs=2, square="per-rail", annihilation=3.0),
    ),
}


@pytest.mark.parametrize("name", sorted(CRN_CASES))
def test_crn_learns_what_the_reference_learns(name: str) -> None:
    task, data_name, config = CRN_CASES[name]
    data = _small(data_name, 12)
    circuit = compile_nonlinear(task, data, config)
    learned = _learned(circuit)
    ref = reference_run(circuit)
    assert np.all(np.isfinite(ref.theta))
    assert np.max(np.abs(ref.theta - circuit.theta0)) > 1e-3  # it did learn something
    np.testing.assert_allclose(learned, ref.theta, atol=1e-7, rtol=0)  # issue target: 1e-4


def test_both_squares_match_their_reference_per_rail_approaches_the_ideal_odd_square() -> None:
    """The chemistry equals its reference at any annihilation rate (the per-rail square's
    reference integrates the rails); the per-rail square is −c·z|z| only in the limit of fast
    annihilation, so its distance to the ideal value-level model shrinks as the rate grows."""
    data = _small("xor", 8)
    devs, ideal = {}, {}
    for square in ("signed", "per-rail"):
        for k_ann in (0.1, 10.0):
            cfg = NonlinearConfig(
                epochs=1, square=square, annihilation=k_ann, init_scale=0.5, horizon=0.5
            )
            circuit = compile_nonlinear("classification", data, cfg)
            learned = _learned(circuit)
            devs[square, k_ann] = float(np.max(np.abs(learned - reference_run(circuit).theta)))
            value_level = nonlinear_sgd(
                circuit.model(),
                circuit.inputs,
                circuit.targets,
                circuit.theta0,
                lr=float(circuit.config.lr),
                epochs=1,
            )
            ideal[square, k_ann] = float(np.max(np.abs(learned - value_level.theta)))
    assert max(devs.values()) < 1e-7
    assert ideal["signed", 0.1] < 1e-7 and ideal["signed", 10.0] < 1e-7
    assert ideal["per-rail", 0.1] > 1e-3
    assert ideal["per-rail", 10.0] < ideal["per-rail", 0.1] / 3


def test_train_contract_and_test_metrics() -> None:
    data = _small("iris", 30)
    test = make_task("iris", 0).test
    run = train(
        "nonlinear-multiclass", data, test=test, config=NonlinearConfig(epochs=2, horizon=0.4)
    )
    assert run.max_abs_deviation < 1e-7
    assert run.train_loss.shape == (2,)
    np.testing.assert_allclose(run.train_loss, run.reference.train_loss, rtol=1e-6)
    assert run.test is not None and 0.0 <= run.test["accuracy"] <= 1.0
    assert run.test_predictions is not None
    assert set(np.unique(run.test_predictions)) <= {0.0, 1.0, 2.0}


def test_generated_models_are_deterministic_valid_and_bimolecular_unless_cubic() -> None:
    data = _small("xor", 10)
    for nonlinearity, molecularity in (("quadratic", 2), ("cubic", 3)):
        cfg = NonlinearConfig(epochs=1, nonlinearity=nonlinearity)
        a = compile_nonlinear("classification", data, cfg)
        b = compile_nonlinear("classification", data, cfg)
        assert to_sbml(a.network) == to_sbml(b.network)
        assert to_antimony(a.network) == to_antimony(b.network)
        assert a.network.stats()["max_molecularity"] == molecularity
        strict = validate_string(to_sbml(a.network))
        relaxed = validate_string(to_sbml(a.network), max_molecularity=3)
        assert not relaxed.errors and not relaxed.warnings
        codes = {f.code for f in strict.errors}
        assert codes == (set() if molecularity == 2 else {"CRN004"})


def test_bad_labels_and_options_raise_typed_errors() -> None:
    data = _small("xor", 10)
    bad = Dataset(data.features, data.x, np.where(data.y == 1, 2.0, 0.0), "y", name="bad")
    with pytest.raises(DataError, match="labels"):
        compile_nonlinear("classification", bad, NonlinearConfig(epochs=1))
    skip = Dataset(data.features, data.x, np.where(data.y == 1, 2.0, 0.0), "y", name="gap")
    with pytest.raises(DataError, match="0 … K−1"):
        compile_nonlinear("multiclass", skip, NonlinearConfig(epochs=1))
    with pytest.raises(InputError, match="--gradient"):
        NonlinearConfig(gradient="second-order")
    with pytest.raises(InputError, match="per-rail"):
        NonlinearConfig(nonlinearity="cubic", square="per-rail")
    with pytest.raises(InputError, match="LinearConfig"):
        train("linear-regression", _small("poly", 5), config=NonlinearConfig())


def test_reaction_count_grows_linearly_for_first_order_and_diagonal_circuits() -> None:
    dims = [2, 4, 8, 16]

    def counts(circuit: str, **kw) -> list[int]:
        return [circuit_stats(circuit, d, **kw)["reactions"] for d in dims]

    for circuit, kw in (
        ("nonlinear-regression", {"gradient": "first-order", "design": "node"}),
        ("nonlinear-regression", {"gradient": "exact", "design": "node"}),
        ("linear-regression", {}),
    ):
        r = counts(circuit, **kw)
        slopes = {(r[i + 1] - r[i]) / (dims[i + 1] - dims[i]) for i in range(len(dims) - 1)}
        assert len(slopes) == 1, (circuit, kw, r)
    # a full D×D matrix: quadratic in D
    r = counts("nonlinear-classification", gradient="first-order", design="node")
    second = np.diff(np.diff(r) / np.diff(dims))
    assert np.all(second > 0)


def test_decreasing_class_values_flip_the_prediction_rule() -> None:
    data = _small("rings", 40)
    up = train("nonlinear-classification", data, config=NonlinearConfig(epochs=2))
    down = train(
        "nonlinear-classification", data, config=NonlinearConfig(epochs=2, class_values=(1, 0))
    )
    assert down.max_abs_deviation < 1e-7
    grid = np.random.default_rng(0).uniform(-1, 1, (50, 2))
    for run in (up, down):
        labels = predict(run.model, grid)
        assert set(np.unique(labels)) <= {0.0, 1.0}
    # the same outputs read with flipped values give the complementary labels
    flipped = replace(down.model, config=replace(down.model.config, class_values=(0.0, 1.0)))
    a, b = predict(down.model, grid), predict(flipped, grid)
    assert np.all(a + b == 1.0)
    with pytest.raises(InputError, match="distinct"):
        NonlinearConfig(class_values=(1.0, 1.0))


def test_targets_can_be_standardised_with_raw_inputs() -> None:
    data = _small("poly", 12)
    cfg = NonlinearConfig(epochs=1, standardize=False, standardize_target=True)
    circuit = compile_nonlinear("regression", data, cfg)
    assert circuit.feature_map.mean is None
    assert circuit.feature_map.target_scale != 1.0
    np.testing.assert_allclose(np.mean(circuit.targets), 0.0, atol=1e-12)


def test_cli_trains_predicts_exports_and_sizes_nonlinear_circuits(tmp_path, capsys) -> None:
    from sbmlcrn.cli import main

    task = make_task("xor", 0)
    rows = np.column_stack([task.train.x[:20], task.train.y[:20]])
    csv_path = tmp_path / "xor.csv"
    np.savetxt(csv_path, rows, delimiter=",", header="x1,x2,y", comments="")
    out = tmp_path / "run"
    argv = ["train", "nonlinear-classification", "--data", str(csv_path), "--epochs", "1"]
    argv += ["--design", "node"]
    assert main([*argv, "--out", str(out), "--quiet", "--class-values", "-1", "1"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["circuit"] == "nonlinear-classification"
    assert result["config"]["gradient"] == "exact" and result["max_abs_deviation"] < 1e-7
    assert (out / "decision.png").stat().st_size > 1000
    capsys.readouterr()
    assert main(["predict", str(out), "--data", str(csv_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].endswith("prediction") and len(lines) == 21
    assert main(["export-inference", str(out), "-o", str(tmp_path / "inf.xml")]) == 0
    assert not validate_string((tmp_path / "inf.xml").read_text()).errors
    # options that only make sense for nonlinear circuits are refused for linear ones
    bad = ["train", "linear-regression", "--data", str(csv_path), "--gradient", "first-order"]
    assert main([*bad, "--out", str(tmp_path / "r2")]) == 2
    assert "only apply to nonlinear" in capsys.readouterr().err
    argv = ["stats", "nonlinear-regression", "--design", "node", "--inputs", "2", "4", "--json"]
    assert main(argv) == 0
    stats = json.loads(capsys.readouterr().out)
    assert [s["reactions"] for s in stats] == [88, 146]


def test_cli_trains_the_authors_quadratic_classifier_and_predicts_with_it(tmp_path, capsys) -> None:
    """The README's command for the authors' circuit (per-rail square, linapprox backward,
    half-normal θ₀), shortened: the record keeps the options, `predict` reloads the run, and
    the inference network annihilates the units' rails as the training network does."""
    from sbmlcrn.cli import main
    from sbmlcrn.training.store import load_run

    task = make_task("xor", 0)
    rows = np.column_stack([task.train.x[:10], task.train.y[:10]])
    csv_path = tmp_path / "xor.csv"
    np.savetxt(csv_path, rows, delimiter=",", header="x1,x2,y", comments="")
    out = tmp_path / "run"
    argv = [
        "train", "nonlinear-classification", "--data", str(csv_path), "--no-standardize",
        "--design", "node", "--augmentation", "0.2", "--square", "per-rail",
        "--degradation", "0.15",
        "--gradient", "linapprox", "--horizon", "0.4", "--backward", "2.0", "--lr", "0.5",
        "--epochs", "2", "--annihilation", "100", "--init-dist", "half-normal",
        "--init-scale", "0.577", "--out", str(out), "--quiet",
    ]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    result = json.loads((out / "result.json").read_text())
    cfg = result["config"]
    assert (cfg["gradient"], cfg["square"], cfg["init_dist"]) == (
        "linapprox",
        "per-rail",
        "half-normal",
    )
    assert result["max_abs_deviation"] < 1e-7
    run = load_run(out)
    assert any(r.id.startswith("ann_z") for r in run.model.inference_network().reactions)
    capsys.readouterr()
    assert main(["predict", str(out), "--data", str(csv_path)]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 11
    bad = [*argv[:-3], "--square", "signed", "--out", str(tmp_path / "r2")]
    assert main(bad) == 2
    assert "--square per-rail" in capsys.readouterr().err
