"""Mini-batch training in the chemistry (issue 16, linear circuits): B slots side by side."""

from __future__ import annotations

import numpy as np
import pytest

import sbmlcrn
from sbmlcrn.circuits.common import slot_values
from sbmlcrn.circuits.linear import LinearConfig, batch_learning_rate
from sbmlcrn.circuits.registry import compile_circuit, reference_run
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.reference import linear_sgd
from tests.helpers import (
    linear_data,
    regression_data,
    run_cli,
    separable_data,
    three_rings,
    xor_data,
)


def test_slot_values_pad_the_short_last_batch() -> None:
    v = np.arange(7.0)
    assert slot_values(v, 3, 0).tolist() == [0.0, 3.0, 6.0]
    assert slot_values(v, 3, 2).tolist() == [2.0, 5.0, 0.0]
    assert slot_values(v, 1, 0).tolist() == v.tolist()


def test_batch_size_one_is_the_per_sample_network() -> None:
    data, _, _ = linear_data(9, 2)
    a = compile_circuit("linear-regression", data, LinearConfig(epochs=2))
    b = compile_circuit("linear-regression", data, LinearConfig(epochs=2, batch_size=1))
    assert to_sbml(a.network) == to_sbml(b.network)


def test_reference_batches_equal_per_sample_sgd_for_batch_one_and_mean_steps() -> None:
    rng = np.random.default_rng(0)
    x, t, th = rng.normal(size=(7, 3)), rng.normal(size=7), rng.normal(size=3)
    one = linear_sgd(x, t, th, horizon=0.7, lr=0.05, epochs=2)
    assert np.allclose(linear_sgd(x, t, th, horizon=0.7, lr=0.05, epochs=2, batch_size=1).theta,
                       one.theta)  # fmt: skip
    # a batch of all samples is one full-batch gradient step per epoch
    full = linear_sgd(x, t, th, horizon=0.7, lr=0.05, epochs=1, batch_size=7)
    err = np.sum(x + 0.7 * th * x, axis=1) - t
    assert np.allclose(full.theta, th - 0.05 * 0.7 / 7 * (err[:, None] * x).sum(0))


