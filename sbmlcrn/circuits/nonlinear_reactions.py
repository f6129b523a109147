"""The reactions of the nonlinear circuits (see :mod:`sbmlcrn.circuits.nonlinear` for the
construction): a builder that expands a polynomial term over the dual rails into mass-action
reactions, and the forward, backward and annihilation reactions built with it.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence

from sbmlcrn.circuits.common import SIGNS, rail_pair
from sbmlcrn.circuits.nonlinear_model import NonlinearConfig, Topology
from sbmlcrn.core.network import Reaction, Role, Species

__all__ = [
    "ReactionBuilder",
    "annihilation_reactions",
    "backward_reactions",
    "core_species",
    "forward_reactions",
]


class ReactionBuilder:
    """Collects reactions and their shared rate parameters (checked for consistency)."""

    def __init__(self) -> None:
        self.reactions: list[Reaction] = []
        self.rates: dict[str, float] = {}

    def rate(self, name: str, value: float) -> str:
        """Register the rate parameter ``name`` = ``value``; a second value is a bug."""
        old = self.rates.setdefault(name, value)
        if not math.isclose(old, value, rel_tol=1e-15, abs_tol=0.0):
            raise AssertionError(f"rate {name} used with {old} and {value}")
        return name

    def term(
        self,
        rid: str,
        target: str,
        factors: Sequence[tuple[str, bool]],
        coefficient: float,
        rate: str,
        gate: str,
        mirror: str | None = None,
    ) -> None:
        """Reactions adding ``coefficient · ∏ factors`` to ``d target/dt``.

        A factor ``(v, True)`` is the signed ``v_p − v_m``, ``(v, False)`` is ``v_p + v_m``
        (``|v|`` while one rail is 0). ``mirror`` gets the same signed change as ``target``.
        """
        monomials: Counter[tuple[str, ...]] = Counter()
        for choice in itertools.product(SIGNS, repeat=len(factors)):
            sign = 1
            for (_, signed), s in zip(factors, choice, strict=True):
                if signed and s == "m":
                    sign = -sign
            mono = tuple(sorted(f"{v}_{s}" for (v, _), s in zip(factors, choice, strict=True)))
            monomials[mono] += sign
        for mono in sorted(monomials):
            kappa = monomials[mono]
            if kappa == 0:
                continue
            total = coefficient * kappa
            up = total > 0
            reactants = list(mono)
            products = list(mono)
            consumed = f"{target}_{'m' if up else 'p'}"
            if consumed in reactants:
                products.remove(consumed)
            else:
                products.append(f"{target}_{'p' if up else 'm'}")
            if mirror is not None:
                products.append(f"{mirror}_{'p' if up else 'm'}")
            name = rate if abs(kappa) == 1 else f"{rate}{abs(kappa)}"
            self.rate(name, abs(total))
            tag = "".join(s[-1] for s in mono)
            self.reactions.append(
                Reaction(f"{rid}_{tag}", tuple(reactants), tuple(products), name, (gate,))
            )


def forward_reactions(
    b: ReactionBuilder,
    top: Topology,
    config: NonlinearConfig,
    outs: Sequence[str],
    gate: str = "g_fwd",
) -> None:
    """Forward reactions; output ``k`` accumulates into the species pair ``outs[k]`` (the
    error species in training, ``yhat`` in inference), every unit change mirrored there."""
    T = config.horizon
    c = config.coefficient

    def target(k: int) -> str:
        return outs[k]

    for i, u in enumerate(top.units):
        src = top.sources[i]
        if src >= 0:  # the output starts at z(0) = x̃_src
            ch = top.channels[src]
            b.term(f"fx{u}", target(top.outputs[i]), [(f"x{ch}", True)], 1.0 / T, "k_fx", gate)
    for (i, j), cid in zip(top.connections, top.connection_ids, strict=True):
        b.term(
            f"fw{cid}",
            f"z{top.units[i]}",
            [(f"p{cid}", True), (f"x{top.channels[j]}", True)],
            1.0,
            "k_fw",
            gate,
            mirror=target(top.outputs[i]),
        )
    for i, u in enumerate(top.units):
        b.term(
            f"fd{u}",
            f"z{u}",
            _phi_factors(f"z{u}", config),
            -c,
            "k_fd",
            gate,
            mirror=target(top.outputs[i]),
        )


def _phi_factors(z: str, config: NonlinearConfig) -> list[tuple[str, bool]]:
    """Factors of ``φ(z)/c``: ``z·z``, ``z·|z|`` (per-rail) or ``z·z·z``."""
    if config.square == "per-rail":
        return [(z, True), (z, False)]
    return [(z, True)] * config.power


def _dphi_factors(z: str, w: str, config: NonlinearConfig) -> tuple[list[tuple[str, bool]], float]:
    """Factors and coefficient of ``φ'(z)·w`` (``2c z w``, ``2c |z| w`` or ``3c z² w``)."""
    c = config.coefficient
    if config.square == "per-rail":
        return [(z, False), (w, True)], 2.0 * c
    return [(z, True)] * (config.power - 1) + [(w, True)], config.power * c


