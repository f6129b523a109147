"""The product-unit circuits' reference: closed forms against numerical integration, the ideal
gradient against finite differences, and the chemistry's hinge against the ideal one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sbmlcrn.reference.products import (
    ProductModel,
    feature_pairs,
    hinge_integral,
    ideal_gradient,
    ideal_loss,
    product_features,
    product_sgd,
)


def _model(loss: str, k: float = 100.0, n_out: int = 1) -> ProductModel:
    return ProductModel(feature_pairs(3, 2), n_out, loss, 0.05, 1.0, k)


def test_pairs_cover_bias_inputs_squares_and_products() -> None:
    assert feature_pairs(3, 2) == ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))
    assert feature_pairs(3, 1) == ((0, 2), (1, 2), (2, 2))
    phi = product_features(np.array([[2.0, -3.0, 1.0]]), feature_pairs(3, 2))
    assert phi.tolist() == [[4.0, -6.0, 2.0, 9.0, -3.0, 1.0]]


@pytest.mark.parametrize(
    ("plus", "minus", "k"),
    [(3.0, 1.0, 100.0), (1.0, 3.0, 100.0), (2.0, 2.0, 10.0), (1e-9, 0.5, 1.0), (5.0, 0.0, 50.0)],
)
def test_hinge_integral_equals_the_integrated_annihilation(plus, minus, k) -> None:
    """∫ m⁺ ds under m⁺ + m⁻ → ∅, integrated numerically (with the integral as a state)."""

    def rhs(_s, y):
        flux = k * y[0] * y[1]
        return [-flux, -flux, y[0]]

    sol = solve_ivp(rhs, (0.0, 1.0), [plus, minus, 0.0], method="LSODA", rtol=1e-12, atol=1e-14)
    assert hinge_integral(plus, minus, k, 1.0) == pytest.approx(sol.y[2, -1], rel=1e-8, abs=1e-12)


def test_hinge_integral_tends_to_the_relu() -> None:
    for delta in (-0.7, 0.0, 0.4):
        soft = [float(hinge_integral(1.0 + delta, 1.0, k, 2.0)) for k in (1e2, 1e4, 1e6)]
        ideal = 2.0 * max(delta, 0.0)
        gaps = [abs(s - ideal) for s in soft]
        assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-4


@pytest.mark.parametrize("loss", ["squared", "squared-hinge"])
def test_ideal_gradient_matches_finite_differences(loss: str) -> None:
    rng = np.random.default_rng(1)
    model = _model(loss, n_out=2)
    for _ in range(5):
        theta = rng.normal(size=12)
        x = np.append(rng.normal(size=2), 1.0)[None, :]
        t = np.array([1.0, -1.0])
        grad = ideal_gradient(theta, x, t, model)
        fd = np.empty_like(theta)
        for i in range(theta.size):
            h = np.zeros_like(theta)
            h[i] = 1e-6
            fd[i] = (ideal_loss(theta + h, x, t, model) - ideal_loss(theta - h, x, t, model)) / 2e-6
        assert np.allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_squared_loss_step_is_exact_sgd() -> None:
    """Rails or not, the squared loss's step is θ ← θ − η ∂L/∂θ."""
    rng = np.random.default_rng(2)
    model = _model("squared")
    x = np.hstack([rng.normal(size=(7, 2)), np.ones((7, 1))])
    t = rng.normal(size=(7, 1))
    theta = rng.normal(size=6)
    run = product_sgd(model, x, t, theta, epochs=1)
    want = theta.copy()
    for s in range(7):
        want -= model.lr * ideal_gradient(want, x[s : s + 1], t[s], model)
    assert np.allclose(run.theta, want, rtol=1e-12, atol=1e-12)


def test_hinge_step_tends_to_the_ideal_sgd_as_annihilation_grows() -> None:
    rng = np.random.default_rng(3)
    x = np.hstack([rng.normal(size=(20, 2)), np.ones((20, 1))])
    t = np.where(x[:, 0] * x[:, 1] > 0, 1.0, -1.0)[:, None]
    theta = rng.normal(0, 0.1, size=6)
    ideal = theta.copy()
    model = _model("squared-hinge")
    for s in range(20):
        ideal -= model.lr * ideal_gradient(ideal, x[s : s + 1], t[s], model)
    gaps = []
    for k in (1e2, 1e4, 1e6):
        run = product_sgd(_model("squared-hinge", k), x, t, theta, epochs=1)
        gaps.append(float(np.max(np.abs(run.theta - ideal))))
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-4


def test_hinge_rails_match_the_integrated_rail_equations() -> None:
    """One sample's two phases integrated as the reactions' ODE (every rail, numerically)."""
    x = np.array([0.8, -1.3, 1.0])
    pairs = feature_pairs(3, 2)
    model = ProductModel(pairs, 1, "squared-hinge", 0.2, 1.0, 30.0)
    theta = np.array([0.3, -0.2, 0.1, 0.5, -0.4, 0.05])
    run = product_sgd(model, x[None, :], np.array([[-1.0]]), theta, epochs=1)
    xp, xm = np.maximum(x, 0), np.maximum(-x, 0)
    f_p = np.array([xp[i] * xp[j] + xm[i] * xm[j] for i, j in pairs])
    f_m = np.array([xp[i] * xm[j] + xm[i] * xp[j] for i, j in pairs])
    w_p, w_m = np.maximum(theta, 0), np.maximum(-theta, 0)
    # label -1: u = −φ, so u⁺ = φ⁻ and u⁻ = φ⁺; forward (T = 1): m loses (3/T) w·u(t), u = t² u
    u_p, u_m = f_m, f_p

    def forward(s, m):
        return [3 * s**2 * (w_p @ u_m + w_m @ u_p), 3 * s**2 * (w_p @ u_p + w_m @ u_m)]

    m = solve_ivp(forward, (0, 1), [1.0, 0.0], rtol=1e-12, atol=1e-14).y[:, -1]

    def backward(_s, y):
        flux = 30.0 * y[0] * y[1]
        return [-flux, -flux, *(0.2 * y[0] * u_p), *(0.2 * y[0] * u_m)]

    y0 = [m[0], m[1], *w_p, *w_m]
    end = solve_ivp(backward, (0, 1), y0, method="LSODA", rtol=1e-12, atol=1e-14).y[:, -1]
    assert np.allclose(run.theta, end[2:8] - end[8:14], rtol=1e-8, atol=1e-10)
    assert run.errors[0, 0, 0] == pytest.approx(m[0] - m[1], rel=1e-10)