@pytest.mark.parametrize(
    ("circuit", "batch"), [("linear-regression", 3), ("linear-classification", 4)]
)
def test_chemistry_equals_the_batched_reference_with_a_short_last_batch(circuit, batch) -> None:
    data = linear_data(10, 2)[0] if circuit.endswith("regression") else separable_data(10)
    run = sbmlcrn.train(circuit, data, epochs=2, batch_size=batch)
    theta = np.array(list(run.parameters.values()))
    ref = np.array(list(run.reference_parameters.values()))
    assert np.max(np.abs(theta - ref)) <= 1e-9 * max(1.0, float(np.max(np.abs(ref))))
    assert run.train_loss.shape == (2,)
    assert np.allclose(run.train_loss, run.reference_train_loss, rtol=1e-8)
    compiled = compile_circuit(circuit, data, run.model.config)
    assert compiled.clock.n_samples == -(-10 // batch)  # one cycle per batch
    assert reference_run(compiled).errors.shape == (2, 10)


def test_batch_learning_rate_scales_and_is_capped() -> None:
    x = np.random.default_rng(1).normal(size=(50, 3))
    lr = 0.01
    assert batch_learning_rate(lr, 4, 1.0, x) == pytest.approx(0.04)
    cap = 1.0 / float(np.max(np.linalg.eigvalsh(x.T @ x / 50)))
    assert batch_learning_rate(lr, 10_000, 1.0, x) == pytest.approx(cap)


def test_batch_size_is_checked_and_cli_refuses_it_elsewhere(tmp_path, capsys) -> None:
    with pytest.raises(InputError, match="batch size"):
        LinearConfig(batch_size=0)
    csv = tmp_path / "d.csv"
    csv.write_text("x1,y\n1,2\n2,3\n3,5\n4,4\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "nonlinear-regression", "--data", csv, "--design",
                           "node", "--batch-size", 2, "--out", tmp_path / "r")  # fmt: skip
    assert code == 2 and "--batch-size" in err
    code, _, err = run_cli(capsys, "train", "linear-regression", "--data", csv, "--epochs", 2,
                           "--batch-size", 3, "--out", tmp_path / "ok")  # fmt: skip
    assert code == 0, err


@pytest.mark.parametrize(
    ("circuit", "data", "batch"),
    [
        ("nonlinear-classification", xor_data(10), 3),
        ("nonlinear-regression", regression_data(10), 4),
        ("nonlinear-multiclass", three_rings(9), 4),
    ],
)
def test_product_units_in_batches_equal_their_reference(circuit, data, batch) -> None:
    run = sbmlcrn.train(circuit, data, epochs=2, batch_size=batch)
    theta = np.array(list(run.parameters.values()))
    ref = np.array(list(run.reference_parameters.values()))
    assert np.max(np.abs(theta - ref)) <= 1e-6 * max(1.0, float(np.max(np.abs(ref))))
    assert np.allclose(run.train_loss, run.reference_train_loss, rtol=1e-6, atol=1e-12)
    one = sbmlcrn.train(circuit, data, epochs=2)
    assert not np.allclose(theta, np.array(list(one.parameters.values())))  # batches differ


def test_sweep_grid_accepts_batch_size() -> None:
    from sbmlcrn.studies.grid import parse_grid

    assert parse_grid("linear-regression", ["batch_size=1,4,16"]) == {"batch_size": (1, 4, 16)}
    assert parse_grid("nonlinear-classification", ["batch_size=2"]) == {"batch_size": (2,)}


@pytest.mark.parametrize("engine", ["events", "phases"])
def test_progress_shows_the_per_sample_loss_of_a_batched_hinge_run(engine: str) -> None:
    """The loss shown per epoch is the run's own (squared hinge, per sample), whatever B."""

    class Bar:
        def __init__(self) -> None:
            self.losses: list[float | None] = []

        def __call__(self, message: str) -> None:
            pass

        def start(self, total: int) -> None:
            pass

        def close(self) -> None:
            pass

        def epoch(self, done: int, total: int, loss: float | None) -> None:
            self.losses.append(loss)

    bar = Bar()
    run = sbmlcrn.train(
        "nonlinear-classification", xor_data(10), epochs=2, batch_size=3, engine=engine,
        progress=bar,
    )  # fmt: skip
    shown = [v for v in bar.losses if v is not None]
    assert shown and np.allclose(shown[-1], run.train_loss[-1], rtol=1e-6)


def test_batch_larger_than_the_data_is_refused_and_counted_in_the_size_check() -> None:
    from sbmlcrn.training.limits import estimated_reactions

    data = linear_data(5, 2)[0]
    with pytest.raises(InputError, match=r"at most the number of training samples \(5\)"):
        compile_circuit("linear-regression", data, LinearConfig(batch_size=6))
    one = estimated_reactions("linear-regression", 3, LinearConfig())
    assert estimated_reactions("linear-regression", 3, LinearConfig(batch_size=8)) == 8 * one


def test_annihilation_is_gated_with_the_forward_phase_in_batches_and_changes_no_value() -> None:
    data, _, _ = linear_data(21, 3)
    theta = {}
    for batch, annihilate in ((1, None), (1, "forward"), (4, None), (4, "always")):
        cfg = LinearConfig(epochs=3, batch_size=batch, annihilate=annihilate)
        run = sbmlcrn.train("linear-regression", data, config=cfg)
        resolved = run.circuit.config.annihilate
        assert resolved == (annihilate or ("always" if batch == 1 else "forward"))
        gates = {r.gates for r in run.circuit.network.reactions if r.id.startswith("ann_")}
        assert gates == ({()} if resolved == "always" else {("g_fwd",)})
        assert run.max_abs_deviation <= 1e-9
        theta.setdefault(batch, []).append(np.array(list(run.parameters.values())))
    for a, b in theta.values():  # where annihilation runs moves no parameter
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_annihilate_is_checked_and_refused_outside_the_linear_circuits(tmp_path, capsys) -> None:
    with pytest.raises(InputError, match=r"annihilate parameter .* must be one of"):
        LinearConfig(annihilate="sometimes")
    data = tmp_path / "d.csv"
    data.write_text("x,y\n0,1\n1,2\n2,3\n", encoding="utf-8")
    code, _, err = run_cli(
        capsys, "train", "nonlinear-regression", "--data", data, "--annihilate", "forward",
        "--out", tmp_path / "o",
    )  # fmt: skip
    assert code == 2
    assert "--annihilate applies to the linear circuits" in err
    assert not (tmp_path / "o").exists()
