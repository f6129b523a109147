"""DNA strand displacement (DSD): a formal CRN translated into a domain-level design (issue 19).

A mass-action :class:`~sbmlcrn.core.network.Network` with uni- and bimolecular reactions is
written as a *formal CRN* (:func:`formal_crn`) and translated into a domain-level DNA design in
PIL (:func:`translate`, :func:`design_pil`). :mod:`sbmlcrn.io.dsd_verify` enumerates the design
with peppercorn into the *implementation CRN* and checks it against the formal CRN by CRN
bisimulation with crnverifier; its :func:`~sbmlcrn.io.dsd_verify.build_dsd` does all of it.
Only :mod:`sbmlcrn.io.dsd_verify` imports the tools (inside its functions).

The translation scheme
----------------------
D. Soloveichik, G. Seelig, E. Winfree, "DNA as a universal substrate for chemical kinetics",
PNAS 107(12):5393-5398, 2010 (Fig. 2 unimolecular, Fig. 3 bimolecular reactions).

- A formal species ``X`` is a single signal strand ``h tX bX cX``: a history domain ``h``
  (which gate released it; it takes part in no binding), a toehold ``tX``, a long branch-migration
  domain ``bX`` and a second toehold ``cX``. Every strand with the last three domains unpaired
  is ``X`` whatever its history.
- ``X1 -> Y1 + … + Ym`` uses a gate ``L`` (bottom ``cX1* bX1* tX1*`` holding the top strand
  ``bX1 cX1 h1 tY1 … hm tYm``) and a translator ``T`` (bottom ``tYm* hm* … tY1* h1* cX1*``
  holding the product strands ``hk tYk bYk cYk``): ``X1`` opens ``L`` at ``tX1*`` and releases the
  top strand, which opens ``T`` at ``cX1*`` and releases the products.
- ``X1 + X2 -> …`` uses the buffered gate ``L`` (strands ``bX1 cX1 tX2`` and ``bX2 cX2 h1 tY1 …``
  on the bottom ``cX2* bX2* tX2* cX1* bX1* tX1*``) and a buffer strand ``B = bX1 cX1 tX2`` in
  excess: ``X1 + L <=> H + B`` is reversible, ``H + X2`` releases the top strand, which opens
  ``T`` as above.
- Catalysts appear on both sides of a formal reaction and are released afresh by ``T`` (with
  the gate's history domain).

Decisions: every toehold has one length (:data:`TOEHOLD`) and every long domain another
(:data:`LONG`), so the formal rate constants are set only through concentrations: gates ``L``
and translators ``T`` are fuels at ``excess`` times the largest formal concentration, and each
bimolecular gate's buffer strand ``B`` is at ``[L]/ρ_r`` with the ratios of
:func:`gate_ratios`, which also compensate for the reactant the reversible first step holds
(the paper's buffer modules equalise that hold with extra fuels instead). Then every reaction
runs at ``k2·c·k_r`` in the totals of its reactants, so one formal time unit is
``1/(k2·c·unit_nM)`` seconds (``k2``: the toehold-mediated displacement rate constant of
peppercorn's model). Unimolecular gates are at ``k_r·c·unit_nM·(1+s_X)`` nM, not in excess
(the inference networks sbmlcrn exports have none). Reactions without reactants are refused.

"""

from __future__ import annotations

import importlib.util
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sbmlcrn.core.network import Network
from sbmlcrn.errors import InputError

__all__ = [
    "LONG",
    "SCHEME",
    "TOEHOLD",
    "DsdComplex",
    "DsdDesign",
    "FormalReaction",
    "complement",
    "design_pil",
    "formal_crn",
    "formal_reactions",
    "gate_ratios",
    "held_by_gates",
    "missing_tools",
    "number_text",
    "require_tools",
    "translate",
]

