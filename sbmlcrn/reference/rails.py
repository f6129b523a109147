"""The rail-level reference of the per-rail square: the ODE the authors' chemistry really runs.

The authors square each rail separately (``2Z⁺ → Z⁺``, ``2Z⁻ → Z⁻``), so
``d(z⁺ − z⁻)/dt = u − c·((z⁺)² − (z⁻)²) = u − c·z·(z⁺ + z⁻)``: the value ``z`` depends on the
rail *sum*, which annihilation (``Z⁺ + Z⁻ → ∅`` at ``k``) keeps close to ``|z|`` but not equal
to it. The sum in turn depends on how the drive ``θ·x̃`` splits over the rails, so on the rails
of the parameters, which the updates and the annihilation leave behind from sample to sample.
No value-level ODE reproduces that, so this module integrates the rails themselves: every
dual-rail species of the nonlinear circuits (``z``, the output errors ``e``, the parameters
``p``, the adjoint copy ``q`` of θ and the transients ``w``), phase by phase, with the loads of
every sample as the circuit's events set them.

It is written from the reaction rules documented in :mod:`sbmlcrn.circuits.nonlinear`
(catalytic production of the opposite rail, consumption of a rail that is a reactant, mirrors
into the error, annihilation always on), not from a compiled network, so agreement with the
simulated SBML model checks the compiler and the writers. Per phase, with ``x⁺``/``x⁻`` the
clean rails of the loaded input and the drive of connection ``(i, j)`` split as
``d⁺ = p⁺x⁺ + p⁻x⁻``, ``d⁻ = p⁺x⁻ + p⁻x⁺``:

Forward (``t ∈ [0, T]``)::

    dz⁺_i = Σ d⁺ − c (z⁺_i)² − k z⁺_i z⁻_i        dz⁻_i = Σ d⁻ − c (z⁻_i)² − k z⁺_i z⁻_i
    de⁺_k = Σ_{i→k} (d⁺ + c (z⁻_i)² + x⁺_{s(i)}/T) − k e⁺e⁻     (e⁻ alike, rails swapped)
    dp± = −k p⁺p⁻       dq± = p±/T (adjoint gradients)       dw± = −k w⁺w⁻

Backward (``T_b``; ``r = T/T_b`` for ``exact`` and ``first-order``, 1 for ``linapprox``)::

    first-order:  dp⁺ = (ηT/T_b)(e⁺x⁻ + e⁻x⁺) − k p⁺p⁻,   dp⁻ = (ηT/T_b)(e⁺x⁺ + e⁻x⁻) − k p⁺p⁻
                  dz± = −k z⁺z⁻
    adjoint:      dz⁺_i = r Σ (q⁺x⁻ + q⁻x⁺) [+ c r (z⁺_i)², exact] − k z⁺_i z⁻_i   (z⁻ alike)
                  dw±_ij = −2 c r (z⁺_i + z⁻_i) w±_ij − k w⁺w⁻
                  dp⁺ = η r (e⁺w⁻ + e⁻w⁺) − k p⁺p⁻,   dp⁻ = η r (e⁺w⁺ + e⁻w⁻) − k p⁺p⁻
    always:       de± = −k e⁺e⁻

Each sample's load sets ``z`` to its input (or 0), ``e`` to ``−t``, ``q`` to 0 and ``w_ij`` to
``x̃_j``, all on one rail; the parameter rails carry over.

Every right-hand side above is a sum of terms ``a·f·y_u·y_v`` (a constant ``a``, a factor
``f`` that is 1 or a rail of the loaded input, and ``y_u``, ``y_v`` state variables or the
constant 1), so each phase is stored once per model as a table of such terms
(:class:`_Terms`): the right-hand side is one gather and one ``bincount``, and so is its
Jacobian, which LSODA gets so that its BDF steps through the stiff annihilation need no finite
differences.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from sbmlcrn.reference.values import NonlinearModel, ReferenceRun, integrated_end

__all__ = ["RailModel", "rail_sgd"]

# LSODA's tolerances: at rtol 1e-11 the learned θ stays within 1e-10 relative of rtol 1e-12
# (the chemistry is compared to this reference at 1e-6); rtol 1e-10 moved it by 1e-9.
_RTOL = 1e-11
_ATOL = 1e-13

#: The blocks of the state vector, in order (each ``p``-sized block has one entry per parameter).
_BLOCKS = ("z+", "z-", "e+", "e-", "p+", "p-", "q+", "q-", "w+", "w-")


def _rails(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(v, 0.0), np.maximum(-v, 0.0)


class _Terms:
    """The right-hand side of one phase as a table of terms ``dy[row] += a · f · y[u] · y[v]``.

    Indices into the state run from 0 to ``n − 1``; index ``n`` is the constant 1. The factor
    ``f`` is entry ``fac`` of the sample's factor vector ``(1, x⁺…, x⁻…)``.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self._cols: list[list[np.ndarray]] = [[], [], [], [], []]

    def add(
        self, row: ArrayLike, coef: float, u: ArrayLike, v: ArrayLike, fac: ArrayLike = 0
    ) -> None:
        """Add the terms ``dy[row] += coef · f[fac] · y[u] · y[v]`` (arrays broadcast)."""
        parts = np.broadcast_arrays(row, coef, u, v, fac)
        for col, part in zip(self._cols, parts, strict=True):
            col.append(np.ravel(part))

    def freeze(self) -> None:
        """Turn the table into arrays."""
        row, coef, u, v, fac = (np.concatenate(c) if c else np.zeros(0) for c in self._cols)
        self.row, self.u, self.v, self.fac = (a.astype(np.intp) for a in (row, u, v, fac))
        self.coef = coef.astype(float)

    def functions(self, factors: np.ndarray) -> tuple[Callable, Callable]:
        """The right-hand side ``f(y, t)`` and its Jacobian ``J(y, t)`` for one sample.

        Terms whose factor is 0 for this sample (the empty rail of an input) are left out.
        """
        n = self.n
        coef = self.coef * factors[self.fac]
        keep = coef != 0.0
        row, u, v, coef = self.row[keep], self.u[keep], self.v[keep], coef[keep]
        # ∂(y_u y_v)/∂y_u = y_v and ∂/∂y_v = y_u, for state (not constant) indices only
        du, dv = u < n, v < n
        jflat = np.concatenate([row[du] * n + u[du], row[dv] * n + v[dv]])
        jcoef = np.concatenate([coef[du], coef[dv]])
        jother = np.concatenate([v[du], u[dv]])
        ye = np.ones(n + 1)  # the state and the constant 1

        def rhs(y: np.ndarray, _t: float) -> np.ndarray:
            ye[:n] = y
            return np.bincount(row, coef * ye[u] * ye[v], n)

        def jac(y: np.ndarray, _t: float) -> np.ndarray:
            ye[:n] = y
            return np.bincount(jflat, jcoef * ye[jother], n * n).reshape(n, n)

        return rhs, jac


