"""Writers: one :class:`~sbmlcrn.core.network.Network` → Antimony text or SBML Level 3 Version 2.

Both writers walk the network in declaration order, so the same network always gives
byte-identical output. The Antimony writer renders every number with its shortest round-tripping
text; libSBML writes SBML numbers with 15 significant digits (a ~1e-16 relative difference).
Reactions are written irreversible (Antimony ``=>``; SBML ``reversible="false"``) with the
mass-action kinetic law ``C * k * gates * ∏ S^ν`` described in :mod:`sbmlcrn.core.network`.

Units: the model declares seconds, moles and litres; species are concentrations (mol/l) in the
compartment ``C`` of one litre; each rate constant gets the unit its reaction order requires
(zeroth: mol·l⁻¹·s⁻¹, first: s⁻¹, second: l·mol⁻¹·s⁻¹), so libSBML's unit check passes.

The SBML ``<model>`` carries sbmlcrn's annotation
(:data:`~sbmlcrn.validation.markers.SBMLCRN_ANNOTATION`, version-free): it says the model is an
sbmlcrn model, so ``sbmlcrn validate`` runs the Neural-CRN rules on it by default.
"""

from __future__ import annotations

import math
from collections import Counter

import libsbml
import numpy as np

from sbmlcrn.core.expr import Const, Expr, Sym, to_infix
from sbmlcrn.core.expr import format_number as _num
from sbmlcrn.core.network import COMPARTMENT, Network, Reaction, Role
from sbmlcrn.errors import InputError, WriterError
from sbmlcrn.validation.markers import SBMLCRN_ANNOTATION

__all__ = [
    "kinetic_law",
    "sbml_to_antimony",
    "species_names",
    "to_antimony",
    "to_sbml",
]

# SBO terms of the kinetic law, by the reactants' pattern (continuous, irreversible mass action).
_SBO_MASS_ACTION_IRREVERSIBLE = 41
_SBO_BY_PATTERN = {
    (): 47,
    (1,): 49,
    (1, 1): 54,
    (2,): 52,
    (3,): 57,  # third order, one reactant, continuous scheme
    (1, 2): 59,  # third order, two reactants, continuous scheme
    (1, 1, 1): 61,  # third order, three reactants, continuous scheme
}
_SBO_REACTION = 176  # biochemical reaction
_SBO_ROLE = {
    Role.RATE: 9,  # kinetic constant
    Role.GATE: 2,  # quantitative systems description parameter
    Role.CLOCK: 2,
}

# (id, [(kind, exponent)]) for every unit the writer may use.
_UNITS: dict[str, list[tuple[int, int]]] = {
    "per_second": [(libsbml.UNIT_KIND_SECOND, -1)],
    "litre_per_mole_per_second": [
        (libsbml.UNIT_KIND_LITRE, 1),
        (libsbml.UNIT_KIND_MOLE, -1),
        (libsbml.UNIT_KIND_SECOND, -1),
    ],
    "litre2_per_mole2_per_second": [
        (libsbml.UNIT_KIND_LITRE, 2),
        (libsbml.UNIT_KIND_MOLE, -2),
        (libsbml.UNIT_KIND_SECOND, -1),
    ],
    "mole_per_litre_per_second": [
        (libsbml.UNIT_KIND_MOLE, 1),
        (libsbml.UNIT_KIND_LITRE, -1),
        (libsbml.UNIT_KIND_SECOND, -1),
    ],
    "mole_per_litre": [(libsbml.UNIT_KIND_MOLE, 1), (libsbml.UNIT_KIND_LITRE, -1)],
    "mole2_per_litre2": [(libsbml.UNIT_KIND_MOLE, 2), (libsbml.UNIT_KIND_LITRE, -2)],
    "square_metre": [(libsbml.UNIT_KIND_METRE, 2)],
}
_ORDER_UNITS = {
    0: "mole_per_litre_per_second",
    1: "per_second",
    2: "litre_per_mole_per_second",
    3: "litre2_per_mole2_per_second",
}
_ANTIMONY_UNITS = {
    "per_second": "1 / second",
    "litre_per_mole_per_second": "litre / (mole * second)",
    "litre2_per_mole2_per_second": "litre^2 / (mole^2 * second)",
    "mole_per_litre_per_second": "mole / (litre * second)",
    "mole_per_litre": "mole / litre",
    "mole2_per_litre2": "mole^2 / litre^2",
    "square_metre": "metre^2",
}