SCHEME = "soloveichik2010"
CITATION = (
    "D. Soloveichik, G. Seelig, E. Winfree, DNA as a universal substrate for chemical "
    "kinetics, PNAS 107(12):5393-5398 (2010)"
)
TOEHOLD = 7
LONG = 15
TOOLS = ("peppercornenumerator", "dsdobjects", "crnverifier")
INSTALL_HINT = "pip install 'sbmlcrn[dsd]'"
_CRN_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def missing_tools() -> list[str]:
    """The DSD tools (peppercorn, dsdobjects, crnverifier) that cannot be imported."""
    return [name for name in TOOLS if importlib.util.find_spec(name) is None]


def require_tools(where: str) -> None:
    """Raise :class:`InputError` naming the extra to install if a DSD tool is missing."""
    missing = missing_tools()
    if missing:
        raise InputError(
            f"{where} needs the DSD tools ({', '.join(missing)} missing): {INSTALL_HINT}."
        )


# --------------------------------------------------------------------------- formal CRN


@dataclass(frozen=True)
class FormalReaction:
    """One formal reaction: sorted reactants and products, one rate constant (gates folded in)."""

    id: str
    reactants: tuple[str, ...]
    products: tuple[str, ...]
    rate: float

    def text(self, *, rate: bool = True) -> str:
        """``A + B -> A + B + C [k = 1.0]``."""
        line = f"{' + '.join(self.reactants)} -> {' + '.join(self.products)}".strip()
        return f"{line} [k = {number_text(self.rate)}]" if rate else line


def number_text(value: float) -> str:
    """A number as the CRN parser reads it: integral values without a decimal point."""
    return str(int(value)) if value == int(value) else repr(value)


def formal_reactions(network: Network) -> list[FormalReaction]:
    """The reactions of ``network`` as formal reactions, in the network's order.

    Each reaction's rate is its rate constant times its gates (constant parameters); reactions
    whose rate is 0 never fire and are left out.

    Raises
    ------
    InputError
        If the network has events, a gate that events change, a reaction of more than two
        reactant molecules or without reactants, or a species id the CRN text cannot carry.
    """
    if network.events:
        raise InputError(
            f"The network parameter of formal_reactions must have no events (events are not "
            f"compiled to DNA). Got {len(network.events)} events in {network.id!r} instead."
        )
    out = []
    for r in network.reactions:
        value = network.parameter(r.rate).value
        for g in r.gates:
            gate = network.parameter(g)
            if not gate.constant:
                raise InputError(
                    f"The gates of formal_reactions must be constant parameters. Got {g!r} "
                    f"(changed by events) in reaction {r.id!r} instead."
                )
            value *= gate.value
        if not 1 <= r.molecularity <= 2:
            raise InputError(
                f"The reactions of formal_reactions must have one or two reactant molecules. "
                f"Got {r.molecularity} in reaction {r.id!r} instead."
            )
        for sid in (*r.reactants, *r.products):
            if not _CRN_ID.match(sid):
                raise InputError(
                    f"The species of formal_reactions must have ids starting with a letter. "
                    f"Got {sid!r} instead."
                )
        if value != 0:
            out.append(
                FormalReaction(r.id, tuple(sorted(r.reactants)), tuple(sorted(r.products)), value)
            )
    return out


