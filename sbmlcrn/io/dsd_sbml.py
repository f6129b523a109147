"""A DSD implementation as a simulatable model in physical units (``dsd.xml``, issue 19).

peppercorn's condensed reactions (:class:`~sbmlcrn.io.dsd_verify.Enumerated`) become a
mass-action :class:`~sbmlcrn.core.network.Network` in nM and seconds: every resting macrostate
is a species (fuels and signals at the design's concentrations, inputs at 0 until a sample is
loaded), every condensed reaction keeps peppercorn's rate constant (nM⁻¹ s⁻¹ or s⁻¹: the PIL
gives concentrations in nM), and each formal species ``X`` gets an observable ``formal_X``, the
sum of the implementation species that are ``X`` (its free signals and the gate intermediates
holding it, :func:`formal_forms`) divided by the formal unit, so a COPASI or Tellurium user
reads the formal concentrations directly.

Leak (optional): every module's gate ``L_r`` and translator ``T_r`` react without any input,
``L_r + T_r -> (the products of r)``, at ``leak`` M⁻¹ s⁻¹: the translator releases all of its
strands, catalysts included. This is the simplest documented leak model (spurious output of a
gate pair at a bimolecular rate); its value is a parameter, and the effect is measured in
``BENCHMARKS.md`` ("DNA strand displacement").
"""

from __future__ import annotations

from typing import Any

from sbmlcrn.core.expr import Const, Expr, Op, Sym
from sbmlcrn.core.network import Network, Observable, Parameter, Reaction, Role, Species
from sbmlcrn.errors import InputError
from sbmlcrn.io.dsd import DsdDesign
from sbmlcrn.io.sbml import to_sbml

__all__ = [
    "check_leak",
    "formal_forms",
    "implementation_network",
    "implementation_sbml",
    "rate_model",
    "time_unit_seconds",
]

#: M⁻¹ s⁻¹ → nM⁻¹ s⁻¹
PER_MOLAR = 1e-9


def rate_model(enumerated: Any) -> dict[str, float]:
    """The rate constants the time scale needs, read from peppercorn's condensed reactions.

    Returns
    -------
    dict[str, float]
        ``k2`` (nM⁻¹ s⁻¹): the irreversible toehold-mediated displacement of a gate
        intermediate by a signal (the largest bimolecular constant between a signal and a new
        complex; without bimolecular gates, of a signal opening a unimolecular gate ``L_r``);
        ``K``: the equilibrium constant of the reversible first step
        ``A + L_r <=> I_r + B_r`` (forward over backward constant; 1 with equal toeholds).
    """
    fuels = enumerated.fuels
    signals = enumerated.signals
    k2 = [
        k
        for r, _, k in enumerated.reactions
        if len(r) == 2 and any(s in signals for s in r) and not any(s in fuels for s in r)
    ]

    def exchange(first: str, second: str) -> list[float]:
        return [
            k
            for r, p, k in enumerated.reactions
            if any(s.startswith(first) and s in fuels for s in r)
            and any(s.startswith(second) and s in fuels for s in p)
        ]

    forward, backward = exchange("L_", "B_"), exchange("B_", "L_")
    if not k2:  # unimolecular gates only: a signal opens a gate L (the same domain lengths)
        k2 = [
            k
            for r, p, k in enumerated.reactions
            if len(r) == 2
            and any(s in signals for s in r)
            and any(s.startswith("L_") and s in fuels for s in r)
            and not any(s in fuels for s in p)
        ]
    if not k2:
        raise InputError("The enumeration has no signal displacing a gate intermediate.")
    ratio = (sum(forward) / len(forward)) / (sum(backward) / len(backward)) if backward else 1.0
    return {"k2": max(k2), "K": ratio}


def time_unit_seconds(design: DsdDesign, k2: float) -> float:
    """Seconds per formal time unit: ``1/(k2·c·unit_nM)`` (:func:`~sbmlcrn.io.dsd.translate`;
    ``k2`` from :func:`rate_model`)."""
    return 1.0 / (k2 * design.rate_scale * design.unit_nM)


def check_leak(leak: object, where: str) -> float:
    """``leak`` as a float, or :class:`InputError` naming ``where`` if it is not a number >= 0."""
    if not (isinstance(leak, int | float) and leak >= 0):
        raise InputError(
            f"The leak parameter of {where} must be a number >= 0. Got {leak!r} instead."
        )
    return float(leak)