def kinetic_law(reaction: Reaction) -> str:
    """The kinetic law of ``reaction`` as infix text (``C * k * g * A * B^2``)."""
    factors = [COMPARTMENT, reaction.rate, *reaction.gates]
    for species, n in sorted(Counter(reaction.reactants).items()):
        factors.append(species if n == 1 else f"{species}^{n}")
    return " * ".join(factors)


def rate_units(network: Network) -> dict[str, str]:
    """Unit id of every rate constant, from the order of the reactions that use it.

    Raises
    ------
    WriterError
        If one rate constant serves reactions of different orders (no single unit fits).
    """
    orders: dict[str, set[int]] = {}
    for r in network.reactions:
        orders.setdefault(r.rate, set()).add(r.molecularity)
    units = {}
    for rate, found in orders.items():
        if len(found) != 1 or next(iter(found)) not in _ORDER_UNITS:
            raise WriterError(
                f"Rate constant {rate!r} is used by reactions of orders {sorted(found)}; "
                "give each reaction order its own rate constant."
            )
        units[rate] = _ORDER_UNITS[next(iter(found))]
    return units


def _param_units(network: Network) -> dict[str, str]:
    units = rate_units(network)
    for p in network.parameters:
        units.setdefault(p.id, p.units)
    return units


def species_names(network: Network) -> dict[str, str]:
    """The SBML ``name`` of every species that a readout reads: ``<readout> (positive rail)``
    and ``<readout> (negative rail)`` (``p1_p`` → ``x1 (positive rail)``); the first readout
    naming a species wins."""
    names: dict[str, str] = {}
    for ro in network.readouts:
        names.setdefault(ro.plus, f"{ro.name} (positive rail)")
        names.setdefault(ro.minus, f"{ro.name} (negative rail)")
    return names


def _antimony_string(text: str) -> str:
    """``text`` as an Antimony string literal (its double quotes become single quotes)."""
    return '"' + text.replace('"', "'").replace("\\", "/") + '"'


def _antimony_observables(network: Network) -> list[str]:
    if not network.observables:
        return []
    lines = ["", "  // observables (assignment rules: they read species, nothing reads them)"]
    for ob in network.observables:
        lines.append(f"  {ob.id} := {to_infix(ob.expr)}")
    lines += [f"  {ob.id} has {ob.units}" for ob in network.observables]
    return lines


def _antimony_names(network: Network) -> list[str]:
    named = [*species_names(network).items(), *((o.id, o.name) for o in network.observables)]
    named = [(i, n) for i, n in named if n]
    if not named:
        return []
    lines = ["", "  // display names (SBML name attributes)"]
    return lines + [f"  {i} is {_antimony_string(n)}" for i, n in named]


def _side(ids: tuple[str, ...]) -> str:
    counts = sorted(Counter(ids).items())
    return " + ".join(s if n == 1 else f"{n} {s}" for s, n in counts)


