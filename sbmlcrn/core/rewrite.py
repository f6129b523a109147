"""Exact rewrites that make a network's reactions fit strand displacement gates (issue 19).

:func:`pair_unimolecular` turns every ``X -> …`` into ``X + one -> … + one`` with a new
species ``one`` held at 1 (no reaction changes it), so ``k·x·1 = k·x``: every gate becomes a
bimolecular gate whose fuels are in excess (a unimolecular gate would run at its formal rate
only at a gate concentration far below the signals it serves, and be used up).

:func:`split_squares` splits catalytic squares ``X + X -> X + X + …`` into
``X + X2 -> X + X2 + …``.

Strand displacement gates cannot take the same signal twice without the enumeration of the
design exploding (one ``X + X`` module of the Soloveichik-Seelig-Winfree scheme enumerated to
277 reactions in 186 s; :mod:`sbmlcrn.io.dsd`). In the networks sbmlcrn compiles to DNA the
squared species are inputs (the product units' ``x_i·x_i``) or the constant bias rail: species
that no reaction changes. For such a species ``X`` a copy ``X2`` that starts at the same
concentration and that no reaction changes either stays equal to ``X`` for all time, so with
the law ``k·∏[S]`` (:mod:`sbmlcrn.core.network`) the reaction ``X + X2 -> …`` has the rate
``k·x·x2 = k·x²`` of ``X + X -> …``: the rewrite changes no trajectory. The copy must be
loaded with the same value as ``X`` wherever ``X`` is loaded (the DSD export loads both).
Species that a reaction changes are left alone: a copy of one would drift away from it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from sbmlcrn.core.network import Network, Role, Species, unique_ids

__all__ = ["ONE", "pair_unimolecular", "split_squares"]

#: The id of the constant species :func:`pair_unimolecular` adds (``one_2`` … if taken).
ONE = "one"


def _unchanged(network: Network) -> set[str]:
    """Species whose net stoichiometry is zero in every reaction and that no event assigns."""
    changed = set()
    for r in network.reactions:
        net = Counter(r.products)
        net.subtract(Counter(r.reactants))
        changed |= {s for s, v in net.items() if v}
    changed |= {target for e in network.events for target, _ in e.assignments}
    return {s.id for s in network.species} - changed


def split_squares(network: Network) -> tuple[Network, dict[str, str]]:
    """Rewrite every reaction ``X + X -> …`` of a species ``X`` no reaction changes.

    Parameters
    ----------
    network
        A mass-action network.

    Returns
    -------
    tuple[Network, dict[str, str]]
        The network with ``X + X2 -> X + X2 + …`` in place of ``X + X -> X + X + …`` (the copy
        ``X2`` is a new species right after ``X``, with its initial concentration and role),
        and each split species' copy. Reactions of other species, and networks without
        squares, are returned unchanged (the same object when nothing is split).
    """
    fixed = _unchanged(network)
    squared = sorted(
        {
            s
            for r in network.reactions
            for s, n in Counter(r.reactants).items()
            if n == 2 and s in fixed
        }
    )
    if not squared:
        return network, {}
    copies = dict(
        zip(squared, unique_ids([f"{s}_2" for s in squared], taken=_ids(network)), strict=True)
    )
    reactions = []
    for r in network.reactions:
        counts = Counter(r.reactants)
        for sid, copy in copies.items():
            if counts.get(sid) == 2:
                r = replace(
                    r,
                    reactants=_swap_one(r.reactants, sid, copy),
                    products=_swap_one(r.products, sid, copy),
                )
        reactions.append(r)
    species = []
    for s in network.species:
        species.append(s)
        if s.id in copies:
            species.append(replace(s, id=copies[s.id]))
    split = replace(network, species=tuple(species), reactions=tuple(reactions))
    return split, copies


def _swap_one(ids: tuple[str, ...], sid: str, copy: str) -> tuple[str, ...]:
    """``ids`` with its last ``sid`` replaced by ``copy`` (unchanged if ``sid`` is absent)."""
    if sid not in ids:
        return ids
    k = len(ids) - 1 - ids[::-1].index(sid)
    return (*ids[:k], copy, *ids[k + 1 :])


def pair_unimolecular(network: Network) -> tuple[Network, str | None]:
    """Rewrite every reaction ``X -> …`` as ``X + one -> … + one`` (``one`` at 1, unchanged).

    Parameters
    ----------
    network
        A mass-action network.

    Returns
    -------
    tuple[Network, str | None]
        The rewritten network (the new species last, initial concentration 1) and the id of
        the new species; the network itself and None if it has no unimolecular reaction.
    """
    if not any(len(r.reactants) == 1 for r in network.reactions):
        return network, None
    # a rate constant shared with reactions that stay of another order than 2 gets a copy
    # (SBML gives each rate constant the unit of one reaction order)
    shared = {r.rate for r in network.reactions if len(r.reactants) not in (1, 2)}
    rates = list(
        dict.fromkeys(
            r.rate for r in network.reactions if len(r.reactants) == 1 and r.rate in shared
        )
    )
    one, *new = unique_ids([ONE, *(f"{k}_{ONE}" for k in rates)], taken=_ids(network))
    renamed = dict(zip(rates, new, strict=True))
    reactions = tuple(
        replace(
            r,
            reactants=(*r.reactants, one),
            products=(*r.products, one),
            rate=renamed.get(r.rate, r.rate),
        )
        if len(r.reactants) == 1
        else r
        for r in network.reactions
    )
    params = list(network.parameters)
    for p in network.parameters:
        if p.id in renamed:
            params.append(replace(p, id=renamed[p.id]))
    species = (*network.species, Species(one, 1.0, Role.PARAMETER))
    changed = replace(network, species=species, parameters=tuple(params), reactions=reactions)
    return changed, one


def _ids(network: Network) -> frozenset[str]:
    """The ids a new species or parameter must avoid."""
    return frozenset(s.id for s in network.species) | {p.id for p in network.parameters}
