"""The rail-level reference (sbmlcrn.reference.rails): its term tables, Jacobian and physics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sbmlcrn.reference import NonlinearModel, RailModel, nonlinear_sgd, rail_sgd

MODES = ("exact", "first-order", "linapprox")

# two units on two inputs (the second the bias channel), one output; unit 0 starts at x̃_0
CONNECTIONS = ((0, 0), (0, 1), (1, 0), (1, 1))
X = np.array([[0.7, 0.2], [-0.4, 0.2], [0.3, 0.2]])
TARGETS = np.array([[0.5], [-0.2], [0.1]])
THETA0 = np.array([0.4, -0.3, -0.6, 0.2])


def _rails(
    mode: str, k: float = 7.0, *, backward: float = 1.5, outputs: tuple[int, ...] = (0, 0)
) -> RailModel:
    model = NonlinearModel(
        connections=CONNECTIONS,
        outputs=outputs,
        sources=(0, -1),
        power=2,
        coefficient=0.3,
        odd=True,
        horizon=0.4,
        mode=mode,
        backward=backward if mode == "linapprox" else None,
    )
    return RailModel(model, k, backward, 0.5)


def _spec_rhs(rm: RailModel, phase: str, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The module docstring's equations, transcribed term by term with plain loops."""
    md, kk = rm.model, rm.annihilation
    c, T, Tb, eta = md.coefficient, md.horizon, rm.backward, rm.lr
    m, n_out, n_p = md.n_units, md.n_outputs, len(md.connections)
    parts = np.split(y, np.cumsum([m, m, n_out, n_out, n_p, n_p, n_p, n_p, n_p]))
    zp, zm, ep, em, pp, pm, qp, qm, wp, wm = parts
    xp, xm = np.maximum(x, 0.0), np.maximum(-x, 0.0)
    names = ("zp", "zm", "ep", "em", "pp", "pm", "qp", "qm", "wp", "wm")
    d = {name: np.zeros(len(v)) for name, v in zip(names, parts, strict=True)}
    for name, (a, b) in {"z": (zp, zm), "e": (ep, em), "p": (pp, pm)}.items():
        d[name + "p"] -= kk * a * b
        d[name + "m"] -= kk * a * b
    first = md.mode == "first-order"
    if phase == "forward" or not first:
        d["wp"] -= kk * wp * wm
        d["wm"] -= kk * wp * wm
    if phase == "forward":
        for i in range(m):
            d["zp"][i] -= c * zp[i] ** 2
            d["zm"][i] -= c * zm[i] ** 2
            o = md.outputs[i]
            d["ep"][o] += c * zm[i] ** 2
            d["em"][o] += c * zp[i] ** 2
            if md.sources[i] >= 0:
                d["ep"][o] += xp[md.sources[i]] / T
                d["em"][o] += xm[md.sources[i]] / T
        for ci, (i, j) in enumerate(md.connections):
            dplus, dminus = pp[ci] * xp[j] + pm[ci] * xm[j], pp[ci] * xm[j] + pm[ci] * xp[j]
            d["zp"][i] += dplus
            d["zm"][i] += dminus
            d["ep"][md.outputs[i]] += dplus
            d["em"][md.outputs[i]] += dminus
            if not first:
                d["qp"][ci] += pp[ci] / T
                d["qm"][ci] += pm[ci] / T
        return np.concatenate(list(d.values()))
    r = 1.0 if md.mode == "linapprox" else T / Tb
    for ci, (i, j) in enumerate(md.connections):
        o = md.outputs[i]
        if first:
            d["pp"][ci] += eta * T / Tb * (ep[o] * xm[j] + em[o] * xp[j])
            d["pm"][ci] += eta * T / Tb * (ep[o] * xp[j] + em[o] * xm[j])
            continue
        d["zp"][i] += r * (qp[ci] * xm[j] + qm[ci] * xp[j])
        d["zm"][i] += r * (qp[ci] * xp[j] + qm[ci] * xm[j])
        d["wp"][ci] -= 2 * c * r * (zp[i] + zm[i]) * wp[ci]
        d["wm"][ci] -= 2 * c * r * (zp[i] + zm[i]) * wm[ci]
        d["pp"][ci] += eta * r * (ep[o] * wm[ci] + em[o] * wp[ci])
        d["pm"][ci] += eta * r * (ep[o] * wp[ci] + em[o] * wm[ci])
    if md.mode == "exact":
        d["zp"] += c * r * zp**2
        d["zm"] += c * r * zm**2
    return np.concatenate(list(d.values()))


