"""Reference of the product-unit circuits: the rail-level mathematics, in closed form.

The circuit (:mod:`sbmlcrn.circuits.products`) computes *product units* ``φ_f = x̃_i x̃_j``
(``i ≤ j`` over the loaded channels, the constant included: the bias, the inputs, their
squares and their pairwise products) and trains a linear readout ``ŷ_k = Σ_f w_kf φ_f`` by
per-sample SGD on the squared loss ``½ (ŷ − t)²`` (regression) or the squared hinge
``½ max(0, 1 − t ŷ)²`` with ``t = ±1`` (classification, one output per class for several
classes). This module integrates what the reactions do, rail by rail, with no ODE solver:
every phase has a closed form.

Forward phase (time ``T``; inputs constant, loaded in canonical rails)

* ``h_f(t) = (t/T) φ_f`` rail by rail: ``h⁺ = x_i⁺x_j⁺ + x_i⁻x_j⁻``, ``h⁻ = x_i⁺x_j⁻ +
  x_i⁻x_j⁺`` (for ``i = j``: ``x⁺² + x⁻²`` and ``2 x⁺x⁻``) times ``t/T``.
* squared loss: ``e`` starts at the rails of ``−t`` and gains ``(2/T) w^a h^b`` on the rail
  ``a·b``: ``e(T) = −t + Σ w φ`` with ``e⁺ = [−t]⁺ + Σ (w⁺φ⁺ + w⁻φ⁻)`` and ``e⁻ = [t]⁺ +
  Σ (w⁺φ⁻ + w⁻φ⁺)``; nothing annihilates in this phase.
* squared hinge: the label sign ``ℓ = t`` is loaded as a species; the signed units
  ``u_f = ℓ h_f`` grow as ``(t/T)² ℓ φ_f``; the margin ``m`` starts at 1 and loses
  ``(3/T) w^a u^b`` on the rail ``−a·b``: ``m(T) = 1 − ℓ Σ w φ = 1 − t ŷ``.

Backward phase (time ``T_b``; ``h``, ``u`` constant)

* squared loss: ``e^a + h^b → … + w^(−a·b)`` at ``η/T_b``: ``w ← w − η e φ`` exactly. The
  error's and the weights' rails annihilate (``v⁺ + v⁻ → ∅``, always on): no reaction reads a
  rail alone, so the values, which are all this reference tracks for this loss, are exact
  whatever the rails (without annihilation the rails would grow geometrically: each feeds
  the other's production).
* squared hinge: ``m⁺ + m⁻ → ∅`` at ``k`` (the chemical ReLU) while ``m⁺ + u^b → … + w^b``
  at ``η/T_b``: ``Δw^b = (η/T_b) I u^b`` with ``I = ∫₀^{T_b} m⁺ ds``, which has the closed
  form (:func:`hinge_integral`)

      I = max(0, δ) T_b + (1/k) log(1 + m_min (1 − e^{−k|δ|T_b}) / |δ|),

  ``δ = m⁺ − m⁻`` (constant under annihilation) and ``m_min`` the smaller rail at the start.
  The first term is the ideal ``T_b · max(0, 1 − t ŷ)``; the second, of order ``log(k)/k``,
  is what a finite annihilation rate adds (the chemistry's softened hinge).

With the hinge, parameters are never annihilated: their rails are the sums of their positive
and negative updates, which is what makes the forward phase's split of ``m`` over its rails
(and so the hinge's correction term) computable here exactly; they grow with the total
variation of the SGD path (about 15–60 after 100 epochs on the built-in tasks), not
geometrically, because the update reads only the margin's positive rail.
:func:`product_sgd` tracks every rail and returns a
:class:`~sbmlcrn.reference.values.ReferenceRun`; :func:`ideal_gradient` is the gradient
of the ideal loss (no softening), checked against finite differences in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sbmlcrn.reference.values import ReferenceRun

__all__ = [
    "LOSSES",
    "ProductModel",
    "feature_pairs",
    "hinge_integral",
    "ideal_gradient",
    "ideal_loss",
    "product_features",
    "product_predict",
    "product_sgd",
    "readout_loss",
]

#: The losses of the product-unit circuits.
LOSSES = ("squared", "squared-hinge")


def feature_pairs(n_channels: int, degree: int) -> tuple[tuple[int, int], ...]:
    """The channel pairs ``(i, j)``, ``i ≤ j``, of the product units.

    The last channel is the constant. ``degree`` 2 takes every pair (constant, inputs,
    squares, pairwise products); ``degree`` 1 only the pairs with the constant (a linear
    readout of the inputs and the bias).
    """
    b = n_channels - 1
    if degree == 1:
        return tuple((i, b) for i in range(n_channels))
    return tuple((i, j) for i in range(n_channels) for j in range(i, n_channels))


def product_features(x_tilde: np.ndarray, pairs: Sequence[tuple[int, int]]) -> np.ndarray:
    """``φ_f = x̃_i x̃_j`` for every row (``n × F``)."""
    x = np.atleast_2d(np.asarray(x_tilde, dtype=float))
    return np.stack([x[:, i] * x[:, j] for i, j in pairs], axis=1)


def _feature_rails(x: np.ndarray, pairs: Sequence[tuple[int, int]]) -> tuple[np.ndarray, ...]:
    """The rails ``(φ⁺, φ⁻)`` the product reactions make from canonically loaded inputs."""
    xp, xm = np.maximum(x, 0.0), np.maximum(-x, 0.0)
    plus = np.array([xp[i] * xp[j] + xm[i] * xm[j] for i, j in pairs])
    minus = np.array(
        [xp[i] * xm[j] + xm[i] * xp[j] if i != j else 2.0 * xp[i] * xm[i] for i, j in pairs]
    )
    return plus, minus


def product_predict(theta: np.ndarray, x_tilde: np.ndarray, pairs, n_outputs: int) -> np.ndarray:
    """Outputs ``ŷ = W φ`` (``n × K``) for parameters ``θ`` in output-major order."""
    w = np.asarray(theta, dtype=float).reshape(n_outputs, len(pairs))
    return product_features(x_tilde, pairs) @ w.T


def hinge_integral(plus: np.ndarray, minus: np.ndarray, rate: float, duration: float):
    """``∫₀^T m⁺ ds`` while ``m⁺ + m⁻ → ∅`` runs at ``rate`` from the rails ``(m⁺, m⁻)``.

    The closed form of the module docstring, written with ``expm1``/``log1p`` so that it stays
    accurate for ``δ → 0`` (where it tends to ``log(1 + k m T)/k``) and for large ``k|δ|T``.
    """
    plus = np.asarray(plus, dtype=float)
    minus = np.asarray(minus, dtype=float)
    delta = plus - minus
    size = np.abs(delta)
    smaller = np.minimum(plus, minus)
    kt = rate * duration
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(size * kt > 1e-12, -np.expm1(-rate * size * duration) / size, kt)
    return np.maximum(delta, 0.0) * duration + np.log1p(smaller * ratio) / rate


@dataclass(frozen=True)
class ProductModel:
    """The mathematics of one product-unit circuit.

    Attributes
    ----------
    pairs
        The product units' channel pairs (:func:`feature_pairs`).
    n_outputs
        Outputs ``K`` (1 for regression and binary classification).
    loss
        ``squared`` or ``squared-hinge``.
    lr, backward, annihilation
        ``η``, the backward duration ``T_b`` and the margin's annihilation rate ``k``.
    """

    pairs: tuple[tuple[int, int], ...]
    n_outputs: int
    loss: str
    lr: float
    backward: float
    annihilation: float

    def batch_step(
        self, wp: np.ndarray, wm: np.ndarray, x: np.ndarray, targets: np.ndarray, batch: int
    ) -> np.ndarray:
        """The two phases of one mini-batch: every sample's forward phase from the rails at
        the batch's start, then the sum of their updates at the per-sample weight ``1/B``
        (``B`` = ``batch``; a short last batch has fewer rows). Updates ``wp``, ``wm`` in place
        and returns the readouts (rows × K)."""
        readout = np.empty((len(x), self.n_outputs))
        dp, dm = np.zeros_like(wp), np.zeros_like(wm)
        w = wp - wm
        for r in range(len(x)):
            fp, fm = _feature_rails(x[r], self.pairs)
            for k in range(self.n_outputs):
                t = float(targets[r][k])
                if self.loss == "squared":  # values only: the rails annihilate, none is read
                    e = float(w[k] @ (fp - fm)) - t
                    dp[k] -= self.lr * e * (fp - fm)
                    readout[r, k] = e
                    continue
                up, um = (fp, fm) if t > 0 else (fm, fp)  # u = ℓ φ with ℓ = sign(t)
                mp = 1.0 + wp[k] @ um + wm[k] @ up
                mm = wp[k] @ up + wm[k] @ um
                gain = (
                    self.lr
                    / self.backward
                    * hinge_integral(mp, mm, self.annihilation, self.backward)
                )
                dp[k] += gain * up
                dm[k] += gain * um
                readout[r, k] = mp - mm
        if self.loss == "squared":
            w = w + dp / batch
            wp[:], wm[:] = np.maximum(w, 0.0), np.maximum(-w, 0.0)
        else:
            wp += dp / batch
            wm += dm / batch
        return readout


def readout_loss(loss: str, readouts: np.ndarray) -> np.ndarray:
    """The loss of error readouts (last axis: outputs), summed over outputs: ``½ Σ e²`` for
    the squared loss, ``½ Σ max(0, m)²`` of the margins for the squared hinge."""
    r = np.asarray(readouts, dtype=float)
    if loss == "squared-hinge":
        r = np.maximum(r, 0.0)
    return 0.5 * np.sum(r**2, axis=-1)


def product_sgd(
    model: ProductModel,
    x_tilde: np.ndarray,
    targets: np.ndarray,
    theta0: np.ndarray,
    epochs: int,
    batch_size: int = 1,
) -> ReferenceRun:
    """SGD as the chemistry runs it, rail by rail (module docstring), one sample per step or
    ``batch_size`` consecutive samples per step (:meth:`ProductModel.batch_step`).

    ``targets`` is ``n × K`` (class values ±1 for the hinge); ``θ₀`` is output-major
    (``K × F`` flattened) and starts in canonical rails. ``errors`` holds each step's error
    readout (``ŷ − t`` or the margin), ``train_loss`` the mean loss per epoch.
    """
    x = np.asarray(x_tilde, dtype=float)
    t = np.asarray(targets, dtype=float).reshape(len(x), model.n_outputs)
    w0 = np.asarray(theta0, dtype=float).reshape(model.n_outputs, len(model.pairs))
    wp, wm = np.maximum(w0, 0.0), np.maximum(-w0, 0.0)
    per_epoch = [w0.ravel().copy()]
    errors = np.empty((epochs, len(x), model.n_outputs))
    for e in range(epochs):
        for s in range(0, len(x), batch_size):
            rows = slice(s, s + batch_size)
            errors[e, rows] = model.batch_step(wp, wm, x[rows], t[rows], batch_size)
        per_epoch.append((wp - wm).ravel().copy())
    return ReferenceRun(
        theta=per_epoch[-1],
        theta_per_epoch=np.array(per_epoch),
        errors=errors,
        train_loss=np.mean(readout_loss(model.loss, errors), axis=1),
    )


def ideal_loss(theta: np.ndarray, x: np.ndarray, target: np.ndarray, model: ProductModel) -> float:
    """The ideal loss of one sample (hinge without softening), summed over outputs."""
    y = product_predict(theta, x, model.pairs, model.n_outputs)[0]
    t = np.asarray(target, dtype=float)
    if model.loss == "squared":
        return float(0.5 * np.sum((y - t) ** 2))
    return float(0.5 * np.sum(np.maximum(1.0 - t * y, 0.0) ** 2))


def ideal_gradient(
    theta: np.ndarray, x: np.ndarray, target: np.ndarray, model: ProductModel
) -> np.ndarray:
    """``∂L/∂θ`` of :func:`ideal_loss` (output-major, like ``θ``).

    Squared loss: ``(ŷ − t) φ``; squared hinge: ``−t max(0, 1 − t ŷ) φ``. The chemistry's
    step is ``−η`` times this for the squared loss, and tends to it as ``k → ∞`` for the hinge.
    """
    phi = product_features(x, model.pairs)[0]
    y = product_predict(theta, x, model.pairs, model.n_outputs)[0]
    t = np.asarray(target, dtype=float)
    factor = y - t if model.loss == "squared" else -t * np.maximum(1.0 - t * y, 0.0)
    return np.outer(factor, phi).ravel()