def formal_crn(network: Network) -> str:
    """The formal CRN of ``network`` in the plain text CRN tools read.

    One reaction a line (``A + B -> A + B + C [k = 1.0]``, the gates folded into ``k``), in the
    network's reaction order, then the positive initial concentrations (``A @ initial 0.5``) in
    the network's species order. crnverifier's and Nuskell's CRN parser reads it.

    Parameters
    ----------
    network
        A mass-action network of uni- and bimolecular reactions without events.

    Returns
    -------
    str
        The text, ending with a newline.
    """
    reactions = formal_reactions(network)
    lines = [f"# formal CRN of {network.id}: {len(reactions)} reactions"]
    lines += [r.text() for r in reactions]
    used = {s for r in reactions for s in (*r.reactants, *r.products)}
    lines += [
        f"{s.id} @ initial {number_text(s.initial)}"
        for s in network.species
        if s.id in used and s.initial > 0
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- translation


@dataclass(frozen=True)
class DsdComplex:
    """A complex of the design in kernel notation, with its role and concentration.

    ``conc_nM`` is None for signals whose concentration the user sets (inputs, species that are
    only produced); ``module`` is the formal reaction a fuel belongs to (``""`` for signals).
    """

    name: str
    kernel: str
    role: str  # "signal" or "fuel"
    conc_nM: float | None
    module: str = ""

    def strands(self) -> list[tuple[str, ...]]:
        """The strands as tuples of domain names (complements with ``*``)."""
        out: list[list[str]] = [[]]
        stack: list[str] = []
        for tok in self.kernel.split():
            if tok == "+":
                out.append([])
            elif tok == ")":
                out[-1].append(complement(stack.pop()))
            elif tok.endswith("("):
                stack.append(tok[:-1])
                out[-1].append(tok[:-1])
            else:
                out[-1].append(tok)
        return [tuple(s) for s in out]


def complement(domain: str) -> str:
    """``a`` → ``a*`` and ``a*`` → ``a``."""
    return domain[:-1] if domain.endswith("*") else f"{domain}*"


@dataclass
class DsdDesign:
    """A domain-level design: domains with lengths, signal and fuel complexes."""

    domains: dict[str, int] = field(default_factory=dict)
    complexes: list[DsdComplex] = field(default_factory=list)
    signals: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # species → t, b, c
    reactions: list[FormalReaction] = field(default_factory=list)
    unit_nM: float = 10.0
    fuel_nM: float = 0.0
    rate_scale: float = 1.0

    def fuels(self, module: str | None = None) -> list[DsdComplex]:
        """The fuel complexes (of one formal reaction's module if ``module`` is given)."""
        return [
            c for c in self.complexes if c.role == "fuel" and (module is None or c.module == module)
        ]

    def counts(self) -> dict[str, int]:
        """Domains, distinct strands, signal and fuel complexes, formal reactions."""
        strands = {s for c in self.complexes for s in c.strands()}
        return {
            "domains": len(self.domains),
            "strands": len(strands),
            "signal_complexes": sum(c.role == "signal" for c in self.complexes),
            "fuel_complexes": len(self.fuels()),
            "formal_reactions": len(self.reactions),
        }


def _domain(design: DsdDesign, name: str, length: int) -> str:
    design.domains.setdefault(name, length)
    return name


def _signal_domains(design: DsdDesign, species: str) -> tuple[str, str, str]:
    if species not in design.signals:
        design.signals[species] = (
            _domain(design, f"t_{species}", TOEHOLD),
            _domain(design, f"b_{species}", LONG),
            _domain(design, f"c_{species}", TOEHOLD),
        )
    return design.signals[species]


def _gates(design: DsdDesign, r: FormalReaction, gate: float, buffer: float) -> list[DsdComplex]:
    """The fuels of one formal reaction: gate L, translator T (if it has products), buffer."""
    ins = [_signal_domains(design, s) for s in r.reactants]
    outs = [_signal_domains(design, s) for s in r.products]
    hist = [_domain(design, f"h_{r.id}_{k}", LONG) for k in range(1, len(outs) + 1)]
    tail = " ".join(f"{h} {t}" for h, (t, _, _) in zip(hist, outs, strict=True))
    (t1, b1, c1), (_, bn, cn) = ins[0], ins[-1]
    top = f"{bn}( {cn}( {tail} + ) )"
    if len(ins) == 1:
        kernel = f"{top} {t1}*"
    else:
        t2 = ins[1][0]
        kernel = f"{b1}( {c1}( {t2}( + {top} ) ) ) {t1}*"
    fuel = design.fuel_nM
    out = [DsdComplex(f"L_{r.id}", " ".join(kernel.split()), "fuel", gate, r.id)]
    if len(ins) == 2:
        strand = f"{b1} {c1} {ins[1][0]}"
        out.append(DsdComplex(f"B_{r.id}", strand, "fuel", buffer, r.id))
    if outs:
        inner = ""
        for h, (t, b, c) in reversed(list(zip(hist, outs, strict=True))):
            inner = f"{h}( {t}( {b} {c} + {inner} ) )"
        out.append(DsdComplex(f"T_{r.id}", " ".join(f"{inner} {cn}*".split()), "fuel", fuel, r.id))
    return out


def held_by_gates(
    reactions: Sequence[FormalReaction], rho: Mapping[str, float]
) -> dict[str, float]:
    """``s_X``: how much of each species the bimolecular gates hold per free copy of it, the sum
    of ``ρ_r`` over the reactions in ``rho`` whose first reactant (the one ``L_r`` binds) is ``X``.
    """
    held: dict[str, float] = {}
    for r in reactions:
        if r.id in rho:
            held[r.reactants[0]] = held.get(r.reactants[0], 0.0) + rho[r.id]
    return held


def gate_ratios(
    reactions: Sequence[FormalReaction], sequester: float
) -> tuple[dict[str, float], float]:
    """Gate-to-buffer ratios ``ρ_r = [L_r]/[B_r]`` that keep the formal rates despite sequestering.

    In a bimolecular gate the first reactant ``A`` binds ``L_r`` reversibly (``A + L_r <=>
    I_r + B_r``, equilibrium constant 1 with equal toeholds), so at quasi-equilibrium a
    fraction ``s_A = Σ ρ_r`` (over the reactions with ``A`` first) of ``A`` per free ``A`` sits
    in the gates, and reaction ``r`` runs at ``k2·ρ_r·[A]free·[B]free`` =
    ``k2·ρ_r·A·B/((1+s_A)(1+s_B))`` in the totals ``A``, ``B`` (which are what the formal
    species are: every form of ``A``). Choosing ``ρ_r = c·k_r·(1+s_A)(1+s_B)`` makes every
    reaction run at ``k2·c·k_r·A·B``: the formal CRN with one time scale (Soloveichik et al.
    equalise ``s`` with buffer modules instead; this rate compensation needs no extra fuels).
    The fixed point is found by iteration and ``c`` by bisection so that the largest ``ρ_r``
    is ``sequester``.

    Returns
    -------
    tuple[dict[str, float], float]
        ``ρ_r`` of every bimolecular reaction and ``c`` (per formal rate unit).
    """
    bi = [r for r in reactions if len(r.reactants) == 2]
    if not bi:
        return {}, 1.0

    def fixed_point(c: float) -> dict[str, float] | None:
        rho = {r.id: c * r.rate for r in bi}
        for _ in range(500):
            s = held_by_gates(bi, rho)
            new = {
                r.id: c
                * r.rate
                * (1 + s.get(r.reactants[0], 0.0))
                * (1 + s.get(r.reactants[1], 0.0))
                for r in bi
            }
            if max(new.values()) > 1e6:
                return None
            if all(abs(new[k] - rho[k]) <= 1e-13 * new[k] for k in new):
                return new
            rho = new
        return None

    lo, hi = 0.0, sequester / max(r.rate for r in bi)
    for _ in range(200):  # c below the fixed point's largest ratio: bisect on c
        mid = 0.5 * (lo + hi)
        rho = fixed_point(mid)
        if rho is not None and max(rho.values()) <= sequester:
            lo = mid
        else:
            hi = mid
    rho = fixed_point(lo)
    if rho is None:  # lo = 0 converges at once; a larger lo was accepted above
        raise InputError(f"No gate ratios found for sequester={sequester!r}.")
    return rho, lo


def translate(
    reactions: Sequence[FormalReaction],
    initial: Mapping[str, float],
    *,
    unit_nM: float = 10.0,
    excess: float = 100.0,
    sequester: float = 0.5,
    scale: float = 1.0,
) -> DsdDesign:
    """Translate formal reactions into a DSD design by the Soloveichik-Seelig-Winfree scheme.

    Parameters
    ----------
    reactions
        The formal reactions (:func:`formal_reactions`).
    initial
        Formal initial concentration of each species; species with a positive value get it
        (times ``unit_nM``) in the design, the others (inputs set per sample, species only
        produced) are listed without a concentration.
    unit_nM
        nM per formal concentration unit.
    excess
        Fuel concentration over the largest formal concentration (at least one unit): gates
        ``L`` and translators ``T``; buffer strands ``B`` are at ``[L]/ρ_r`` (:func:`gate_ratios`).
    sequester
        The largest gate-to-buffer ratio ``ρ_r`` (how much of a species the gates hold).
    scale
        The largest formal concentration the design serves (e.g. measured on data); fuels are
        at ``excess`` times the larger of it and the largest initial concentration.

    Returns
    -------
    DsdDesign
        Signals first (in order of appearance), then each reaction's fuels; ``rate_scale`` is
        ``c`` of :func:`gate_ratios` (the formal time unit is ``1/(k2·c·unit_nM)`` seconds).
    """
    checked = (("unit_nM", unit_nM), ("excess", excess), ("sequester", sequester), ("scale", scale))
    for name, value in checked:
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InputError(
                f"The {name} parameter of translate must be a positive number. Got {value!r} "
                "instead."
            )
    top = max([1.0, scale, *(v for v in initial.values() if math.isfinite(v))])
    fuel = excess * top * unit_nM
    rho, c = gate_ratios(reactions, sequester)
    design = DsdDesign(reactions=list(reactions), unit_nM=unit_nM, fuel_nM=fuel, rate_scale=c)
    fuels: list[DsdComplex] = []
    held = held_by_gates(reactions, rho)
    for r in reactions:
        if r.id in rho:
            fuels += _gates(design, r, fuel, fuel / rho[r.id])
        else:  # unimolecular: k2·[L]·X/(1+s_X) must be k_r·X per formal time unit
            gate = r.rate * c * unit_nM * (1 + held.get(r.reactants[0], 0.0))
            fuels += _gates(design, r, gate, 0.0)
    for species, (t, b, cc) in design.signals.items():
        h = _domain(design, f"hs_{species}", LONG)
        value = initial.get(species, 0.0)
        conc = value * unit_nM if value > 0 else None
        design.complexes.append(DsdComplex(f"S_{species}", f"{h} {t} {b} {cc}", "signal", conc))
    design.complexes += fuels
    return design


def _conc(value: float) -> str:
    text = f"{value:.6g}"
    return text if "e" in text or "." in text else f"{text}.0"


def design_pil(design: DsdDesign, *, fuels_of: str | None = None, title: str = "") -> str:
    """The design as PIL (kernel notation) for peppercorn.

    Parameters
    ----------
    design
        The design (:func:`translate`).
    fuels_of
        Only the module of this formal reaction: its reactants' signals and its fuels.
    title
        A first comment line.

    Returns
    -------
    str
        ``length`` lines for every domain, then one line per complex: ``name = kernel
        @initial C nM`` (signals without a concentration are set per sample: peppercorn
        enumerates from them all the same).
    """
    complexes = design.complexes
    if fuels_of is not None:
        (r,) = [x for x in design.reactions if x.id == fuels_of]
        complexes = [
            c
            for c in complexes
            if c.module == fuels_of or (c.role == "signal" and c.name[2:] in r.reactants)
        ]
    used = {d.rstrip("*") for c in complexes for s in c.strands() for d in s}
    lines = [
        f"# {title or 'DSD design'}",
        f"# scheme: {SCHEME} ({CITATION})",
        f"# concentrations in nM: 1 formal unit = {_conc(design.unit_nM)} nM, fuels at "
        f"{_conc(design.fuel_nM)} nM (buffer strands B at [L]/rho_r, see gate_ratios)",
        f"# domains: toeholds {TOEHOLD} nt, long domains {LONG} nt",
    ]
    lines += [f"length {d} = {n}" for d, n in design.domains.items() if d in used]
    lines.append("")
    for c in complexes:
        conc = "" if c.conc_nM is None else f" @initial {_conc(c.conc_nM)} nM"
        note = "  # set per sample" if c.conc_nM is None else ""
        lines.append(f"{c.name} = {c.kernel}{conc}{note}")
    return "\n".join(lines) + "\n"
