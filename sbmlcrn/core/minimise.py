"""Network minimisation: drop what can never fire, merge identical reactions.

:func:`minimise` returns a smaller :class:`~sbmlcrn.core.network.Network` whose every
simulation equals the original's (for the same initial state, in every species it keeps and in
every readout and observable), and a :class:`MinimiseReport` of what went and why.

The analysis
------------
A species *can be positive* if its initial concentration is positive, if the caller will set
it (``free``: e.g. the inputs of an inference network), if an event may assign it a value that
is not provably zero, or if a reaction that can fire produces it. A reaction *can fire* if its
rate constant and each of its gates can be nonzero and each of its reactants can be positive.
A parameter can be nonzero if its value is, or if an event may assign it a value that is not
provably zero. Both sets are least fixed points, grown from the initial state until nothing
changes; everything outside them is zero at every time of every simulation, so a reaction that
cannot fire has rate 0 throughout and removing it changes no trajectory.

*Provably zero* is decided on the expression tree: a constant 0, a parameter that can never be
nonzero, a product with a zero factor, a sum, difference or quotient of zeros, and a
``piecewise`` whose two values are zero. A data column loaded with all-zero values is such a
constant: :func:`~sbmlcrn.core.expr.balanced_lookup` collapses a run of equal values into one
leaf, so a rail that the data never fills (``x1_m`` of an all-positive column) is ``Const(0)``.
The analysis needs neither the sample indices nor the schedule, so it lives in the core.

What is kept
------------
The model's interface stays: every readout and observable, every event, and every species
they read. A species that can never be positive is removed only when nothing left references it;
an event assignment that sets such a species to its (zero) value is a no-op and is dropped first
(unless it is the event's only assignment). Rate parameters that no remaining reaction uses are
removed; gates and clock parameters stay (events assign them).

Identical reactions (the same reactants, products, rate constant and gates) are merged into one
whose rate constant is a new parameter ``<rate>_x<n>`` of ``n`` times the value: ``k·A + k·A``
is ``2k·A``. Decision: no circuit of the registry produces a duplicate (every design, gradient,
nonlinearity and batch size was checked), so the merge is a safeguard for hand-built networks
and future circuits; reactions that differ only in their rate constant are not merged (their
sum would need a parameter whose value changes with either).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from sbmlcrn.core.expr import Const, Expr, Sym, symbols
from sbmlcrn.core.network import Event, Network, Parameter, Reaction, Role, unique_ids
from sbmlcrn.errors import InputError

__all__ = ["MinimiseReport", "may_be_nonzero", "minimise"]


@dataclass(frozen=True)
class MinimiseReport:
    """What :func:`minimise` removed and merged, and why.

    Attributes
    ----------
    network
        Id of the network.
    before, after
        :meth:`Network.stats` of the original and of the minimised network.
    removed_reactions, removed_species, removed_parameters
        Ids removed, in the original's order.
    dropped_assignments
        ``(event, species)`` pairs: assignments of a zero value to a species that is always 0.
    kept_zero_species
        Species that are never positive but stay because a readout, an observable or an event
        reads or assigns them.
    merged
        ``(kept reaction, merged reactions, new rate parameter)`` per group of duplicates.
    reasons
        Removed id → why (``"reactant x1_m is never positive"``, …).
    """

    network: str
    before: Mapping[str, int]
    after: Mapping[str, int]
    removed_reactions: tuple[str, ...] = ()
    removed_species: tuple[str, ...] = ()
    removed_parameters: tuple[str, ...] = ()
    dropped_assignments: tuple[tuple[str, str], ...] = ()
    kept_zero_species: tuple[str, ...] = ()
    merged: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    reasons: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the report."""
        return {
            "network": self.network,
            "before": dict(self.before),
            "after": dict(self.after),
            "removed_reactions": list(self.removed_reactions),
            "removed_species": list(self.removed_species),
            "removed_parameters": list(self.removed_parameters),
            "dropped_assignments": [list(p) for p in self.dropped_assignments],
            "kept_zero_species": list(self.kept_zero_species),
            "merged": [[k, list(m), p] for k, m, p in self.merged],
            "reasons": dict(self.reasons),
        }

    def summary(self) -> str:
        """One line: ``reactions 24 → 14, species 10 → 8, …``."""
        keys = ("reactions", "species", "parameters", "events")
        return ", ".join(f"{k} {self.before[k]} → {self.after[k]}" for k in keys)


