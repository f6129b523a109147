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
from sbmlcrn.errors import NetworkError
from sbmlcrn.io.sbml import to_antimony, to_sbml
from sbmlcrn.simulate import simulate
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


def test_antimony_text_loads_and_matches_sbml_trajectories() -> None:
    compiled = _compiled()
    ant = to_antimony(compiled.network)
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(ant) >= 0, antimony.getLastError()
    from_ant = antimony.getSBMLString(compiled.network.id)
    times = np.linspace(0.0, compiled.clock.end_time, 97)
    a = simulate(from_ant, times)
    b = simulate(to_sbml(compiled.network), times)
    for sid in compiled.network.species_ids():
        np.testing.assert_allclose(a[sid], b[sid], rtol=1e-9, atol=1e-10)


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
