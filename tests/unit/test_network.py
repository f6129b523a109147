"""Invariants of the network description, the expression trees and the writers."""

from __future__ import annotations

import antimony
import libsbml
import numpy as np
import pytest

from sbmlcrn.circuits.clock import Phase, PhaseClock
from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.core.expr import Const, Op, Sym, balanced_lookup, to_infix
from sbmlcrn.core.network import Event, Network, Parameter, Reaction, Role, Species
from sbmlcrn.errors import InputError, NetworkError
from sbmlcrn.io.sbml import to_antimony, to_sbml
from tests.helpers import linear_data


def tiny(**changes) -> Network:
    parts = dict(
        id="m",
        species=(Species("A", 1.0), Species("B", 0.0)),
        parameters=(Parameter("k", 1.0), Parameter("g", 1.0, Role.GATE, constant=False)),
        reactions=(Reaction("r1", ("A",), ("B",), "k", ("g",)),),
        events=(
            Event(
                "ev",
                Op(">=", (Sym("time"), Const(1.0))),
                (("g", Const(0.0)), ("A", Const(2.0))),
            ),
        ),
    )
    parts.update(changes)
    return Network(**parts)


def test_valid_network_builds_and_counts() -> None:
    net = tiny()
    assert net.stats() == {
        "species": 2,
        "reactions": 1,
        "events": 1,
        "parameters": 2,
        "max_molecularity": 1,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reactions": (Reaction("r1", ("A",), ("Z",), "k"),)}, "unknown species 'Z'"),
        ({"reactions": (Reaction("r1", ("A",), ("B",), "kk"),)}, "unknown parameter 'kk'"),
        ({"species": (Species("A"), Species("A"))}, "used twice"),
        ({"reactions": (Reaction("r1", ("A",), ("B",), "g"),)}, "must be a rate parameter"),
        (
            {"events": (Event("ev", Op(">=", (Sym("time"), Const(1.0))), (("A", Sym("B")),)),)},
            "computed from species",
        ),
        (
            {
                "events": (
                    Event(
                        "ev",
                        Op(
                            "&&",
                            (Op(">=", (Sym("time"), Const(1.0))), Op(">", (Sym("A"), Const(0.0)))),
                        ),
                        (("g", Const(0.0)),),
                    ),
                )
            },
            "must not read a species",
        ),
        (
            {"events": (Event("ev", Op(">=", (Sym("time"), Const(1.0))), (("k", Const(2.0)),)),)},
            "which is constant",
        ),
    ],
)
def test_invariants_raise_typed_errors(changes: dict, message: str) -> None:
    with pytest.raises(NetworkError, match=message):
        tiny(**changes)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Species("1A"),
        lambda: Species("time"),
        lambda: Species("A", -1.0),
        lambda: Species("A", float("nan")),
        lambda: Parameter("k", -1.0),
        lambda: Parameter("k", float("inf")),
        lambda: Reaction("r", (), (), "k"),
        lambda: Reaction("r", ("A",), ("A",), "k"),
        lambda: Event("e", Op(">=", (Sym("p"), Const(1.0))), (("g", Const(0.0)),)),
        lambda: Event("e", Op(">=", (Sym("time"), Const(1.0))), ()),
    ],
)
def test_elements_check_themselves(build) -> None:
    with pytest.raises(NetworkError):
        build()


def test_balanced_lookup_selects_every_value_and_stays_shallow() -> None:
    values = [float(v) for v in np.random.default_rng(1).normal(size=100)]
    tree = balanced_lookup(Sym("i"), values)

    def evaluate(e, i: int) -> float:
        if isinstance(e, Const):
            return e.value
        if e.op == "piecewise":
            cond = e.args[1]
            return evaluate(e.args[0] if i < cond.args[1].value else e.args[2], i)
        raise AssertionError(e)

    def depth(e) -> int:
        return 0 if isinstance(e, Const) else 1 + max(depth(e.args[0]), depth(e.args[2]))

    assert [evaluate(tree, i) for i in range(100)] == values
    assert depth(tree) == 7  # ceil(log2(100)): never a flat 33-branch piecewise
    assert balanced_lookup(Sym("i"), [3.0] * 50) == Const(3.0)


def test_infix_renders_precedence_and_negative_numbers() -> None:
    e = Op("*", (Op("+", (Sym("a"), Const(-1.5))), Sym("b")))
    assert to_infix(e) == "(a + (-1.5)) * b"
    assert to_infix(Op("-", (Sym("a"), Op("-", (Sym("b"), Sym("c")))))) == "a - (b - c)"


def _compiled(d: int = 2):
    data, _, _ = linear_data(12, d, seed=3)
    return compile_linear("regression", data, LinearConfig(epochs=2))