def may_be_nonzero(expr: Expr, nonzero: Iterable[str]) -> bool:
    """Whether ``expr`` may evaluate to a nonzero value.

    Parameters
    ----------
    expr
        An event assignment's value (or any expression).
    nonzero
        Names of the symbols that may be nonzero; every other symbol is 0 at all times.

    Returns
    -------
    bool
        False only when the value is provably 0 (see the module notes); True otherwise.
    """
    return _may(expr, frozenset(nonzero))


def _may(expr: Expr, nonzero: frozenset[str] | set[str]) -> bool:
    if isinstance(expr, Const):
        return expr.value != 0
    if isinstance(expr, Sym):
        return expr.name in nonzero
    args = expr.args
    if expr.op == "*":
        return all(_may(a, nonzero) for a in args)
    if expr.op in {"+", "-"}:
        return any(_may(a, nonzero) for a in args)
    if expr.op == "/":
        return _may(args[0], nonzero)
    if expr.op == "piecewise":
        return _may(args[0], nonzero) or _may(args[2], nonzero)
    return True  # comparisons, powers (0^0 = 1), conjunctions


def _nonzero_parameters(net: Network) -> set[str]:
    """Parameters that may be nonzero at some time: the least fixed point over the events."""
    live = {p.id for p in net.parameters if p.value != 0}
    params = {p.id for p in net.parameters}
    changed = True
    while changed:
        changed = False
        for ev in net.events:
            for target, value in ev.assignments:
                if target in params and target not in live and _may(value, live):
                    live.add(target)
                    changed = True
    return live


def _positive_species(
    net: Network, live_params: set[str], free: set[str]
) -> tuple[set[str], list[Reaction]]:
    """Species that may become positive and the reactions that may fire (least fixed point)."""
    species = {s.id for s in net.species}
    positive = {s.id for s in net.species if s.initial > 0} | free
    for ev in net.events:
        for target, value in ev.assignments:
            if target in species and _may(value, live_params):
                positive.add(target)
    enabled = [
        r for r in net.reactions if r.rate in live_params and all(g in live_params for g in r.gates)
    ]
    fired: set[str] = set()
    changed = True
    while changed:
        changed = False
        for r in enabled:
            if r.id not in fired and all(s in positive for s in r.reactants):
                fired.add(r.id)
                positive.update(r.products)
                changed = True
    return positive, [r for r in net.reactions if r.id in fired]


def _reason(r: Reaction, live_params: set[str], positive: set[str]) -> str:
    if r.rate not in live_params:
        return f"rate constant {r.rate} is 0"
    for g in r.gates:
        if g not in live_params:
            return f"gate {g} is never nonzero"
    dead = next(s for s in r.reactants if s not in positive)
    return f"reactant {dead} is never positive"


def _merge(
    reactions: list[Reaction], params: list[Parameter], taken: set[str]
) -> tuple[list[Reaction], list[Parameter], list[tuple[str, tuple[str, ...], str]]]:
    """Merge identical reactions (same reactants, products, rate and gates) into one each."""
    groups: dict[tuple[Any, ...], list[Reaction]] = {}
    for r in reactions:
        key = (
            tuple(sorted(r.reactants)),
            tuple(sorted(r.products)),
            r.rate,
            tuple(sorted(r.gates)),
        )
        groups.setdefault(key, []).append(r)
    if all(len(g) == 1 for g in groups.values()):
        return reactions, params, []
    by_id = {p.id: p for p in params}
    new_params: dict[str, list[Parameter]] = {}
    replaced: dict[str, Reaction] = {}
    dropped: set[str] = set()
    merged = []
    for group in groups.values():
        if len(group) == 1:
            continue
        first, n = group[0], len(group)
        (pid,) = unique_ids([f"{first.rate}_x{n}"], taken=frozenset(taken))
        taken.add(pid)
        rate = by_id[first.rate]
        new_params.setdefault(rate.id, []).append(replace(rate, id=pid, value=n * rate.value))
        replaced[first.id] = replace(first, rate=pid)
        dropped.update(r.id for r in group[1:])
        merged.append((first.id, tuple(r.id for r in group[1:]), pid))
    out_params = []
    for p in params:
        out_params += [p, *new_params.get(p.id, [])]
    out = [replaced.get(r.id, r) for r in reactions if r.id not in dropped]
    return out, out_params, merged