def backward_reactions(b: ReactionBuilder, top: Topology, config: NonlinearConfig) -> None:
    """Backward reactions: the first-order update, or the adjoint (copy ``q`` of θ,
    reconstruction of ``z``, transients ``w`` and the update by ``e · w``). ``exact`` runs
    the adjoint over ``[0, T]`` in the phase time ``T_b`` (every rate times ``T/T_b``);
    ``linapprox`` runs it unscaled for ``T_b`` and reverses ``z`` with the linear part only."""
    assert config.lr is not None and config.backward is not None
    T, Tb = config.horizon, config.backward
    linapprox = config.gradient == "linapprox"
    r = 1.0 if linapprox else T / Tb
    gate = "g_bwd"
    for (i, j), cid in zip(top.connections, top.connection_ids, strict=True):
        err = top.output_id(top.outputs[i])
        if config.gradient == "first-order":
            b.term(
                f"bw{cid}",
                f"p{cid}",
                [(err, True), (f"x{top.channels[j]}", True)],
                -config.lr * T / Tb,
                "k_bw",
                gate,
            )
            continue
        b.term(f"cp{cid}", f"q{cid}", [(f"p{cid}", True)], 1.0 / T, "k_cp", "g_fwd")
        b.term(
            f"rc{cid}",
            f"z{top.units[i]}",
            [(f"q{cid}", True), (f"x{top.channels[j]}", True)],
            -r,
            "k_rc",
            gate,
        )
        factors, coeff = _dphi_factors(f"z{top.units[i]}", f"w{cid}", config)
        b.term(f"aw{cid}", f"w{cid}", factors, -coeff * r, "k_aw", gate)
        b.term(
            f"up{cid}", f"p{cid}", [(err, True), (f"w{cid}", True)], -config.lr * r, "k_up", gate
        )
    if config.gradient == "exact":  # linapprox drops the reversal of φ (the authors' choice)
        for u in top.units:
            b.term(
                f"rd{u}",
                f"z{u}",
                _phi_factors(f"z{u}", config),
                config.coefficient * r,
                "k_rd",
                gate,
            )


def annihilation_reactions(b: ReactionBuilder, bases: Sequence[str], rate: float) -> None:
    """``v_p + v_m → ∅`` at ``k_ann`` for every pair ``v`` of ``bases``."""
    b.rate("k_ann", rate)
    for v in bases:
        b.reactions.append(Reaction(f"ann_{v}", (f"{v}_p", f"{v}_m"), (), "k_ann"))


def core_species(
    top: Topology, augmentation: float | None, theta: Sequence[float]
) -> list[Species]:
    """The input pairs ``x``, the unit pairs ``z`` and the parameter pairs ``p`` (holding
    ``θ``) shared by the training and the inference network. Inputs are 0 until loaded, except
    the constant ``a`` of channel ``b``; a unit whose source is ``b`` starts at ``a``."""
    aug = float(augmentation) if augmentation is not None else 0.0
    species: list[Species] = []
    for ch in top.channels:
        species += rail_pair(f"x{ch}", aug if ch == "b" else 0.0, Role.INPUT)
    for i, u in enumerate(top.units):
        src = top.sources[i]
        start = aug if src >= 0 and top.channels[src] == "b" else 0.0
        species += rail_pair(f"z{u}", start, Role.HIDDEN)
    for cid, t in zip(top.connection_ids, theta, strict=True):
        species += rail_pair(f"p{cid}", t, Role.PARAMETER)
    return species
