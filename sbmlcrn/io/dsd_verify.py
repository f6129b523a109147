"""Enumeration (peppercorn) and verification (crnverifier) of a DSD design (issue 19).

:func:`enumerate_design` runs peppercorn on a design of :mod:`sbmlcrn.io.dsd` (or on one
formal reaction's module), :func:`verify` checks it against the formal CRN by CRN bisimulation
and :func:`build_dsd` does everything from a network to a :class:`DsdBuild`, whose
:meth:`DsdBuild.texts` are the files of a DSD export.

Verification
------------
peppercorn enumerates the domain-level reactions and condenses them to reactions between
resting macrostates; fuels (gates, translators, buffer strands) are constant and removed, every
single-stranded signal ``? tX bX cX`` is interpreted as ``X`` and crnverifier searches an
interpretation of the remaining (intermediate and waste) species that is a CRN bisimulation.
``method="modular"`` (the default) enumerates and verifies each formal reaction's module on its
own (its reactants' signals and its fuels): per-reaction bisimulation. It adds a crosstalk
check: the whole design is enumerated too, and each of its reactions, with history domains
replaced by ``?``, must be a reaction of some module (signals released by other gates differ
from a module's own only in their history domain). This is not the modularity theorem of
CRN bisimulation (crnverifier's ``modular_crn_bisimulation_test``, which needs an interpretation
of every shared species), so the report names it per-reaction bisimulation. ``method="whole"``
verifies the whole implementation CRN against the whole formal CRN in one bisimulation
(exact; measured 13 s for two formal reactions, so only for very small networks).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from sbmlcrn.core.network import Network
from sbmlcrn.errors import InputError, WriterError
from sbmlcrn.io.dsd import (
    CITATION,
    SCHEME,
    DsdDesign,
    FormalReaction,
    complement,
    design_pil,
    formal_crn,
    formal_reactions,
    number_text,
    require_tools,
    translate,
)
from sbmlcrn.io.dsd_sbml import (
    formal_forms,
    implementation_network,
    implementation_sbml,
    rate_model,
    time_unit_seconds,
)

__all__ = [
    "DsdBuild",
    "Enumerated",
    "build_dsd",
    "enumerate_design",
    "report_markdown",
    "verify",
]

_HISTORY = re.compile(r"\b(?:h|hs)_[A-Za-z0-9_]+")


# --------------------------------------------------------------------------- enumeration


@dataclass(frozen=True)
class Enumerated:
    """peppercorn's condensed reactions with the roles of their species.

    Species are resting macrostates named after their complex in the design (signals ``S_X``,
    fuels) or, for new complexes, ``i<n>`` in the order of their canonical kernel strings (so
    the names depend neither on what was enumerated before nor on the process's hash seed).
    ``keys`` gives each species a key that is the same for the same complex up to its
    history domains (fuels: their name).
    """

    reactions: tuple[tuple[tuple[str, ...], tuple[str, ...], float], ...]
    signals: Mapping[str, str]  # implementation species → formal species
    fuels: frozenset[str]
    keys: Mapping[str, str]

    def crn(self) -> str:
        """The condensed reactions, one a line, with peppercorn's rate constants."""
        return "".join(
            f"{' + '.join(r)} -> {' + '.join(p)} [k = {number_text(float(f'{k:.6g}'))}]\n"
            for r, p, k in self.reactions
        )

    def keyed(self) -> set[tuple[tuple[str, ...], tuple[str, ...]]]:
        """The reactions with every species replaced by its key."""
        return {
            (tuple(sorted(self.keys[s] for s in r)), tuple(sorted(self.keys[s] for s in p)))
            for r, p, _ in self.reactions
        }


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the tools' logging and printing."""
    names = ("peppercornenumerator", "crnverifier", "dsdobjects")
    levels = [logging.getLogger(n).level for n in names]
    for n in names:
        logging.getLogger(n).setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore", DeprecationWarning)  # pyparsing's, in dsdobjects
            yield
    finally:
        for n, level in zip(names, levels, strict=True):
            logging.getLogger(n).setLevel(level)


def _signal_of(design: DsdDesign, kernel: str) -> str | None:
    """The formal species a single, unpaired strand ``? t b c`` stands for, if any."""
    strand = kernel.split()
    if len(strand) != 4 or any(d.endswith(("(", ")")) for d in strand):
        return None
    tail = tuple(strand[1:])
    for species, doms in design.signals.items():
        if doms == tail:
            return species
    return None


def _canonical(kernel: str) -> str:
    """The smallest of the kernel strings of every rotation of the complex's strands.

    peppercorn writes a multi-stranded complex starting from a strand that depends on what it
    enumerated before; the same complex must have one key.
    """
    names: list[str] = []
    partner: dict[int, int] = {}
    breaks: list[int] = []  # index of the first domain of every strand but the first
    stack: list[int] = []
    for tok in kernel.split():
        if tok == "+":
            breaks.append(len(names))
        elif tok == ")":
            j = stack.pop()
            partner[j], partner[len(names)] = len(names), j
            names.append(complement(names[j]))
        else:
            if tok.endswith("("):
                stack.append(len(names))
            names.append(tok.rstrip("("))
    starts = [0, *breaks]
    ends = [*breaks, len(names)]
    best = ""
    for r in range(len(starts)):
        order = [i for k in (*range(r, len(starts)), *range(r)) for i in range(starts[k], ends[k])]
        where = {i: n for n, i in enumerate(order)}
        out = []
        for n, i in enumerate(order):
            if n and i in starts:
                out.append("+")
            j = partner.get(i)
            out.append(names[i] if j is None else f"{names[i]}(" if where[j] > n else ")")
        text = " ".join(out)
        best = text if not best or text < best else best
    return best


def _run_peppercorn(
    pil: str,
) -> tuple[list[tuple[str, str]], list[tuple[list[str], list[str], float]]]:
    """Enumerate ``pil``: (name, kernel) of every resting macrostate, condensed reactions."""
    from peppercornenumerator import enumerate_pil
    from peppercornenumerator.objects import clear_memory

    try:
        with _quiet():
            try:
                enum, _ = enumerate_pil(pil, condensed=True, complex_prefix="i")
            except Exception as exc:  # PolymerizationError, CondensationError, parse errors
                raise WriterError(
                    f"peppercorn could not enumerate the design ({type(exc).__name__}: {exc})."
                ) from exc
            states = [(m.name, " ".join(m.kernel_string.split())) for m in enum.resting_macrostates]
            rows = [
                (
                    [m.name for m in rxn.reactants],
                    [m.name for m in rxn.products],
                    float(rxn.rate_constant[0]),
                )
                for rxn in enum.condensed_reactions
            ]
            del enum
    finally:
        with _quiet():
            clear_memory()  # peppercorn's objects are singletons by name: start afresh each time
    return states, rows


def enumerate_design(design: DsdDesign, *, module: str | None = None) -> Enumerated:
    """Enumerate the design (or one formal reaction's module) with peppercorn, condensed.

    Parameters
    ----------
    design
        The design (:func:`translate`).
    module
        Only this formal reaction's module: its reactants' signals and its fuels.

    Returns
    -------
    Enumerated
        The condensed reactions between resting macrostates, the signals among them (single
        unpaired strands ``? tX bX cX``) and the fuels.
    """
    require_tools("enumerate_design")
    states, raw = _run_peppercorn(design_pil(design, fuels_of=module))
    named = {c.name for c in design.complexes}
    fuel_names = {c.name for c in design.fuels(module)}
    # by the canonical kernel: peppercorn's own string starts at a strand that varies from
    # process to process (set order under hash randomisation)
    new = sorted((_canonical(kernel), name) for name, kernel in states if name not in named)
    rename = {name: f"i{n}" for n, (_, name) in enumerate(new, 1)}
    signals: dict[str, str] = {}
    keys: dict[str, str] = {}
    for name, kernel in states:
        final = rename.get(name, name)
        species = _signal_of(design, kernel)
        if species is not None:
            signals[final] = species
        keys[final] = final if name in fuel_names else _canonical(_HISTORY.sub("?", kernel))
    rows = sorted(
        (
            tuple(sorted(rename.get(x, x) for x in r)),
            tuple(sorted(rename.get(x, x) for x in p)),
            k,
        )
        for r, p, k in raw
    )
    fuels = frozenset(n for n in keys if n in fuel_names)
    return Enumerated(tuple(rows), signals, fuels, keys)


# --------------------------------------------------------------------------- verification


def _bisimulation(
    fcrn: list[list[list[str]]], enumerated: Enumerated, formals: set[str]
) -> tuple[bool, dict[str, list[str]] | None]:
    from crnverifier import crn_bisimulation_test

    icrn = []
    for reactants, products, _ in enumerated.reactions:
        r = [s for s in reactants if s not in enumerated.fuels]
        p = [s for s in products if s not in enumerated.fuels]
        if sorted(r) != sorted(p):
            icrn.append([r, p])
    inter = {k: [v] for k, v in enumerated.signals.items() if v in formals}
    with _quiet():
        ok, bisim = crn_bisimulation_test(fcrn, icrn, formals=formals, interpretation=inter)
    return bool(ok), (dict(bisim) if bisim else None)


def _fcrn(reactions: Sequence[FormalReaction]) -> list[list[list[str]]]:
    return [[list(r.reactants), list(r.products)] for r in reactions]


def verify(
    design: DsdDesign, *, method: str = "modular", whole: Enumerated | None = None
) -> dict[str, Any]:
    """Verify the design against its formal CRN by CRN bisimulation (crnverifier).

    Parameters
    ----------
    design
        The design (:func:`translate`).
    method
        ``"modular"``: each formal reaction's module enumerated and verified on its own, and
        the whole enumeration checked for crosstalk (a reaction that, up to history domains,
        is in no module); ``"whole"``: the whole design in one bisimulation (slow: minutes
        beyond a handful of formal reactions).
    whole
        The enumeration of the whole design, if already done (:func:`enumerate_design`).

    Returns
    -------
    dict
        ``verified``, ``method``, ``modules`` (per module: ``verified``, the number of
        implementation reactions, the interpretation found), ``crosstalk`` (modular: the
        reactions of the whole enumeration in no module, as keys) and ``seconds``.
    """
    if method not in {"modular", "whole"}:
        raise InputError(
            f"The method parameter of verify must be 'modular' or 'whole'. Got {method!r} instead."
        )
    require_tools("verify")
    start = time.perf_counter()
    whole = whole if whole is not None else enumerate_design(design)
    if method == "whole":
        formals = {s for r in design.reactions for s in (*r.reactants, *r.products)}
        parts = [("whole", whole, _bisimulation(_fcrn(design.reactions), whole, formals))]
    else:
        parts = []
        for r in design.reactions:
            e = enumerate_design(design, module=r.id)
            parts.append((r.id, e, _bisimulation(_fcrn([r]), e, {*r.reactants, *r.products})))
    modules = [
        {"module": name, "verified": ok, "implementation_reactions": len(e.reactions),
         "interpretation": bisim}
        for name, e, (ok, bisim) in parts
    ]  # fmt: skip
    covered = set().union(*(e.keyed() for _, e, _ in parts))
    crosstalk = sorted(whole.keyed() - covered)
    return {
        "verified": bool(modules) and all(m["verified"] for m in modules) and not crosstalk,
        "method": method,
        "modules": modules,
        "crosstalk": [f"{' + '.join(r)} -> {' + '.join(p)}" for r, p in crosstalk],
        "seconds": time.perf_counter() - start,
    }


# --------------------------------------------------------------------------- all of it


@dataclass(frozen=True)
class DsdBuild:
    """A network compiled to DNA: its design, the whole enumeration and the verification.

    ``rates`` are :func:`~sbmlcrn.io.dsd_sbml.rate_model`'s; :attr:`time_unit_s` follows from
    them and the design; :meth:`implementation` is ``dsd.xml``'s network.
    """

    network: Network
    design: DsdDesign
    whole: Enumerated
    verification: Mapping[str, Any]
    enumeration_seconds: float
    rates: Mapping[str, float]

    @property
    def time_unit_s(self) -> float:
        """Seconds per formal time unit (:func:`~sbmlcrn.io.dsd_sbml.time_unit_seconds`)."""
        return time_unit_seconds(self.design, self.rates["k2"])

    @cached_property
    def forms(self) -> dict[str, list[str]]:
        """Each formal species' implementation species
        (:func:`~sbmlcrn.io.dsd_sbml.formal_forms`)."""
        return formal_forms(self.whole)

    def implementation(self, *, leak: float = 0.0) -> Network:
        """The implementation CRN in nM and s (with leak reactions at ``leak`` M⁻¹ s⁻¹)."""
        return implementation_network(
            self.design, self.whole, name=f"{self.network.id}_dsd", leak=leak
        )

    def readout(self, values: Mapping[str, np.ndarray], formal: str) -> np.ndarray:
        """The formal concentration of ``formal`` from implementation concentrations (nM):
        its free signals and the gate intermediates holding it (``formal_X`` of ``dsd.xml``)."""
        parts = [np.asarray(values[s]) for s in self.forms.get(formal, [])]
        if not parts:  # a species no formal reaction makes (e.g. a rail all of whose weights are 0)
            return np.zeros(np.shape(next(iter(values.values()))))
        return np.sum(parts, axis=0) / self.design.unit_nM

    def texts(self, report: Mapping[str, Any]) -> dict[str, str]:
        """The files of a DSD export: ``formal.crn``, ``design.pil``, ``implementation.crn``,
        ``dsd.xml`` (with the leak ``report`` names), ``report.json`` and ``report.md``, for a
        ``report`` of :meth:`report` (to which a caller may add entries, e.g. the agreement)."""
        name = self.network.id
        leak = report["units"]["leak_per_M_per_s"]
        return {
            "formal.crn": formal_crn(self.network),
            "design.pil": design_pil(self.design, title=f"DSD design of {name}"),
            "implementation.crn": f"# peppercorn condensed reactions of {name} (nM, s)\n"
            + self.whole.crn(),
            "dsd.xml": implementation_sbml(self.implementation(leak=leak)),
            "report.json": json.dumps(report, indent=2) + "\n",
            "report.md": report_markdown(report),
        }

    def report(
        self, *, leak: float = 0.0, extra: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """``report.json``'s content (without the agreement, which needs data)."""
        result = self.verification
        counts = self.design.counts()
        counts["implementation_reactions"] = len(self.whole.reactions)
        counts["implementation_species"] = len(self.whole.keys)
        counts["formal_species"] = len(
            {x for r in self.design.reactions for x in (*r.reactants, *r.products)}
        )
        design = self.design
        return {
            **(extra or {}),
            "network": self.network.id,
            "scheme": SCHEME,
            "citation": CITATION,
            "verified": result["verified"],
            "method": f"CRN bisimulation ({result['method']})",
            "interpretation": _interpretation_note(result["method"]),
            "counts": counts,
            "units": {
                "formal_unit_nM": design.unit_nM,
                "fuel_nM": design.fuel_nM,
                "time_unit_s": self.time_unit_s,
                "rate_scale_c": design.rate_scale,
                "k2_per_nM_per_s": self.rates["k2"],
                "exchange_equilibrium_K": self.rates["K"],
                "leak_per_M_per_s": leak,
            },
            "seconds": {
                "enumeration": self.enumeration_seconds,
                "verification": result["seconds"],
            },
            "crosstalk": list(result["crosstalk"]),
            "modules": list(result["modules"]),
            "signals": dict(sorted(self.whole.signals.items())),
        }


def build_dsd(
    network: Network,
    *,
    method: str = "modular",
    unit_nM: float = 10.0,
    excess: float = 100.0,
    scale: float = 1.0,
    sequester: float = 0.5,
) -> DsdBuild:
    """Compile ``network`` to DNA: translate, enumerate (peppercorn), verify (crnverifier).

    Parameters
    ----------
    network
        A mass-action network of bimolecular reactions without events (minimise it and make
        its reactions fit the gates first: :mod:`sbmlcrn.core.rewrite`; every reaction
        becomes DNA).
    method
        The verification method (:func:`verify`).
    unit_nM
        nM per formal concentration unit.
    excess, scale
        Fuels (gates, translators) are at ``excess × scale × unit_nM`` nM: ``scale`` is the
        largest formal concentration the implementation serves (at least the largest initial
        one), e.g. measured on data.
    sequester
        The largest gate-to-buffer ratio (:func:`~sbmlcrn.io.dsd.gate_ratios`).

    Returns
    -------
    DsdBuild
    """
    require_tools("build_dsd")
    reactions = formal_reactions(network)
    if not reactions:
        raise InputError(f"The network {network.id!r} has no reaction that can fire.")
    # Decision: refuse, not hang. A reaction X + X -> … made peppercorn's enumeration explode
    # (one alone: 277 reactions in 186 s). sbmlcrn.core.rewrite.split_squares removes the
    # squares of species no reaction changes (all of them in the exported inference networks);
    # a square of a changing species cannot be split exactly and is refused.
    squares = [r.id for r in reactions if len(r.reactants) == 2 and len(set(r.reactants)) == 1]
    if squares:
        raise InputError(
            f"The DSD export cannot compile reactions of the form X + X -> ... of a species that "
            f"reactions change ({len(squares)} in {network.id!r}: {', '.join(squares[:3])}"
            f"{', ...' if len(squares) > 3 else ''}): their enumeration does not finish in "
            "reasonable time (docs/design.md, 'DNA strand displacement export')."
        )
    initial = {s.id: s.initial for s in network.species}
    design = translate(
        reactions, initial, unit_nM=unit_nM, excess=excess, sequester=sequester, scale=scale
    )
    start = time.perf_counter()
    whole = enumerate_design(design)
    seconds = time.perf_counter() - start
    result = verify(design, method=method, whole=whole)
    return DsdBuild(network, design, whole, result, seconds, rate_model(whole))


def _interpretation_note(method: str) -> str:
    scope = (
        "each formal reaction's module (its reactants' signals and its fuels) is enumerated "
        "and verified on its own, and every reaction of the whole enumeration must be, up to "
        "history domains, a reaction of some module (no crosstalk)"
        if method == "modular"
        else "the whole implementation CRN against the whole formal CRN"
    )
    return (
        "fuels (gates L, translators T, buffer strands B) are constant and removed; every "
        "single-stranded signal '? tX bX cX' (any history domain) is the formal species X; "
        f"intermediates and wastes are interpreted by crnverifier's search; {scope}."
    )


def report_markdown(report: Mapping[str, Any]) -> str:
    """``report.md``: the verification result, physical units, sizes and (if any) agreement."""
    c = report["counts"]
    u = report["units"]
    failed = [m["module"] for m in report["modules"] if not m["verified"]]
    lines = [
        f"# DSD export of {report['network']}",
        "",
        f"- scheme: {report['scheme']} ({report['citation']})",
        f"- verified: **{str(report['verified']).lower()}** by {report['method']}"
        + (f" (failed: {', '.join(failed)})" if failed else ""),
        f"- interpretation: {report['interpretation']}",
        f"- crosstalk reactions: {len(report['crosstalk'])}",
        f"- time: enumeration {report['seconds']['enumeration']:.2f} s, verification "
        f"{report['seconds']['verification']:.2f} s",
        f"- units (dsd.xml): 1 formal concentration unit = {u['formal_unit_nM']:g} nM; fuels at "
        f"{u['fuel_nM']:g} nM; 1 formal time unit = {u['time_unit_s']:.4g} s; leak "
        f"{u['leak_per_M_per_s']:g} /M/s",
        "",
        "| formal reactions | implementation reactions | domains | strands | fuel complexes |",
        "|---:|---:|---:|---:|---:|",
        f"| {c['formal_reactions']} | {c['implementation_reactions']} | {c['domains']} | "
        f"{c['strands']} | {c['fuel_complexes']} |",
    ]
    sizes = report.get("sizes")
    if sizes:
        lines += ["", "| network | reactions | species |", "|---|---:|---:|"]
        lines += [f"| {k} | {v['reactions']} | {v['species']} |" for k, v in sizes.items()]
    a = report.get("agreement")
    if a:
        lines += [
            "",
            f"Agreement with the formal inference network on {a['n']} rows: {a['metric']} = "
            f"{a['value']:.6g} (read-out at {a['readout_s']:.4g} s; smallest fuel fraction left "
            f"{a['fuel_left_min']:.4f}).",
        ]
        scores = [f"{k} = {v:.4g}" for k, v in a.items() if k.startswith(("formal_", "dsd_"))]
        if scores:
            lines.append("On the data's target: " + ", ".join(scores) + ".")
    return "\n".join(lines) + "\n"