def _trim_events(
    events: tuple[Event, ...], zero_species: set[str]
) -> tuple[list[Event], list[tuple[str, str]]]:
    """Drop the assignments of (always zero) values to species that are always 0."""
    out, dropped = [], []
    for ev in events:
        keep = tuple((t, v) for t, v in ev.assignments if t not in zero_species)
        if keep and len(keep) < len(ev.assignments):
            dropped += [(ev.id, t) for t, _ in ev.assignments if t in zero_species]
            ev = replace(ev, assignments=keep)
        out.append(ev)
    return out, dropped


def _referenced(net: Network, reactions: list[Reaction], events: list[Event]) -> set[str]:
    """Every id that the remaining reactions, events, readouts and observables use."""
    used: set[str] = set()
    for r in reactions:
        used.update((*r.reactants, *r.products, r.rate, *r.gates))
    for ev in events:
        used.update(symbols(ev.trigger))
        for target, value in ev.assignments:
            used.add(target)
            used.update(symbols(value))
    for ro in net.readouts:
        used.update((ro.plus, ro.minus))
    for ob in net.observables:
        used.update(symbols(ob.expr))
    return used


def minimise(network: Network, *, free: Iterable[str] = ()) -> tuple[Network, MinimiseReport]:
    """Remove the reactions and species of ``network`` that can never fire or be positive.

    Parameters
    ----------
    network
        The network, with its initial state and events (a training network's data loads, an
        inference network's parameters as initial concentrations).
    free
        Species whose initial concentration the caller sets later (e.g. the inputs of an
        inference network that is reused for many samples); they count as possibly positive.

    Returns
    -------
    tuple[Network, MinimiseReport]
        The minimised network (the same id and notes) and the report. The result is
        deterministic and minimising it again changes nothing.

    Raises
    ------
    InputError
        If ``free`` names a species the network does not have.
    """
    free_set = set(free)
    unknown = sorted(free_set - set(network.species_ids()))
    if unknown:
        raise InputError(
            f"The free parameter of minimise must name species of network {network.id!r}. "
            f"Got {unknown} instead."
        )
    live = _nonzero_parameters(network)
    positive, fired = _positive_species(network, live, free_set)
    fired_ids = {r.id for r in fired}
    reasons = {r.id: _reason(r, live, positive) for r in network.reactions if r.id not in fired_ids}
    zero = {s.id for s in network.species} - positive
    events, dropped = _trim_events(network.events, zero)
    taken = {
        x.id for x in (*network.species, *network.parameters, *network.reactions, *network.events)
    } | {ob.id for ob in network.observables}
    reactions, params, merged = _merge(fired, list(network.parameters), taken)
    used = _referenced(network, reactions, events)
    gone_species = [s.id for s in network.species if s.id in zero and s.id not in used]
    for sid in gone_species:
        reasons[sid] = "never positive and no longer used"
    gone_params = [p.id for p in params if p.role is Role.RATE and p.id not in used]
    for pid in gone_params:
        reasons.setdefault(pid, "rate constant of removed or merged reactions only")
    for kept, others, _ in merged:
        for rid in others:
            reasons[rid] = f"merged into {kept}"
    out = Network(
        id=network.id,
        species=tuple(s for s in network.species if s.id not in set(gone_species)),
        parameters=tuple(p for p in params if p.id not in set(gone_params)),
        reactions=tuple(reactions),
        events=tuple(events),
        readouts=network.readouts,
        notes=network.notes,
        observables=network.observables,
    )
    report = MinimiseReport(
        network=network.id,
        before=MappingProxyType(network.stats()),
        after=MappingProxyType(out.stats()),
        removed_reactions=tuple(r.id for r in network.reactions if r.id not in fired_ids)
        + tuple(rid for _, others, _ in merged for rid in others),
        removed_species=tuple(gone_species),
        removed_parameters=tuple(gone_params),
        dropped_assignments=tuple(dropped),
        kept_zero_species=tuple(s.id for s in network.species if s.id in zero and s.id in used),
        merged=tuple(merged),
        reasons=MappingProxyType(reasons),
    )
    return out, report
