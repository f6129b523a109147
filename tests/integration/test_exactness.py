"""The core claim: for linear circuits the chemistry computes exactly the SGD step.

The parameters read from the simulated parameter species must match the independent numpy
reference to 1e-6 absolute, and training must actually solve the task.
"""

from __future__ import annotations

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.core.data import Dataset
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import simulate
from sbmlcrn.training.model import effective_model
from sbmlcrn.training.pipeline import train
from tests.helpers import linear_data


@pytest.mark.parametrize("d", [1, 2, 3, 8])
def test_regression_matches_reference(d: int) -> None:
    data, _, _ = linear_data(25, d, seed=d, noise=0.3, scale=2.0)
    run = train("linear-regression", data, config=LinearConfig(epochs=4, horizon=0.8, seed=d))
    assert run.max_abs_deviation <= 1e-6
    # the per-epoch parameters and losses agree too, not just the end point
    np.testing.assert_allclose(
        run.parameter_trajectory, run.reference.theta_per_epoch, atol=1e-6, rtol=0
    )
    np.testing.assert_allclose(run.train_loss, run.reference.train_loss, rtol=1e-6)


@pytest.mark.parametrize("d", [1, 2, 3, 8])
def test_classification_matches_reference(d: int) -> None:
    rng = np.random.default_rng(10 + d)
    x = rng.normal(size=(30, d))
    y = (x @ rng.normal(size=d) > 0.1).astype(float)
    data = Dataset(tuple(f"f{i}" for i in range(d)), x, y, "y")
    run = train("linear-classification", data, config=LinearConfig(epochs=3, seed=d))
    assert run.max_abs_deviation <= 1e-6


def test_raw_inputs_without_offset_with_fixed_bias_match_reference() -> None:
    data, _, _ = linear_data(20, 2, seed=5)
    cfg = LinearConfig(
        epochs=3, horizon=0.5, lr=0.05, standardize=False, augmentation=None, bias=-0.2
    )
    run = train("linear-regression", data, config=cfg)
    assert run.max_abs_deviation <= 1e-6


def test_noise_free_training_converges_to_true_weights() -> None:
    data, w, b = linear_data(40, 3, seed=11)
    run = train("linear-regression", data, config=LinearConfig(epochs=60, lr=0.5, horizon=1.0))
    fit = effective_model(run.model)
    np.testing.assert_allclose(list(fit["coef"].values()), w, atol=1e-3)
    assert abs(fit["intercept"] - b) <= 1e-3


def test_noisy_test_mse_close_to_least_squares() -> None:
    full, _, _ = linear_data(400, 2, seed=21, noise=0.5)
    assert full.y is not None
    data = Dataset(full.features, full.x[:200], full.y[:200], "y")
    test = Dataset(full.features, full.x[200:], full.y[200:], "y")
    a_train = np.c_[data.x, np.ones(len(data))]
    w_lsq = np.linalg.lstsq(a_train, data.y, rcond=None)[0]
    lsq_mse = float(np.mean((np.c_[test.x, np.ones(len(test))] @ w_lsq - test.y) ** 2))
    run = train("linear-regression", data, test=test)  # defaults, no tuning
    assert run.test is not None
    assert run.test["mse"] <= 1.10 * lsq_mse


def test_parameters_stay_learned_after_the_end_time() -> None:
    """A simulator run past t_end must not keep training (ev_stop switches the gates off)."""
    data, _, _ = linear_data(8, 2, seed=6, noise=0.2)
    circuit = compile_linear("regression", data, LinearConfig(epochs=2))
    end = circuit.clock.end_time
    res = simulate(to_sbml(circuit.network), [0.0, end, end + 7.3])
    for plus, minus in circuit.parameter_species.values():
        at_end = res[plus][1] - res[minus][1]
        later = res[plus][2] - res[minus][2]
        assert abs(later - at_end) <= 1e-9
    assert res.final["g_fwd"] == 0.0 and res.final["g_bwd"] == 0.0
