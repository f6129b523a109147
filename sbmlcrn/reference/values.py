"""An independent numpy implementation of the learning mathematics.

Nothing here reads a :class:`~sbmlcrn.core.network.Network`: the reference implements the Neural
ODE model and its per-sample SGD directly from the equations, so that agreement with the
chemistry checks the compilation (rate constants, signs, rails, schedule, events) and the
writers, not a copy of them.

Linear model: ``z(T) = x̃ + T (θ ⊙ x̃ + h)``, ``ŷ = Σ z(T)``, ``L = ½ (ŷ − t)²``,
``∂L/∂θ = (ŷ − t) · T · x̃``, ``θ ← θ − η ∂L/∂θ``, samples in data order, every epoch alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "NonlinearModel",
    "ReferenceRun",
    "linear_gradient",
    "linear_predict",
    "linear_sgd",
    "nonlinear_sgd",
    "relative_deviation",
]


@dataclass(frozen=True)
class ReferenceRun:
    """Result of the reference SGD.

    Attributes
    ----------
    theta
        Final parameters.
    theta_per_epoch
        Parameters at the start of every epoch and at the end (``epochs + 1`` rows).
    errors
        ``ŷ − t`` of every step, before its update (``epochs × n`` values).
    train_loss
        Mean of ``½ (ŷ − t)²`` over each epoch's steps.
    """

    theta: np.ndarray
    theta_per_epoch: np.ndarray
    errors: np.ndarray
    train_loss: np.ndarray


def linear_predict(
    theta: np.ndarray, x_tilde: np.ndarray, horizon: float, bias: float = 0.0
) -> np.ndarray:
    """Outputs ``ŷ = Σ_i (x̃_i + T (θ_i x̃_i + h))`` for every row of ``x_tilde``."""
    x = np.atleast_2d(np.asarray(x_tilde, dtype=float))
    return np.sum(x + horizon * (x * np.asarray(theta, dtype=float) + bias), axis=1)


def linear_gradient(
    theta: np.ndarray, x_tilde: np.ndarray, target: float, horizon: float, bias: float = 0.0
) -> np.ndarray:
    """``∂L/∂θ`` of one sample: ``(ŷ − t) · T · x̃``."""
    err = float(linear_predict(theta, x_tilde, horizon, bias)[0]) - float(target)
    return err * horizon * np.asarray(x_tilde, dtype=float).reshape(-1)


def linear_sgd(
    x_tilde: np.ndarray,
    targets: np.ndarray,
    theta0: np.ndarray,
    *,
    horizon: float,
    lr: float,
    epochs: int,
    bias: float = 0.0,
    batch_size: int = 1,
) -> ReferenceRun:
    """SGD of the linear Neural ODE model (see the module docstring), one sample per step or
    ``batch_size`` consecutive samples per step: every error of a batch is computed with the
    batch's starting ``θ``, then ``θ ← θ − (η T / B) Σ_b e_b x̃_b``; a short last batch of
    ``r`` samples takes the same per-sample weight ``η T / B`` (its step is ``r/B`` of a
    full one: each sample of an epoch counts alike)."""
    x = np.asarray(x_tilde, dtype=float)
    t = np.asarray(targets, dtype=float)
    theta = np.array(theta0, dtype=float)
    snapshots = [theta.copy()]
    errors = np.empty((epochs, x.shape[0]))
    per_sample = batch_size == 1
    with np.errstate(all="ignore"):  # a diverging run ends in inf/NaN; the caller refuses it
        for epoch in range(epochs):
            for i in range(x.shape[0] if per_sample else 0):
                y_hat = float(np.sum(x[i] + horizon * (theta * x[i] + bias)))
                err = y_hat - t[i]
                errors[epoch, i] = err
                theta = theta - lr * err * horizon * x[i]
            for start in range(0, 0 if per_sample else x.shape[0], batch_size):
                xb = x[start : start + batch_size]
                tb = t[start : start + batch_size]
                err_b = np.sum(xb + horizon * (theta * xb + bias), axis=1) - tb
                errors[epoch, start : start + batch_size] = err_b
                theta = theta - lr * horizon / batch_size * np.sum(err_b[:, None] * xb, axis=0)
            snapshots.append(theta.copy())
    with np.errstate(all="ignore"):
        loss = 0.5 * np.mean(errors**2, axis=1)
    return ReferenceRun(
        theta=theta,
        theta_per_epoch=np.array(snapshots),
        errors=errors,
        train_loss=loss,
    )


# ---------------------------------------------------------------------------------------------
# Nonlinear circuits
# ---------------------------------------------------------------------------------------------
#
# Model (units i = 1…M, inputs j = 1…D, outputs k = 1…K):
#   dz_i/dt = u_i − φ(z_i),  u_i = Σ_{c = (i, j)} θ_c x̃_j,  z(0) = z0,  t ∈ [0, T]
#   ŷ_k = Σ_{i: out(i) = k} z_i(T),  L = ½ Σ_k (ŷ_k − t_k)²
# with φ(z) = c·z² ("signed"), c·z|z| ("per-rail", the authors' rail-wise squaring) or c·z³.
# Exact gradient by the adjoint method, integrated in reverse time s = T − t:
#   dz/ds = −(u − φ(z)),  da/ds = −φ'(z)·a,  dG/ds = a,  a(0) = ŷ_out(i) − t_out(i),
#   ∂L/∂θ_c = G_i(T)·x̃_j.
# First-order approximation (the paper's): a stays a(T), so ∂L/∂θ_c ≈ T·a_i(T)·x̃_j.
# "linapprox" (the authors' quadratic-classifier backward): as the adjoint, but z is reversed
# with the linear part only (dz/ds = −u) and the ODE runs for the backward time T_b, not T.
# The per-rail square is −c·z|z| only while one rail of z is 0; sbmlcrn.reference.rails
# integrates the rail-level ODE that the chemistry runs, this module the ideal one.
# Both ODEs are integrated with scipy's LSODA (``odeint``, rtol 1e-12; 2.5x less overhead per
# call than ``solve_ivp`` here): nothing here is shared with the chemistry's construction.

_RTOL = 1e-12
_ATOL = 1e-13


def _integrate(rhs, y0: np.ndarray, horizon: float) -> np.ndarray | None:
    """State at ``horizon`` (None if LSODA fails or the state is not finite)."""
    import warnings

    from scipy.integrate import ODEintWarning, odeint

    if not np.all(np.isfinite(y0)):
        return None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ODEintWarning)  # a blow-up is reported as None
        out, info = odeint(
            rhs, y0, [0.0, horizon], rtol=_RTOL, atol=_ATOL, mxstep=100_000, full_output=True
        )
    return integrated_end(out, info)


def relative_deviation(theta: np.ndarray, reference: np.ndarray) -> float:
    """``max |θ − θ_ref| / max(1, max |θ_ref|)``: how the chemistry's parameters are compared
    with a reference's."""
    theta, reference = np.asarray(theta, dtype=float), np.asarray(reference, dtype=float)
    scale = max(1.0, float(np.max(np.abs(reference))))
    return float(np.max(np.abs(theta - reference))) / scale


