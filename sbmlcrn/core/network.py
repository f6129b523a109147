"""The central, immutable description of a reaction network.

Circuit builders only *build* a :class:`Network`; the writers in :mod:`sbmlcrn.io.sbml` turn
it into Antimony or SBML, and nothing else ever changes it. Every invariant is checked when the
network is constructed and violations raise :class:`~sbmlcrn.errors.NetworkError`, so a network
that exists is a network that can be written.

Rate-law convention
-------------------
One convention everywhere: a reaction with rate constant ``k``, optional gate parameters
``g1, g2, …`` and reactants ``S_i`` with stoichiometries ``ν_i`` has the SBML kinetic law
``C * k * g1 * g2 * … * ∏ S_i^ν_i`` in the single compartment ``C`` of size 1. That is the
plain mass-action law ``k·∏[S]^ν`` (no combinatorial ``1/ν!`` factor as in Catalyst's default),
written with the compartment so that the law stays correct if a later study scales the volume.
Gates are parameters with value 0 or 1 that events switch; they multiply rate constants and
never depend on species.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

from sbmlcrn.core.expr import Expr, symbols
from sbmlcrn.errors import NetworkError

__all__ = [
    "COMPARTMENT",
    "Event",
    "Network",
    "Observable",
    "Parameter",
    "Reaction",
    "Readout",
    "Role",
    "Species",
    "sanitize_id",
    "unique_ids",
]

COMPARTMENT = "C"
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names that would clash with MathML/Antimony keywords or csymbols.
_RESERVED = frozenset(
    {
        "time",
        "avogadro",
        "delay",
        "rateOf",
        "piecewise",
        "pi",
        "exponentiale",
        "true",
        "false",
        "inf",
        "INF",
        "NaN",
        "notanumber",
        "infinity",
        "and",
        "or",
        "not",
        "xor",
        "at",
        "in",
        "is",
        "model",
        "end",
        "species",
        "compartment",
        "const",
        "var",
        "function",
        "import",
        "unit",
        "event",
        "formula",
        "substanceOnly",
        COMPARTMENT,
    }
)


class Role(Enum):
    """What a species or parameter is for; the writers put it in the model's notes."""

    INPUT = "input"
    PARAMETER = "parameter"
    ERROR = "error"
    OUTPUT = "output"
    HIDDEN = "hidden"
    TRANSIENT = "transient"
    RATE = "rate"
    GATE = "gate"
    CLOCK = "clock"


def _check_id(value: str, what: str) -> None:
    if not isinstance(value, str) or not _ID.match(value):
        raise NetworkError(
            f"The id of {what} must be a valid SBML id (letters, digits, '_', not starting "
            f"with a digit). Got {value!r} instead."
        )
    if value in _RESERVED:
        raise NetworkError(f"The id of {what} must not be a reserved word. Got {value!r}.")


def _check_value(value: float, what: str, *, nonnegative: bool = True) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise NetworkError(f"The value of {what} must be a finite number. Got {value!r} instead.")
    if nonnegative and value < 0:
        raise NetworkError(f"The value of {what} must be non-negative. Got {value!r} instead.")


@dataclass(frozen=True)
class Species:
    """A chemical species in the single compartment, with an initial concentration."""

    id: str
    initial: float = 0.0
    role: Role = Role.TRANSIENT

    def __post_init__(self) -> None:
        _check_id(self.id, "a species")
        _check_value(self.initial, f"species {self.id!r}'s initial concentration")


@dataclass(frozen=True)
class Parameter:
    """A global parameter: a rate constant, a gate, a clock variable or a data value.

    ``constant`` is false for parameters that events change (gates, clock variables).
    """

    id: str
    value: float
    role: Role = Role.RATE
    constant: bool = True
    units: str = "dimensionless"

    def __post_init__(self) -> None:
        _check_id(self.id, "a parameter")
        _check_value(self.value, f"parameter {self.id!r}", nonnegative=self.role is Role.RATE)


@dataclass(frozen=True)
class Reaction:
    """An irreversible mass-action reaction.

    Parameters
    ----------
    id
        SBML id of the reaction.
    reactants, products
        Species ids with repetition for stoichiometry (``("A", "A")`` is ``2 A``).
    rate
        Id of the rate-constant parameter.
    gates
        Ids of gate parameters that multiply the rate constant.
    """

    id: str
    reactants: tuple[str, ...]
    products: tuple[str, ...]
    rate: str
    gates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_id(self.id, "a reaction")
        if not self.reactants and not self.products:
            raise NetworkError(f"Reaction {self.id!r} must have a reactant or a product.")
        if Counter(self.reactants) == Counter(self.products):
            raise NetworkError(f"Reaction {self.id!r} changes nothing (products == reactants).")

    @property
    def molecularity(self) -> int:
        """Number of reactant molecules."""
        return len(self.reactants)

    def stoichiometry(self) -> dict[str, int]:
        """Net change of each species (products minus reactants), zeros omitted."""
        net: Counter[str] = Counter(self.products)
        net.subtract(self.reactants)
        return {s: n for s, n in sorted(net.items()) if n != 0}