def formal_forms(enumerated: Any) -> dict[str, list[str]]:
    """Each formal species' forms: its free signals and the gate intermediates holding one.

    A first reactant ``A`` bound in ``I_r`` by ``A + L_r <=> I_r + B_r`` is still ``A`` (the
    formal species is the total of :func:`~sbmlcrn.io.dsd.gate_ratios`): a constant such as
    ``one`` sits up to ``s_A/(1+s_A)`` in its gates.

    Returns
    -------
    dict[str, list[str]]
        Formal species → implementation species (sorted), for every formal species with a
        signal in the enumeration.
    """
    signals, fuels = enumerated.signals, enumerated.fuels
    held = dict(signals)
    for r, p, _ in enumerated.reactions:
        signal = [s for s in r if s in signals]
        gate = [s for s in r if s in fuels and s.startswith("L_")]
        buffer = [s for s in p if s in fuels and s.startswith("B_")]
        rest = [s for s in p if s not in fuels]
        if len(r) == 2 and signal and gate and buffer and len(p) == 2 and len(rest) == 1:
            held[rest[0]] = signals[signal[0]]
    out: dict[str, list[str]] = {}
    for s in sorted(held):
        out.setdefault(held[s], []).append(s)
    return out


def _observable(fid: str, parts: list[str], unit_nM: float) -> Observable:
    total: Expr = Sym(parts[0])
    for p in parts[1:]:
        total = Op("+", (total, Sym(p)))
    expr = Op("/", (total, Const(unit_nM, "mole_per_litre")))
    return Observable(
        f"formal_{fid}", expr, name=f"{fid} (formal units)", role=Role.OUTPUT, units="dimensionless"
    )


def implementation_network(
    design: DsdDesign,
    enumerated: Any,
    *,
    name: str,
    leak: float = 0.0,
) -> Network:
    """The condensed implementation CRN as a network in nM and seconds.

    Parameters
    ----------
    design
        The design (:func:`~sbmlcrn.io.dsd.translate`).
    enumerated
        Its enumeration (:func:`~sbmlcrn.io.dsd_verify.enumerate_design`).
    name
        The model id.
    leak
        The leak rate constant in M⁻¹ s⁻¹ (0: no leak reactions).

    Returns
    -------
    Network
        Species sorted by name, reactions in the enumeration's order, then the leak.
    """
    leak = check_leak(leak, "implementation_network")
    conc = {c.name: c.conc_nM or 0.0 for c in design.complexes}
    species = tuple(
        Species(s, conc.get(s, 0.0), Role.INPUT if s in enumerated.signals else Role.TRANSIENT)
        for s in sorted(enumerated.keys)
    )
    params = [Parameter(f"k{n}", k) for n, (_, _, k) in enumerate(enumerated.reactions, 1)]
    reactions = [
        Reaction(f"r{n}", r, p, f"k{n}") for n, (r, p, _) in enumerate(enumerated.reactions, 1)
    ]
    if leak > 0:
        params.append(Parameter("k_leak", leak * PER_MOLAR))
        present = set(enumerated.keys)
        for r in design.reactions:
            pair = (f"L_{r.id}", f"T_{r.id}")
            if set(pair) <= present:
                out = tuple(f"S_{y}" for y in r.products if f"S_{y}" in present)
                reactions.append(Reaction(f"leak_{r.id}", pair, out, "k_leak"))
    observables = tuple(
        _observable(fid, parts, design.unit_nM)
        for fid, parts in sorted(formal_forms(enumerated).items())
    )
    notes = (
        f"DNA strand displacement implementation of {name} (peppercorn condensed reactions). "
        f"Concentrations in nM, time in seconds; one formal concentration unit is "
        f"{design.unit_nM:g} nM; fuels at {design.fuel_nM:g} nM; leak {leak:g} /M/s."
    )
    return Network(
        id=name,
        species=species,
        parameters=tuple(params),
        reactions=tuple(reactions),
        notes=notes,
        observables=observables,
    )


def implementation_sbml(network: Network) -> str:
    """``dsd.xml``: the implementation network as SBML L3V2 in nmol/l and seconds."""
    return to_sbml(network, nanomolar=True)