def integrated_end(out: np.ndarray, info: dict) -> np.ndarray | None:
    """The last row of an ``odeint`` solution, or None if LSODA failed or the state is not
    finite or beyond 1e12 (a blow-up)."""
    end = out[-1]
    if info["message"] != "Integration successful." or not np.all(np.isfinite(end)):
        return None
    if np.max(np.abs(end)) > 1e12:
        return None
    return end


@dataclass(frozen=True)
class NonlinearModel:
    """The mathematical model of a nonlinear circuit (see the comment above).

    Attributes
    ----------
    connections
        ``(unit, input)`` index pairs, one per parameter, in parameter order.
    outputs
        Output index of every unit.
    sources
        Input index whose value starts each unit (``z_i(0) = x̃_j``), or -1 for ``z_i(0) = 0``.
    power
        2 or 3.
    coefficient
        ``c`` in ``φ``.
    odd
        Use ``c·z|z|`` instead of ``c·z²`` (quadratic only).
    horizon
        ``T``.
    mode
        The gradient: ``exact``, ``first-order`` or ``linapprox`` (see the comment above).
    backward
        ``T_b``, the time the ``linapprox`` backward ODE runs (None: ``T``).
    """

    connections: tuple[tuple[int, int], ...]
    outputs: tuple[int, ...]
    sources: tuple[int, ...]
    power: int
    coefficient: float
    odd: bool
    horizon: float
    mode: str = "exact"
    backward: float | None = None

    @property
    def n_units(self) -> int:
        return len(self.outputs)

    @property
    def n_outputs(self) -> int:
        return max(self.outputs) + 1

    def phi(self, z: np.ndarray) -> np.ndarray:
        if self.power == 3:
            return self.coefficient * z**3
        return self.coefficient * (z * np.abs(z) if self.odd else z * z)

    def dphi(self, z: np.ndarray) -> np.ndarray:
        if self.power == 3:
            return 3.0 * self.coefficient * z**2
        return 2.0 * self.coefficient * (np.abs(z) if self.odd else z)

    def drive(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        u = np.zeros(self.n_units)
        for (i, j), th in zip(self.connections, theta, strict=True):
            u[i] += th * x[j]
        return u

    def initial(self, x: np.ndarray) -> np.ndarray:
        return np.array([x[j] if j >= 0 else 0.0 for j in self.sources])

    def forward(self, theta: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``z(T)`` for one loaded input ``x`` (NaN if the ODE blows up)."""
        u = self.drive(theta, x)
        end = _integrate(lambda z, _t: u - self.phi(z), self.initial(x), self.horizon)
        return end if end is not None else np.full(self.n_units, np.nan)

    def output(self, z: np.ndarray) -> np.ndarray:
        y = np.zeros(self.n_outputs)
        np.add.at(y, np.asarray(self.outputs), z)
        return y

    def predict(self, theta: np.ndarray, x_tilde: np.ndarray) -> np.ndarray:
        """Outputs ``ŷ`` (n × K) for every row of ``x_tilde``."""
        x = np.atleast_2d(np.asarray(x_tilde, dtype=float))
        return np.array([self.output(self.forward(theta, row)) for row in x])

    def loss(self, theta: np.ndarray, x: np.ndarray, target: np.ndarray) -> float:
        """``½ Σ_k (ŷ_k − t_k)²`` of one sample."""
        err = self.output(self.forward(theta, x)) - np.asarray(target, dtype=float)
        return 0.5 * float(np.sum(err**2))

    def gradient(
        self, theta: np.ndarray, x: np.ndarray, target: np.ndarray, *, exact: bool | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(∂L/∂θ, ŷ − t)`` of one sample by the model's ``mode`` (``exact`` True or
        False overrides it with the adjoint or the first-order approximation)."""
        mode = self.mode if exact is None else ("exact" if exact else "first-order")
        theta = np.asarray(theta, dtype=float)
        z_t = self.forward(theta, x)
        err = self.output(z_t) - np.asarray(target, dtype=float)
        a_t = err[np.asarray(self.outputs)]
        if mode == "first-order":
            adj = self.horizon * a_t
        else:
            u = self.drive(theta, x)
            m = self.n_units
            linear = mode == "linapprox"
            span = self.horizon if not linear or self.backward is None else self.backward

            def rhs(state: np.ndarray, _s: float) -> np.ndarray:
                z, a = state[:m], state[m : 2 * m]
                dz = -u if linear else -(u - self.phi(z))
                return np.concatenate([dz, -self.dphi(z) * a, a])

            end = _integrate(rhs, np.concatenate([z_t, a_t, np.zeros(m)]), span)
            adj = end[2 * m :] if end is not None else np.full(m, np.nan)
        grad = np.array([adj[i] * x[j] for i, j in self.connections])
        return grad, err


def nonlinear_sgd(
    model: NonlinearModel,
    x_tilde: np.ndarray,
    targets: np.ndarray,
    theta0: np.ndarray,
    *,
    lr: float,
    epochs: int,
    exact: bool | None = None,
) -> ReferenceRun:
    """Per-sample SGD of a nonlinear Neural ODE model, samples in data order every epoch.

    The gradient is the model's (``exact`` True or False overrides it).

    ``targets`` is ``n × K``. ``errors`` holds ``ŷ − t`` of every step (``epochs × n × K``);
    the loss is ``½ Σ_k (ŷ_k − t_k)²`` averaged over each epoch. A blow-up makes every later
    value NaN (the caller refuses such a run).
    """
    x = np.asarray(x_tilde, dtype=float)
    t = np.asarray(targets, dtype=float).reshape(x.shape[0], -1)
    theta = np.array(theta0, dtype=float)
    snapshots = [theta.copy()]
    errors = np.full((epochs, x.shape[0], t.shape[1]), np.nan)
    for epoch in range(epochs):
        for i in range(x.shape[0]):
            if not np.all(np.isfinite(theta)):
                break
            grad, err = model.gradient(theta, x[i], t[i], exact=exact)
            errors[epoch, i] = err
            theta = theta - lr * grad
        snapshots.append(theta.copy())
    return ReferenceRun(
        theta=theta,
        theta_per_epoch=np.array(snapshots),
        errors=errors,
        train_loss=0.5 * np.mean(np.sum(errors**2, axis=2), axis=1),
    )