def to_antimony(network: Network) -> str:
    """Render ``network`` as Antimony text.

    The text loads with ``antimony`` and ``tellurium.loada`` and describes the same model as
    :func:`to_sbml` (same ids, values, kinetic laws and events).
    """
    units = _param_units(network)
    lines = [f"// {line}" if line else "//" for line in network.notes.splitlines()]
    lines.append(f"model {network.id}()")
    lines += [
        "  // units: concentrations in mol/l in one compartment of 1 l, time in seconds",
        "  unit time_unit = second",
        "  unit substance = mole",
        "  unit volume = litre",
        "  unit extent = mole",
        "  unit length = metre",
        "  unit area = metre^2",
    ]
    for uid, text in sorted(_ANTIMONY_UNITS.items()):
        lines.append(f"  unit {uid} = {text}")
    lines += ["", f"  compartment {COMPARTMENT} = 1 litre"]
    lines.append("")
    lines.append("  // species")
    for s in network.species:
        lines.append(f"  species {s.id} in {COMPARTMENT} = {_num(s.initial)} mole_per_litre")
    lines.append("")
    lines.append("  // reactions (irreversible mass action)")
    for r in network.reactions:
        lines.append(f"  {r.id}: {_side(r.reactants)} => {_side(r.products)}; {kinetic_law(r)}")
    lines.append("")
    lines.append("  // parameters")
    for p in network.parameters:
        unit = units[p.id]
        prefix = "const " if p.constant else "var "
        lines.append(f"  {prefix}{p.id} = {_num(p.value)} {unit}")
    lines += _antimony_observables(network)
    if network.events:
        lines.append("")
        lines.append("  // events (time-triggered; they switch gates and load data values)")
    for ev in network.events:
        attrs = [
            f"t0={'true' if ev.initial_value else 'false'}",
            f"persistent={'true' if ev.persistent else 'false'}",
            f"fromTrigger={'true' if ev.use_values_from_trigger_time else 'false'}",
        ]
        if ev.priority is not None:
            attrs.append(f"priority={_num(ev.priority)}")
        body = ", ".join(f"{t} = {to_infix(v)}" for t, v in ev.assignments)
        lines.append(f"  {ev.id}: at ({to_infix(ev.trigger)}), {', '.join(attrs)}: {body}")
    lines += _antimony_names(network)
    lines.append("end")
    return "\n".join(lines) + "\n"


def _check(code: int, what: str) -> None:
    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise WriterError(
            f"libSBML failed to set {what}: {libsbml.OperationReturnValue_toString(code)}"
        )


def _math(text: str, what: str) -> libsbml.ASTNode:
    ast = libsbml.parseL3Formula(text)
    if ast is None:
        raise WriterError(f"libSBML could not parse the {what}: {libsbml.getLastParseL3Error()}")
    return ast


def to_sbml(network: Network, *, molecules: int | None = None, nanomolar: bool = False) -> str:
    """Render ``network`` as an SBML Level 3 Version 2 document (UTF-8 XML text).

    Parameters
    ----------
    network
        The network to write.
    molecules
        None (default): concentrations in mol/l in the compartment ``C`` of one litre. An
        integer ``N``: the model at volume ``N`` in which one unit of concentration is ``N``
        molecules (for stochastic simulation): substances are counted in ``item`` s, ``C``
        has size ``N``, each species' initial *amount* is its initial concentration times
        ``N`` rounded to a whole molecule, the mole-based unit definitions become item-based
        (``mole_per_litre`` → ``item_per_litre``, …) with every reference to them (parameter
        units, units of numbers in event assignments), and the notes say so. Rate constants
        and kinetic laws are unchanged, so in concentrations the model is the same.
    nanomolar
        Concentrations in nmol/l instead of mol/l (a DNA implementation's physical units):
        the substance unit is ``nanomole`` (mole with scale -9) and every unit definition
        counted in moles is counted in nanomoles (``mole_per_litre`` → ``nanomole_per_litre``,
        second-order rate constants in l·nmol⁻¹·s⁻¹). Values are written as given.

    Returns
    -------
    str
        The document; the same network (and ``molecules``) always gives the same text.

    Raises
    ------
    InputError
        ``molecules`` is not a positive integer.
    WriterError
        libSBML rejects an element.
    """
    n = _check_molecules(molecules)
    if n is not None and nanomolar:
        raise InputError(
            "The molecules and nanomolar parameters of to_sbml cannot be used together. "
            f"Got molecules={n} and nanomolar=True instead."
        )
    rename = _mole_units("item") if n is not None else _mole_units("nanomole") if nanomolar else {}
    doc = libsbml.SBMLDocument(3, 2)
    model = doc.createModel()
    _check(model.setId(network.id), "the model id")
    _write_notes(model, network, n)
    _check(model.setAnnotation(SBMLCRN_ANNOTATION), "the model annotation")
    substance = "item" if n is not None else "nanomole" if nanomolar else "mole"
    for attr, unit in (
        ("setTimeUnits", "second"),
        ("setSubstanceUnits", substance),
        ("setExtentUnits", substance),
        ("setVolumeUnits", "litre"),
        ("setLengthUnits", "metre"),
        ("setAreaUnits", "square_metre"),
    ):
        _check(getattr(model, attr)(unit), attr)
    extra = {"nanomole": [(_MOLE, 1)]} if nanomolar else {}
    for uid, parts in sorted({**_UNITS, **extra}.items()):
        ud = model.createUnitDefinition()
        ud.setId(rename.get(uid, uid))
        for kind, exponent in parts:
            unit = ud.createUnit()
            unit.setKind(libsbml.UNIT_KIND_ITEM if kind == _MOLE and n is not None else kind)
            unit.setExponent(exponent)
            unit.setScale(-9 if kind == _MOLE and nanomolar else 0)
            unit.setMultiplier(1.0)
    comp = model.createCompartment()
    comp.setId(COMPARTMENT)
    comp.setSize(1.0 if n is None else float(n))
    comp.setConstant(True)
    comp.setSpatialDimensions(3)
    comp.setUnits("litre")
    names = species_names(network)
    for s in network.species:
        sp = model.createSpecies()
        sp.setId(s.id)
        if s.id in names:
            _check(sp.setName(names[s.id]), f"the name of {s.id}")
        sp.setCompartment(COMPARTMENT)
        if n is None:
            sp.setInitialConcentration(float(s.initial))
        else:
            sp.setInitialAmount(float(round(float(s.initial) * n)))
        sp.setHasOnlySubstanceUnits(False)
        sp.setBoundaryCondition(False)
        sp.setConstant(False)
        sp.setSubstanceUnits(substance)
    units = _param_units(network)
    for p in network.parameters:
        par = model.createParameter()
        par.setId(p.id)
        par.setValue(float(p.value))
        par.setConstant(p.constant)
        par.setUnits(rename.get(units[p.id], units[p.id]))
        if p.role in _SBO_ROLE:
            par.setSBOTerm(_SBO_ROLE[p.role])
    _write_observables(model, network, rename)
    _write_reactions(model, network)
    _write_events(model, network, rename)
    errors = doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR)
    if errors:
        raise WriterError(f"libSBML reported {errors} errors while writing {network.id!r}.")
    text = libsbml.writeSBMLToString(doc)
    if not text:
        raise WriterError(f"libSBML could not serialise network {network.id!r}.")
    return text