def _state(rm: RailModel, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.0, 1.5, rm._layout.n)


@pytest.mark.parametrize("outputs", [(0, 0), (1, 0)])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("phase", ["forward", "backward"])
def test_terms_match_the_docstring_equations(
    mode: str, phase: str, outputs: tuple[int, ...]
) -> None:
    rm = _rails(mode, outputs=outputs)
    for row, seed in zip(X, range(3), strict=True):
        y = _state(rm, seed)
        rhs, _ = rm._system(phase, row)
        np.testing.assert_allclose(
            rhs(y, 0.0), _spec_rhs(rm, phase, y, row), rtol=1e-14, atol=1e-14
        )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("phase", ["forward", "backward"])
def test_jacobian_matches_finite_differences(mode: str, phase: str) -> None:
    rm = _rails(mode, outputs=(1, 0))
    rhs, jac = rm._system(phase, X[1])
    y, h = _state(rm, 5), 1e-6
    # the right-hand side is quadratic, so central differences are exact up to rounding
    fd = np.column_stack(
        [(rhs(y + h * e, 0.0) - rhs(y - h * e, 0.0)) / (2 * h) for e in np.eye(len(y))]
    )
    np.testing.assert_allclose(jac(y, 0.0), fd, rtol=0, atol=1e-8)


def _radau_sgd(rm: RailModel) -> np.ndarray:
    """The same training cycles as ``rail_sgd``, integrated with DOP853 at rtol 1e-13 (an
    explicit Runge-Kutta method of order 8, where ``rail_sgd`` takes LSODA's BDF steps)."""
    pp, pm = np.maximum(THETA0, 0.0), np.maximum(-THETA0, 0.0)
    blocks = rm._layout.block
    for x, t in zip(X, TARGETS, strict=True):
        y = rm.load(pp, pm, x, t)
        for phase, span in (("forward", rm.model.horizon), ("backward", rm.backward)):
            rhs, _ = rm._system(phase, x)
            sol = solve_ivp(
                lambda s, v, f=rhs: f(v, s), (0.0, span), y, method="DOP853", rtol=1e-13, atol=1e-15
            )
            y = sol.y[:, -1]
        pp, pm = y[blocks["p+"]], y[blocks["p-"]]
    return pp - pm


@pytest.mark.parametrize("mode", MODES)
def test_rail_sgd_matches_a_tight_runge_kutta_integration(mode: str) -> None:
    rm = _rails(mode, k=50.0)
    run = rail_sgd(rm, X, TARGETS, THETA0, epochs=1)
    assert np.max(np.abs(run.theta - THETA0)) > 1e-3  # the samples did train
    np.testing.assert_allclose(run.theta, _radau_sgd(rm), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("mode", MODES)
def test_fast_annihilation_approaches_the_ideal_model(mode: str) -> None:
    """With ``k → ∞`` one rail of every species is 0, so ``z⁺ + z⁻ = |z|``: the ideal model."""
    gaps = []
    for k in (1e2, 1e4):
        rm = _rails(mode, k)
        rails = rail_sgd(rm, X, TARGETS, THETA0, epochs=1)
        ideal = nonlinear_sgd(rm.model, X, TARGETS, THETA0, lr=rm.lr, epochs=1)
        gaps.append(np.max(np.abs(rails.theta - ideal.theta)))
        np.testing.assert_allclose(rails.errors, ideal.errors, atol=10.0 / k)
    assert gaps[1] < 1e-4
    assert gaps[1] < gaps[0] / 20  # the gap closes like 1/k
