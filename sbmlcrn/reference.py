"""An independent numpy implementation of the learning mathematics.

Nothing here reads a :class:`~sbmlcrn.network.Network`: the reference implements the Neural
ODE model and its per-sample SGD directly from the equations, so that agreement with the
chemistry checks the compilation (rate constants, signs, rails, schedule, events) and the
writers, not a copy of them.

Linear model: ``z(T) = x̃ + T (θ ⊙ x̃ + h)``, ``ŷ = Σ z(T)``, ``L = ½ (ŷ − t)²``,
``∂L/∂θ = (ŷ − t) · T · x̃``, ``θ ← θ − η ∂L/∂θ``, samples in data order, every epoch alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ReferenceRun", "linear_gradient", "linear_predict", "linear_sgd"]


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
) -> ReferenceRun:
    """Per-sample SGD of the linear Neural ODE model (see the module docstring)."""
    x = np.asarray(x_tilde, dtype=float)
    t = np.asarray(targets, dtype=float)
    theta = np.array(theta0, dtype=float)
    snapshots = [theta.copy()]
    errors = np.empty((epochs, x.shape[0]))
    for epoch in range(epochs):
        for i in range(x.shape[0]):
            y_hat = float(np.sum(x[i] + horizon * (theta * x[i] + bias)))
            err = y_hat - t[i]
            errors[epoch, i] = err
            theta = theta - lr * err * horizon * x[i]
        snapshots.append(theta.copy())
    return ReferenceRun(
        theta=theta,
        theta_per_epoch=np.array(snapshots),
        errors=errors,
        train_loss=0.5 * np.mean(errors**2, axis=1),
    )