_MOLE = libsbml.UNIT_KIND_MOLE


def _check_molecules(molecules: int | None) -> int | None:
    if molecules is None:
        return None
    if isinstance(molecules, bool) or not isinstance(molecules, int | np.integer) or molecules < 1:
        raise InputError(
            "The molecules parameter of to_sbml must be a positive integer or None. "
            f"Got {molecules!r} instead."
        )
    return int(molecules)


def _mole_units(new: str) -> dict[str, str]:
    """Old → new id of every unit definition counted in moles (``mole`` → ``new``)."""
    return {
        uid: uid.replace("mole", new)
        for uid, parts in _UNITS.items()
        if any(kind == _MOLE for kind, _ in parts)
    }


def _write_notes(model: libsbml.Model, network: Network, molecules: int | None) -> None:
    paragraphs = [_xml_escape(line) for line in network.notes.splitlines() if line]
    if molecules is not None:
        paragraphs.append(
            f"Stochastic variant: one unit of concentration is {molecules} molecules (substance "
            f"unit item, compartment C of size {molecules}); initial amounts and loaded data are "
            "whole molecules."
        )
    if network.notes or molecules is not None:
        notes = "".join(f"<p>{text}</p>" for text in paragraphs)
        _check(
            model.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{notes}</body>'),
            "the model notes",
        )


_ARITHMETIC = {
    "+": sum,
    "*": math.prod,
    "-": lambda a: a[0] - a[1],
    "/": lambda a: a[0] / a[1],
    "^": lambda a: a[0] ** a[1],
    ">": lambda a: float(a[0] > a[1]),
    ">=": lambda a: float(a[0] >= a[1]),
    "<": lambda a: float(a[0] < a[1]),
    "<=": lambda a: float(a[0] <= a[1]),
    "&&": lambda a: float(all(a)),
    "piecewise": lambda a: a[0] if a[1] else a[2],
}


