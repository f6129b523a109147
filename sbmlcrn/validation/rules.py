"""The Neural-CRN rules (codes CRN001 to CRN041, CRN900): the form of a compiled Neural CRN.

:func:`_crn_findings` checks a libSBML model for irreversible mass-action reactions of bounded
molecularity, species changed by reactions only, time-triggered events independent of species,
complete dual-rail pairs and the conventions of concentrations in a compartment of size 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libsbml

from sbmlcrn.validation.elements import (
    _ast_type,
    _formula,
    _items,
    _label,
    _names,
    _one_line,
    _refers_to_time,
)
from sbmlcrn.validation.report import ERROR, INFO, WARNING, Finding

# MathML node types.
_NUMBERS = frozenset(
    {libsbml.AST_INTEGER, libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL}
)
_CONSTANTS = frozenset({libsbml.AST_CONSTANT_E, libsbml.AST_CONSTANT_PI, libsbml.AST_NAME_AVOGADRO})
_POWERS = frozenset({libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER})
_NODE_LABELS = {
    libsbml.AST_PLUS: "a sum",
    libsbml.AST_MINUS: "a subtraction or negation",
    libsbml.AST_DIVIDE: "a division",
    libsbml.AST_FUNCTION: "a function call",
    libsbml.AST_FUNCTION_PIECEWISE: "a piecewise expression",
    libsbml.AST_NAME_TIME: "time",
    libsbml.AST_FUNCTION_DELAY: "delay()",
}


@dataclass
class _Symbols:
    """Ids of the model by kind, and which symbols depend on species."""

    species: set[str]
    compartments: set[str]
    parameters: set[str]
    reactions: set[str]
    from_species: set[str]  # species, reaction ids, and symbols rules compute from them
    assigned: set[str]  # targets of rules, initial assignments and event assignments


def _symbols(model: libsbml.Model) -> _Symbols:
    species = {s.getId() for s in _items(model.getListOfSpecies())}
    reactions = {r.getId() for r in _items(model.getListOfReactions()) if r.getId()}
    depends: dict[str, set[str]] = {}
    assigned: set[str] = set()
    for rule in _items(model.getListOfRules()):
        if rule.isAlgebraic():
            continue
        variable = rule.getVariable()
        assigned.add(variable)
        depends.setdefault(variable, set()).update(_names(rule.getMath()))
    for ia in _items(model.getListOfInitialAssignments()):
        assigned.add(ia.getSymbol())
    for event in _items(model.getListOfEvents()):
        for ea in _items(event.getListOfEventAssignments()):
            assigned.add(ea.getVariable())
    # A symbol depends on species if it is one, is a reaction rate, or a rule computes it from
    # such a symbol: walk the rules backwards from those seeds (linear, safe with cycles).
    users: dict[str, list[str]] = {}
    for variable, names in depends.items():
        for name in names:
            users.setdefault(name, []).append(variable)
    from_species = set(species) | reactions
    queue = list(from_species)
    while queue:
        for user in users.get(queue.pop(), ()):
            if user not in from_species:
                from_species.add(user)
                queue.append(user)
    return _Symbols(
        species=species,
        compartments={c.getId() for c in _items(model.getListOfCompartments())},
        parameters={p.getId() for p in _items(model.getListOfParameters())},
        reactions=reactions,
        from_species=from_species,
        assigned=assigned,
    )


def _crn_findings(
    model: libsbml.Model, level: int, max_molecularity: int
) -> tuple[list[Finding], int]:
    """All Neural-CRN findings and the largest molecularity found."""
    findings: list[Finding] = []
    max_seen = 0
    try:
        symbols = _symbols(model)
    except Exception as exc:  # a libSBML oddity must not escape; see CRN900
        return [_internal("symbol table", exc)], 0
    try:
        reaction_findings, max_seen = _check_reactions(model, level, symbols, max_molecularity)
        findings += reaction_findings
    except Exception as exc:
        findings.append(_internal("reaction", exc))
    for name, check in (
        ("rule", _check_rules),
        ("event", _check_events),
        ("species", _check_species),
        ("compartment", _check_compartments),
    ):
        try:
            findings += check(model, symbols)
        except Exception as exc:
            findings.append(_internal(name, exc))
    return findings, max_seen


def _internal(what: str, exc: Exception) -> Finding:
    return Finding(
        ERROR,
        "crn:internal",
        "CRN900",
        f"the {what} checks failed on this model ({type(exc).__name__}: {_one_line(str(exc))}); "
        "please report this as a bug of sbmlcrn",
    )


# Reactions ----------------------------------------------------------------------------------


def _check_reactions(
    model: libsbml.Model, level: int, symbols: _Symbols, max_molecularity: int
) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    max_seen = 0.0
    for index, reaction in enumerate(_items(model.getListOfReactions())):
        label, rid = _label("reaction", reaction, index)
        unset = level >= 3 and not reaction.isSetReversible()
        if unset or reaction.getReversible():
            what = "does not declare reversible" if unset else "is reversible"
            findings.append(
                Finding(
                    ERROR,
                    "crn:irreversible",
                    "CRN002",
                    f"{label} {what}; Neural-CRN reactions are irreversible "
                    '(reversible="false"; Antimony "=>")',
                    rid,
                )
            )
        if reaction.isSetFast() and reaction.getFast():
            findings.append(
                Finding(
                    ERROR,
                    "crn:mass-action",
                    "CRN006",
                    f'{label} is declared fast="true": simulators hold it at equilibrium '
                    "instead of running its kinetic law; Neural-CRN reactions are not fast",
                    rid,
                )
            )
        stoichiometry, problems = _reactant_stoichiometry(reaction, symbols)
        for problem in problems:
            findings.append(
                Finding(ERROR, "crn:molecularity", "CRN005", f"{label}: {problem}", rid)
            )
        molecularity = sum(stoichiometry.values())
        max_seen = max(max_seen, molecularity)
        if molecularity > max_molecularity:
            findings.append(
                Finding(
                    ERROR,
                    "crn:molecularity",
                    "CRN004",
                    f"{label} has molecularity {molecularity:g} (sum of reactant "
                    f"stoichiometries); at most {max_molecularity} is allowed",
                    rid,
                )
            )
        law = reaction.getKineticLaw() if reaction.isSetKineticLaw() else None
        math_ = law.getMath() if law is not None else None
        if math_ is None:
            what = "has no kinetic law" if law is None else "has a kinetic law without math"
            findings.append(Finding(ERROR, "crn:mass-action", "CRN001", f"{label} {what}", rid))
            continue
        local = (
            {p.getId() for p in _items(law.getListOfParameters())}
            if law.getNumParameters()
            else set()
        )
        if level >= 3 and law.getNumLocalParameters():
            local |= {p.getId() for p in _items(law.getListOfLocalParameters())}
        issues = _mass_action_issues(math_, stoichiometry, local, symbols, exact=not problems)
        if issues:
            findings.append(
                Finding(
                    ERROR,
                    "crn:mass-action",
                    "CRN003",
                    f"{label}: kinetic law '{_formula(math_)}' is not mass action: "
                    + "; ".join(issues),
                    rid,
                )
            )
    return findings, math.ceil(max_seen)


def _reactant_stoichiometry(
    reaction: libsbml.Reaction, symbols: _Symbols
) -> tuple[dict[str, float], list[str]]:
    """Total stoichiometry of each reactant species, and the problems found on the way."""
    totals: dict[str, float] = {}
    problems: list[str] = []
    for ref in _items(reaction.getListOfReactants()):
        species = ref.getSpecies()
        if hasattr(ref, "isSetStoichiometryMath") and ref.isSetStoichiometryMath():
            problems.append(f"the stoichiometry of reactant '{species}' is given by math")
            continue
        if ref.isSetId() and ref.getId() in symbols.assigned:
            problems.append(
                f"the stoichiometry of reactant '{species}' ('{ref.getId()}') is changed by "
                "a rule or assignment"
            )
        n = ref.getStoichiometry() if ref.isSetStoichiometry() else 1.0
        if not (math.isfinite(n) and n > 0 and float(n).is_integer()):
            problems.append(
                f"the stoichiometry {n:g} of reactant '{species}' is not a positive integer"
            )
            if not math.isfinite(n) or n <= 0:
                continue
        totals[species] = totals.get(species, 0.0) + n
    return totals, problems


def _mass_action_issues(
    law: libsbml.ASTNode,
    stoichiometry: Mapping[str, float],
    local: set[str],
    symbols: _Symbols,
    *,
    exact: bool,
) -> list[str]:
    """Why ``law`` is not ``constants * ∏ reactant^stoichiometry`` (empty if it is)."""
    issues: list[str] = []
    exponents: dict[str, float] = {}

    def symbol(name: str) -> str | None:
        """'species', 'constant', or None after recording an issue."""
        if name in local:
            return "constant"
        if name in symbols.species:
            return "species"
        if name in symbols.reactions:
            issues.append(f"uses the rate of reaction '{name}'")
        elif name in symbols.from_species:
            issues.append(f"uses '{name}', which a rule computes from species")
        elif name in symbols.parameters or name in symbols.compartments:
            return "constant"
        else:
            issues.append(f"uses '{name}', which is not a species, compartment or parameter")
        return None

    stack = [law]
    while stack:
        node = stack.pop()
        kind = _ast_type(node)
        if kind == libsbml.AST_TIMES:
            children = (node.getChild(i) for i in range(node.getNumChildren()))
            stack.extend(child for child in children if child is not None)
        elif kind in _NUMBERS:
            value = node.getValue()
            if not (math.isfinite(value) and value >= 0):
                issues.append(f"has the factor {_formula(node)}, not a finite number >= 0")
        elif kind in _CONSTANTS:
            pass
        elif kind == libsbml.AST_NAME:
            if symbol(node.getName()) == "species":
                exponents[node.getName()] = exponents.get(node.getName(), 0.0) + 1.0
        elif kind in _POWERS and node.getNumChildren() == 2:
            base, power = node.getChild(0), node.getChild(1)
            exponent = power.getValue() if _ast_type(power) in _NUMBERS else math.nan
            if not math.isfinite(exponent):
                issues.append(f"has the power {_formula(node)}, whose exponent is not a number")
            elif _ast_type(base) in _NUMBERS or _ast_type(base) in _CONSTANTS:
                pass
            elif _ast_type(base) != libsbml.AST_NAME:
                issues.append(f"has the power {_formula(node)} of an expression")
            elif symbol(base.getName()) == "species":
                if exponent > 0 and float(exponent).is_integer():
                    name = base.getName()
                    exponents[name] = exponents.get(name, 0.0) + exponent
                else:
                    issues.append(f"has the power {_formula(node)}, not a positive integer one")
        else:
            label = _NODE_LABELS.get(kind, "an expression that is not a product")
            issues.append(f"contains {label} ('{_formula(node)}')")
    if issues or not exact:
        return issues
    for name in sorted(exponents.keys() - stoichiometry.keys()):
        issues.append(f"uses species '{name}', which is not a reactant")
    for name in sorted(stoichiometry):
        got, want = exponents.get(name, 0.0), stoichiometry[name]
        if got != want:
            issues.append(
                f"reactant '{name}' appears to the power {got:g}, but its stoichiometry is {want:g}"
            )
    return issues


# Rules, events, species, compartments -------------------------------------------------------


def _check_rules(model: libsbml.Model, symbols: _Symbols) -> list[Finding]:
    findings: list[Finding] = []
    for index, rule in enumerate(_items(model.getListOfRules())):
        if rule.isAlgebraic():
            findings.append(
                Finding(
                    ERROR,
                    "crn:rules",
                    "CRN021",
                    f"algebraic rule #{index + 1} '0 = {_formula(rule.getMath())}': a Neural "
                    "CRN has no algebraic rules; its species evolve by reactions only",
                    None,
                )
            )
            continue
        variable = rule.getVariable()
        if variable in symbols.species:
            kind = "rate" if rule.isRate() else "assignment"
            findings.append(
                Finding(
                    ERROR,
                    "crn:rules",
                    "CRN020",
                    f"{kind} rule on species '{variable}': a Neural CRN's species evolve by "
                    "reactions only",
                    variable,
                )
            )
    return findings


def _from_species(names: Iterable[str], symbols: _Symbols) -> list[str]:
    return sorted(n for n in names if n in symbols.from_species)


def _check_events(model: libsbml.Model, symbols: _Symbols) -> list[Finding]:
    findings: list[Finding] = []
    for index, event in enumerate(_items(model.getListOfEvents())):
        label, eid = _label("event", event, index)
        trigger = event.getTrigger() if event.isSetTrigger() else None
        trigger_math = trigger.getMath() if trigger is not None else None
        if trigger_math is None:
            findings.append(
                Finding(
                    WARNING,
                    "crn:trigger",
                    "CRN014",
                    f"{label} has no trigger (it never fires)",
                    eid,
                )
            )
        else:
            used = _from_species(_names(trigger_math), symbols)
            if used:
                findings.append(
                    Finding(
                        ERROR,
                        "crn:trigger",
                        "CRN011",
                        f"{label}: trigger '{_formula(trigger_math)}' depends on species "
                        f"({', '.join(used)}); triggers may use only time, parameters, "
                        "compartments and numbers",
                        eid,
                    )
                )
            if not _refers_to_time(trigger_math):
                findings.append(
                    Finding(
                        WARNING,
                        "crn:trigger",
                        "CRN012",
                        f"{label}: trigger '{_formula(trigger_math)}' does not refer to time; "
                        "not a time-based trigger",
                        eid,
                    )
                )
        if event.isSetDelay():
            findings.append(
                Finding(
                    WARNING,
                    "crn:trigger",
                    "CRN013",
                    f"{label} has a delay ('{_formula(event.getDelay().getMath())}'); "
                    "Neural-CRN events take effect when they trigger",
                    eid,
                )
            )
        targets: list[str] = []
        for ea in _items(event.getListOfEventAssignments()):
            target = ea.getVariable()
            targets.append(target)
            used = _from_species(_names(ea.getMath()), symbols)
            if used:
                findings.append(
                    Finding(
                        ERROR,
                        "crn:event-assignment",
                        "CRN010",
                        f"{label} assigns a value computed from species to '{target}': "
                        f"'{_formula(ea.getMath())}' uses {', '.join(used)}",
                        eid,
                    )
                )
        findings += _half_loaded(label, eid, targets, symbols)
    return findings


def _other_rail(species_id: str, symbols: _Symbols) -> str | None:
    """The other rail of a complete dual-rail pair, or None."""
    for rail, other in (("_p", "_m"), ("_m", "_p")):
        if species_id.endswith(rail) and len(species_id) > len(rail):
            candidate = species_id[: -len(rail)] + other
            return candidate if candidate in symbols.species else None
    return None


def _half_loaded(
    label: str, eid: str | None, targets: list[str], symbols: _Symbols
) -> list[Finding]:
    findings = []
    assigned = set(targets)
    reported: set[str] = set()
    for target in targets:
        if target not in symbols.species or target in reported:
            continue
        other = _other_rail(target, symbols)
        if other is not None and other not in assigned:
            reported.add(target)
            findings.append(
                Finding(
                    ERROR,
                    "crn:dual-rail",
                    "CRN031",
                    f"{label} assigns '{target}' but not '{other}'; an event must load both "
                    f"rails of '{target[:-2]}'",
                    eid,
                )
            )
    return findings


def _check_species(model: libsbml.Model, symbols: _Symbols) -> list[Finding]:
    findings: list[Finding] = []
    for species in _items(model.getListOfSpecies()):
        sid = species.getId()
        for rail, other in (("_p", "_m"), ("_m", "_p")):
            if sid.endswith(rail) and len(sid) > len(rail):
                partner = sid[: -len(rail)] + other
                if partner not in symbols.species:
                    findings.append(
                        Finding(
                            WARNING,
                            "crn:dual-rail",
                            "CRN030",
                            f"species '{sid}' is one rail of '{sid[: -len(rail)]}', but the "
                            f"other rail '{partner}' does not exist",
                            sid,
                        )
                    )
        if species.getHasOnlySubstanceUnits():
            findings.append(
                Finding(
                    INFO,
                    "crn:conventions",
                    "CRN040",
                    f"species '{sid}' has hasOnlySubstanceUnits=\"true\"; Neural CRNs use "
                    "concentrations",
                    sid,
                )
            )
    return findings


def _check_compartments(model: libsbml.Model, symbols: _Symbols) -> list[Finding]:
    findings: list[Finding] = []
    level = model.getLevel()
    for compartment in _items(model.getListOfCompartments()):
        cid = compartment.getId()
        if not (compartment.isSetSize() or level == 1):
            what = "has no size"
        elif compartment.getSize() != 1.0:
            what = f"has size {compartment.getSize():g}"
        else:
            continue
        findings.append(
            Finding(
                INFO,
                "crn:conventions",
                "CRN041",
                f"compartment '{cid}' {what}; Neural CRNs assume one compartment of size 1",
                cid,
            )
        )
    return findings