class _Layout:
    """Index arrays of the state blocks and of the topology (built once per model)."""

    def __init__(self, model: NonlinearModel) -> None:
        m, k = model.n_units, model.n_outputs
        conns = np.asarray(model.connections, dtype=np.intp).reshape(-1, 2)
        p = len(conns)
        sizes = dict(zip(_BLOCKS, (m, m, k, k, p, p, p, p, p, p), strict=True))
        start = np.cumsum([0, *sizes.values()])
        self.block = {b: np.arange(s, s + sizes[b]) for b, s in zip(_BLOCKS, start, strict=False)}
        self.n = int(start[-1])
        self.one = self.n  # the index of the constant 1
        self.units, self.inputs = conns[:, 0], conns[:, 1]
        self.outs = np.asarray(model.outputs, dtype=np.intp)
        self.sources = np.asarray(model.sources, dtype=np.intp)
        self.d = int(max(self.inputs.max(initial=-1), self.sources.max(initial=-1)) + 1)

    def xp(self, j: np.ndarray) -> np.ndarray:
        """Factor index of ``x⁺_j``."""
        return 1 + j

    def xm(self, j: np.ndarray) -> np.ndarray:
        """Factor index of ``x⁻_j``."""
        return 1 + self.d + j


@dataclass(frozen=True)
class RailModel:
    """A nonlinear circuit with the per-rail square, at the level of its rails.

    Attributes
    ----------
    model
        The value-level model (topology, ``c``, ``T``, gradient, ``T_b``); ``model.odd``
        must be set (the per-rail square).
    annihilation
        ``k`` of ``v⁺ + v⁻ → ∅``.
    backward
        The backward phase's duration ``T_b``.
    lr
        ``η``.
    """

    model: NonlinearModel
    annihilation: float
    backward: float
    lr: float

    def __post_init__(self) -> None:
        if not (self.model.odd and self.model.power == 2):
            raise ValueError("The model parameter of RailModel must use the per-rail square.")

    @cached_property
    def _layout(self) -> _Layout:
        return _Layout(self.model)

    def _split(self, y: np.ndarray) -> dict[str, np.ndarray]:
        return {b: y[idx] for b, idx in self._layout.block.items()}

    @cached_property
    def _forward_terms(self) -> _Terms:
        lay, md = self._layout, self.model
        c, kk, T = md.coefficient, self.annihilation, md.horizon
        b, one, units, inputs = lay.block, lay.one, lay.units, lay.inputs
        terms = _Terms(lay.n)
        # the drive d± of every connection, into its unit and mirrored into its output's error
        for sign, same, other in (("+", lay.xp, lay.xm), ("-", lay.xm, lay.xp)):
            for row in (b["z" + sign][units], b["e" + sign][lay.outs[units]]):
                terms.add(row, 1.0, b["p+"], one, same(inputs))  # p⁺x±
                terms.add(row, 1.0, b["p-"], one, other(inputs))  # p⁻x∓
        zp, zm = b["z+"], b["z-"]
        ep, em = b["e+"][lay.outs], b["e-"][lay.outs]  # the error of every unit
        terms.add(zp, -c, zp, zp)
        terms.add(zm, -c, zm, zm)
        terms.add(ep, c, zm, zm)  # the square's mirror, on the opposite rail
        terms.add(em, c, zp, zp)
        src = lay.sources >= 0  # units that start at an input: x_{s(i)}/T
        terms.add(ep[src], 1.0 / T, one, one, lay.xp(lay.sources[src]))
        terms.add(em[src], 1.0 / T, one, one, lay.xm(lay.sources[src]))
        if md.mode != "first-order":
            terms.add(b["q+"], 1.0 / T, b["p+"], one)
            terms.add(b["q-"], 1.0 / T, b["p-"], one)
        for pos, neg in (("z+", "z-"), ("e+", "e-"), ("p+", "p-"), ("w+", "w-")):
            for row in (b[pos], b[neg]):
                terms.add(row, -kk, b[pos], b[neg])
        terms.freeze()
        return terms

    @cached_property
    def _backward_terms(self) -> _Terms:
        lay, md = self._layout, self.model
        c, kk, T, Tb, eta = md.coefficient, self.annihilation, md.horizon, self.backward, self.lr
        b, one, units, inputs = lay.block, lay.one, lay.units, lay.inputs
        pp, pm = b["p+"], b["p-"]
        ep, em = b["e+"][lay.outs[units]], b["e-"][lay.outs[units]]  # the error of each connection
        terms = _Terms(lay.n)
        if md.mode == "first-order":
            rate = eta * T / Tb
            terms.add(pp, rate, ep, one, lay.xm(inputs))
            terms.add(pp, rate, em, one, lay.xp(inputs))
            terms.add(pm, rate, ep, one, lay.xp(inputs))
            terms.add(pm, rate, em, one, lay.xm(inputs))
            blocks = (("z+", "z-"), ("e+", "e-"), ("p+", "p-"))
        else:
            r = 1.0 if md.mode == "linapprox" else T / Tb
            zp, zm, wp, wm = b["z+"][units], b["z-"][units], b["w+"], b["w-"]
            terms.add(zp, r, b["q+"], one, lay.xm(inputs))
            terms.add(zp, r, b["q-"], one, lay.xp(inputs))
            terms.add(zm, r, b["q+"], one, lay.xp(inputs))
            terms.add(zm, r, b["q-"], one, lay.xm(inputs))
            if md.mode == "exact":
                terms.add(b["z+"], c * r, b["z+"], b["z+"])
                terms.add(b["z-"], c * r, b["z-"], b["z-"])
            for w in (wp, wm):
                terms.add(w, -2.0 * c * r, zp, w)
                terms.add(w, -2.0 * c * r, zm, w)
            terms.add(pp, eta * r, ep, wm)
            terms.add(pp, eta * r, em, wp)
            terms.add(pm, eta * r, ep, wp)
            terms.add(pm, eta * r, em, wm)
            blocks = (("z+", "z-"), ("e+", "e-"), ("p+", "p-"), ("w+", "w-"))
        for pos, neg in blocks:
            for row in (b[pos], b[neg]):
                terms.add(row, -kk, b[pos], b[neg])
        terms.freeze()
        return terms

    def _system(self, phase: str, x: np.ndarray) -> tuple[Callable, Callable]:
        """The right-hand side and Jacobian of ``phase`` (forward, backward) for input ``x``."""
        terms = self._forward_terms if phase == "forward" else self._backward_terms
        xp, xm = _rails(np.asarray(x, dtype=float)[: self._layout.d])
        return terms.functions(np.concatenate([[1.0], xp, xm]))

    # phases ---------------------------------------------------------------------------------
    def load(self, pp: np.ndarray, pm: np.ndarray, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        """The state a sample's load event sets (the parameter rails carry over)."""
        b = self._layout.block
        y = np.zeros(self._layout.n)
        y[b["z+"]], y[b["z-"]] = _rails(self.model.initial(x))
        y[b["e+"]], y[b["e-"]] = _rails(-np.asarray(target, dtype=float))
        y[b["p+"]], y[b["p-"]] = pp, pm
        y[b["w+"]], y[b["w-"]] = _rails(np.asarray(x, dtype=float)[self._layout.inputs])
        return y

    def predict(self, theta: np.ndarray, x_tilde: np.ndarray) -> np.ndarray:
        """Outputs ``ŷ`` (n × K) of the forward phase alone, parameters on clean rails (as
        the inference network holds them); NaN where the ODE fails."""
        pp, pm = _rails(np.asarray(theta, dtype=float))
        k = self.model.n_outputs
        rows = []
        for x in np.atleast_2d(np.asarray(x_tilde, dtype=float)):
            end = _integrate(
                *self._system("forward", x), self.load(pp, pm, x, np.zeros(k)), self.model.horizon
            )
            if end is None:
                rows.append(np.full(k, np.nan))
                continue
            parts = self._split(end)
            rows.append(parts["e+"] - parts["e-"])
        return np.array(rows)

    def step(
        self, pp: np.ndarray, pm: np.ndarray, x: np.ndarray, target: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """One training cycle: ``(p⁺, p⁻, ŷ − t)`` after it, or None if the ODE fails."""
        x = np.asarray(x, dtype=float)
        y0 = self.load(pp, pm, x, target)
        mid = _integrate(*self._system("forward", x), y0, self.model.horizon)
        if mid is None:
            return None
        parts = self._split(mid)
        err = parts["e+"] - parts["e-"]
        end = _integrate(*self._system("backward", x), mid, self.backward)
        if end is None:
            return None
        parts = self._split(end)
        return parts["p+"], parts["p-"], err


def _integrate(rhs: Callable, jac: Callable, y0: np.ndarray, span: float) -> np.ndarray | None:
    from scipy.integrate import ODEintWarning, odeint

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ODEintWarning)
        out, info = odeint(
            rhs,
            y0,
            [0.0, span],
            Dfun=jac,
            rtol=_RTOL,
            atol=_ATOL,
            mxstep=200_000,
            full_output=True,
        )
    return integrated_end(out, info)


def rail_sgd(
    rails: RailModel,
    x_tilde: np.ndarray,
    targets: np.ndarray,
    theta0: np.ndarray,
    *,
    epochs: int,
) -> ReferenceRun:
    """Per-sample SGD as the per-rail chemistry runs it (see the module docstring).

    Same result layout as :func:`sbmlcrn.reference.nonlinear_sgd`; ``θ = p⁺ − p⁻``.
    """
    x = np.asarray(x_tilde, dtype=float)
    t = np.asarray(targets, dtype=float).reshape(x.shape[0], -1)
    pp, pm = _rails(np.array(theta0, dtype=float))
    snapshots = [pp - pm]
    errors = np.full((epochs, x.shape[0], t.shape[1]), np.nan)
    failed = False
    for epoch in range(epochs):
        for i in range(x.shape[0]):
            if failed:
                break
            out = rails.step(pp, pm, x[i], t[i])
            if out is None:
                failed = True
                pp = pm = np.full(len(pp), np.nan)
                break
            pp, pm, errors[epoch, i] = out
        snapshots.append(pp - pm)
    return ReferenceRun(
        theta=pp - pm,
        theta_per_epoch=np.array(snapshots),
        errors=errors,
        train_loss=0.5 * np.mean(np.sum(errors**2, axis=2), axis=1),
    )