@dataclass(frozen=True)
class Event:
    """An SBML event with a trigger depending only on ``time`` and parameters.

    Assignments may set species to constants or data values (lookups by a parameter index),
    and parameters (gates, clock variables) to expressions of parameters; they may never read a
    species. ``priority`` is written only when given.
    """

    id: str
    trigger: Expr
    assignments: tuple[tuple[str, Expr], ...]
    initial_value: bool = False
    persistent: bool = True
    use_values_from_trigger_time: bool = True
    priority: float | None = None

    def __post_init__(self) -> None:
        _check_id(self.id, "an event")
        if not self.assignments:
            raise NetworkError(f"Event {self.id!r} must assign at least one variable.")
        targets = [t for t, _ in self.assignments]
        if len(set(targets)) != len(targets):
            raise NetworkError(f"Event {self.id!r} assigns a variable twice.")
        if "time" not in set(symbols(self.trigger)):
            raise NetworkError(f"The trigger of event {self.id!r} must depend on time.")


@dataclass(frozen=True)
class Readout:
    """A named signed value carried by a dual-rail pair (``plus - minus``)."""

    name: str
    plus: str
    minus: str
    role: Role = Role.PARAMETER


@dataclass(frozen=True)
class Observable:
    """A named value computed from species and parameters, readable in any simulator.

    The writers give it as a non-constant parameter with an assignment rule (SBML
    ``<assignmentRule>``, Antimony ``id := expr``): a learned parameter ``theta_<col>`` (the
    difference of its rails), the current ``loss`` or a ``prediction``. It changes no dynamics,
    and no event and no reaction may read it (it is computed from species).

    Parameters
    ----------
    id
        SBML id of the parameter (unique among every id of the network).
    expr
        The value, an expression over species and non-observable parameters (not ``time``).
    name
        The SBML ``name`` attribute, e.g. the data's column name (``x1*x2``); empty: none.
    role
        What it is: :attr:`Role.PARAMETER` (a learned parameter), :attr:`Role.ERROR` (a loss)
        or :attr:`Role.OUTPUT` (a prediction).
    units
        Unit id of the value (``mole_per_litre`` for a signed rail difference,
        ``mole2_per_litre2`` for a loss).
    """

    id: str
    expr: Expr
    name: str = ""
    role: Role = Role.PARAMETER
    units: str = "mole_per_litre"

    def __post_init__(self) -> None:
        _check_id(self.id, "an observable")
        if not isinstance(self.name, str) or any(ord(c) < 32 for c in self.name):
            raise NetworkError(
                f"The name of observable {self.id!r} must be a string without control "
                f"characters. Got {self.name!r} instead."
            )
        _check_id(self.units, f"observable {self.id!r}'s units")


_NOT_ID = re.compile(r"[^A-Za-z0-9_]+")


def sanitize_id(text: str, prefix: str = "") -> str:
    """``prefix + text`` as a valid SBML id: every run of characters other than letters, digits
    and ``_`` becomes one ``_`` (``x1*x2`` → ``x1_x2``), ``_`` at the ends of ``text`` are
    dropped, and an id that would be empty, start with a digit or be reserved gets a leading
    ``v`` (``2x`` → ``v2x``)."""
    body = _NOT_ID.sub("_", str(text)).strip("_")
    ident = prefix + body if prefix else body
    if not ident or not _ID.match(ident) or ident in _RESERVED:
        ident = "v" + ident
    return ident


def unique_ids(
    texts: Sequence[str], prefix: str = "", taken: frozenset[str] = frozenset()
) -> list[str]:
    """:func:`sanitize_id` of every text, made unique in order: a repeated id gets ``_2``,
    ``_3``, … (``x_1`` and ``x 1`` → ``x_1``, ``x_1_2``); ids in ``taken`` are avoided too."""
    used = set(taken)
    out = []
    for text in texts:
        base = sanitize_id(text, prefix)
        ident, k = base, 2
        while ident in used:
            ident, k = f"{base}_{k}", k + 1
        used.add(ident)
        out.append(ident)
    return out