def test_writers_are_deterministic() -> None:
    a, b = _compiled(), _compiled()
    assert to_sbml(a.network) == to_sbml(b.network)
    assert to_antimony(a.network) == to_antimony(b.network)


def test_sbml_is_l3v2_consistent_with_units_and_sbo() -> None:
    text = to_sbml(_compiled().network)
    doc = libsbml.readSBMLFromString(text)
    assert (doc.getLevel(), doc.getVersion()) == (3, 2)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    problems = [
        doc.getError(i).getMessage()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_WARNING
    ]
    assert problems == []
    model = doc.getModel()
    for r in model.getListOfReactions():
        assert not r.getReversible()
        assert r.getKineticLaw().getSBOTerm() in {47, 49, 52, 54}  # irreversible mass action
    for e in model.getListOfEvents():
        assert e.getTrigger().isSetPersistent() and e.getTrigger().isSetInitialValue()
        assert e.isSetUseValuesFromTriggerTime()


def test_antimony_reactions_are_irreversible() -> None:
    ant = to_antimony(_compiled().network)
    assert " -> " not in ant and " => " in ant
    antimony.clearPreviousLoads()
    antimony.loadAntimonyString(ant)
    doc = libsbml.readSBMLFromString(antimony.getSBMLString("linear_regression"))
    assert not any(r.getReversible() for r in doc.getModel().getListOfReactions())


def test_clock_has_fixed_event_count_whatever_the_data_size() -> None:
    for n in (3, 300):
        clock = PhaseClock((Phase("a", 1.0, ("g1",)), Phase("b", 0.5, ("g2",))), n, 4)
        events = clock.events({"X": [float(i) for i in range(n)]})
        assert [e.id for e in events] == ["ev_a", "ev_b", "ev_stop"]
        assert clock.end_time == pytest.approx(n * 4 * 1.5)


@pytest.mark.parametrize("n", [1, 7, 1000])
def test_sbml_at_a_molecule_count_is_in_items_at_volume_n(n: int) -> None:
    net = _compiled().network
    plain = libsbml.readSBMLFromString(to_sbml(net)).getModel()
    doc = libsbml.readSBMLFromString(to_sbml(net, molecules=n))
    assert doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR) == 0
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    assert [
        doc.getError(i).getMessage()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_ERROR
    ] == []
    model = doc.getModel()
    assert (model.getSubstanceUnits(), model.getExtentUnits()) == ("item", "item")
    assert model.getCompartment("C").getSize() == float(n)
    for sp, ref in zip(model.getListOfSpecies(), plain.getListOfSpecies(), strict=True):
        assert not sp.isSetInitialConcentration() and sp.getSubstanceUnits() == "item"
        assert sp.getInitialAmount() == round(ref.getInitialConcentration() * n)
    ids = {ud.getId() for ud in model.getListOfUnitDefinitions()}
    assert "item_per_litre" in ids and not any("mole" in uid for uid in ids)
    for ud in model.getListOfUnitDefinitions():
        assert all(u.getKind() != libsbml.UNIT_KIND_MOLE for u in ud.getListOfUnits())
    for par, ref in zip(model.getListOfParameters(), plain.getListOfParameters(), strict=True):
        assert par.getValue() == ref.getValue()  # rate constants, gates, clock unchanged
        assert par.getUnits() == ref.getUnits().replace("mole", "item")
    laws = [
        libsbml.formulaToL3String(r.getKineticLaw().getMath()) for r in model.getListOfReactions()
    ]
    assert laws == [
        libsbml.formulaToL3String(r.getKineticLaw().getMath()) for r in plain.getListOfReactions()
    ]
    units = set()
    for ev in model.getListOfEvents():
        for ea in ev.getListOfEventAssignments():
            units |= set(libsbml.formulaToL3String(ea.getMath()).split())
    assert not any("mole" in u for u in units)
    assert f"one unit of concentration is {n} molecules" in model.getNotesString()


def test_sbml_at_a_molecule_count_rounds_to_whole_molecules_and_checks_n() -> None:
    net = tiny(species=(Species("A", 0.26), Species("B", 1.0 / 3.0)))
    model = libsbml.readSBMLFromString(to_sbml(net, molecules=10)).getModel()
    assert [s.getInitialAmount() for s in model.getListOfSpecies()] == [3.0, 3.0]
    assert to_sbml(net, molecules=np.int64(10)) == to_sbml(net, molecules=10)
    assert to_sbml(net, molecules=None) == to_sbml(net)
    for bad in (0, -3, 2.5, True, "10"):
        with pytest.raises(InputError, match="The molecules parameter of to_sbml"):
            to_sbml(net, molecules=bad)  # type: ignore[arg-type]