def _evaluate(expr: Expr, values: dict[str, float]) -> float:
    """``expr`` at the given values of its symbols (the writers' own arithmetic)."""
    if isinstance(expr, Const):
        return float(expr.value)
    if isinstance(expr, Sym):
        return values[expr.name]
    return float(_ARITHMETIC[expr.op]([_evaluate(a, values) for a in expr.args]))


def _write_observables(model: libsbml.Model, network: Network, rename: dict[str, str]) -> None:
    """Each observable as a non-constant parameter (with its ``name``) and its assignment rule.

    Its ``value`` attribute (which the rule overrides) is the expression at the network's
    initial concentrations and parameter values, for readers that ignore rules.
    """
    values = {s.id: float(s.initial) for s in network.species}
    values |= {p.id: float(p.value) for p in network.parameters}
    for ob in network.observables:
        par = model.createParameter()
        par.setId(ob.id)
        if ob.name:
            _check(par.setName(ob.name), f"the name of {ob.id}")
        par.setValue(_evaluate(ob.expr, values))
        par.setConstant(False)
        _check(par.setUnits(rename.get(ob.units, ob.units)), f"the units of {ob.id}")
    for ob in network.observables:
        rule = model.createAssignmentRule()
        rule.setVariable(ob.id)
        tree = _math(to_infix(ob.expr), f"assignment rule of {ob.id}")
        _rename_units(tree, rename)
        _check(rule.setMath(tree), f"the rule of {ob.id}")


def _write_reactions(model: libsbml.Model, network: Network) -> None:
    for r in network.reactions:
        rx = model.createReaction()
        rx.setId(r.id)
        rx.setReversible(False)
        rx.setSBOTerm(_SBO_REACTION)
        for ids, create in ((r.reactants, rx.createReactant), (r.products, rx.createProduct)):
            for species, n in sorted(Counter(ids).items()):
                ref = create()
                ref.setSpecies(species)
                ref.setStoichiometry(float(n))
                ref.setConstant(True)
        law = rx.createKineticLaw()
        _check(law.setMath(_math(kinetic_law(r), f"kinetic law of {r.id}")), f"{r.id} law")
        pattern = tuple(sorted(Counter(r.reactants).values()))
        law.setSBOTerm(_SBO_BY_PATTERN.get(pattern, _SBO_MASS_ACTION_IRREVERSIBLE))


def _write_events(model: libsbml.Model, network: Network, rename: dict[str, str]) -> None:
    for ev in network.events:
        e = model.createEvent()
        e.setId(ev.id)
        e.setUseValuesFromTriggerTime(ev.use_values_from_trigger_time)
        trig = e.createTrigger()
        trig.setInitialValue(ev.initial_value)
        trig.setPersistent(ev.persistent)
        _check(trig.setMath(_math(to_infix(ev.trigger), f"trigger of {ev.id}")), "a trigger")
        if ev.priority is not None:
            pr = e.createPriority()
            _check(pr.setMath(_math(_num(ev.priority), f"priority of {ev.id}")), "a priority")
        for target, value in ev.assignments:
            ea = e.createEventAssignment()
            ea.setVariable(target)
            math = _math(to_infix(value), f"assignment {ev.id}.{target}")
            _rename_units(math, rename)
            _check(ea.setMath(math), target)


def _rename_units(node: libsbml.ASTNode | None, rename: dict[str, str]) -> None:
    """Replace the units of the numbers in ``node`` (and below) by their ``rename`` value."""
    if node is None or not rename:
        return
    if node.isSetUnits() and node.getUnits() in rename:
        node.setUnits(rename[node.getUnits()])
    for i in range(node.getNumChildren()):
        _rename_units(node.getChild(i), rename)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sbml_to_antimony(sbml: str) -> str:
    """Antimony text of an SBML document (as Antimony itself translates it), e.g. of a model
    written with ``to_sbml(network, molecules=N)``, whose item units only SBML can say.

    Raises
    ------
    WriterError
        If Antimony cannot read the document.
    """
    import antimony

    antimony.clearPreviousLoads()
    if antimony.loadSBMLString(sbml) < 0:
        raise WriterError(f"Antimony could not read the SBML model: {antimony.getLastError()}")
    text = antimony.getAntimonyString(antimony.getMainModuleName())
    antimony.clearPreviousLoads()
    return text