@dataclass(frozen=True)
class Network:
    """An immutable reaction network with events and readouts.

    Construction checks every invariant: valid and unique ids, known species and parameters in
    reactions, events and readouts, non-negative finite rate constants, unbroken dual-rail
    readouts, events that never assign a value computed from a species, and observables over
    species and parameters that nothing but the writers reads.
    """

    id: str
    species: tuple[Species, ...]
    parameters: tuple[Parameter, ...]
    reactions: tuple[Reaction, ...]
    events: tuple[Event, ...] = ()
    readouts: tuple[Readout, ...] = ()
    notes: str = ""
    observables: tuple[Observable, ...] = ()
    _index: Mapping[str, object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_id(self.id, "the network")
        index: dict[str, object] = {}
        items = (*self.species, *self.parameters, *self.reactions, *self.events, *self.observables)
        for item in items:
            if item.id in index:
                raise NetworkError(f"The id {item.id!r} is used twice in network {self.id!r}.")
            index[item.id] = item
        object.__setattr__(self, "_index", MappingProxyType(index))
        species = {s.id for s in self.species}
        params = {p.id: p for p in self.parameters}
        for r in self.reactions:
            for s in (*r.reactants, *r.products):
                if s not in species:
                    raise NetworkError(f"Reaction {r.id!r} uses unknown species {s!r}.")
            for p in (r.rate, *r.gates):
                if p not in params:
                    raise NetworkError(f"Reaction {r.id!r} uses unknown parameter {p!r}.")
            if params[r.rate].role is not Role.RATE:
                raise NetworkError(f"The rate of reaction {r.id!r} must be a rate parameter.")
            for g in r.gates:
                if params[g].role is not Role.GATE:
                    raise NetworkError(f"Gate {g!r} of reaction {r.id!r} must be a gate.")
        known = species | set(params) | {"time"}
        observed = {ob.id for ob in self.observables}
        for ev in self.events:
            for name in (*symbols(ev.trigger), *(n for _, v in ev.assignments for n in symbols(v))):
                if name in observed:
                    raise NetworkError(
                        f"Event {ev.id!r} reads observable {name!r}, which is computed from "
                        "species; events may only read time, constants, data values and gates."
                    )
            for name in symbols(ev.trigger):
                if name not in known:
                    raise NetworkError(f"The trigger of event {ev.id!r} uses unknown {name!r}.")
                if name in species:
                    raise NetworkError(f"The trigger of event {ev.id!r} must not read a species.")
            for target, value in ev.assignments:
                if target not in species and target not in params:
                    raise NetworkError(f"Event {ev.id!r} assigns unknown variable {target!r}.")
                if target in params and params[target].constant:
                    raise NetworkError(
                        f"Event {ev.id!r} assigns parameter {target!r}, which is constant."
                    )
                for name in symbols(value):
                    if name not in known or name == "time":
                        raise NetworkError(f"Event {ev.id!r} uses unknown or time {name!r}.")
                    if name in species:
                        raise NetworkError(
                            f"Event {ev.id!r} assigns a value computed from species {name!r}; "
                            "events may only set constants, data values and gates."
                        )
        names = set()
        for ro in self.readouts:
            if ro.name in names:
                raise NetworkError(f"Readout {ro.name!r} is defined twice.")
            names.add(ro.name)
            for s in (ro.plus, ro.minus):
                if s not in species:
                    raise NetworkError(f"Readout {ro.name!r} uses unknown species {s!r}.")
        self._check_observables(species, set(params))

    def _check_observables(self, species: set[str], params: set[str]) -> None:
        """Observables read only species and parameters (no ``time``, no other observable);
        the event checks above already refuse events reading them (they are not known there)."""
        for ob in self.observables:
            if not isinstance(ob, Observable):
                raise NetworkError(
                    f"The observables of network {self.id!r} must be Observable items. "
                    f"Got {ob!r} instead."
                )
            names = set(symbols(ob.expr))
            if not names:
                raise NetworkError(f"Observable {ob.id!r} must read a species or a parameter.")
            for name in sorted(names):
                if name not in species and name not in params:
                    raise NetworkError(
                        f"The expression of observable {ob.id!r} must read only species and "
                        f"parameters. Got {name!r} instead."
                    )

    def __getitem__(self, id_: str) -> object:
        return self._index[id_]

    def species_ids(self) -> tuple[str, ...]:
        """Ids of all species, in declaration order."""
        return tuple(s.id for s in self.species)

    def parameter(self, id_: str) -> Parameter:
        """The parameter with id ``id_``."""
        item = self._index.get(id_)
        if not isinstance(item, Parameter):
            raise KeyError(id_)
        return item

    def stats(self) -> dict[str, int]:
        """Counts of species, reactions, events and the largest molecularity."""
        return {
            "species": len(self.species),
            "reactions": len(self.reactions),
            "events": len(self.events),
            "parameters": len(self.parameters),
            "max_molecularity": max((r.molecularity for r in self.reactions), default=0),
        }

    def observable(self, id_: str) -> Observable:
        """The observable with id ``id_``."""
        item = self._index.get(id_)
        if not isinstance(item, Observable):
            raise KeyError(id_)
        return item

    def readout(self, name: str) -> Readout:
        """The readout called ``name``."""
        for ro in self.readouts:
            if ro.name == name:
                return ro
        raise KeyError(name)
