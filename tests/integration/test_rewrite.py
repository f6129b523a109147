"""Exact rewrites for DNA gates (:mod:`sbmlcrn.core.rewrite`) and the nM SBML writer (issue 19).

The rewrites must change no trajectory: a split square's copy starts at and stays equal to its
species, and the constant ``one`` multiplies a unimolecular rate by 1. Both are checked by
simulating the original and the rewritten network in RoadRunner from the same loads.
"""

from __future__ import annotations

import libsbml
import numpy as np
import pytest

import sbmlcrn
from sbmlcrn.core.data import make_task
from sbmlcrn.core.minimise import minimise
from sbmlcrn.core.network import Network, Parameter, Reaction, Role, Species
from sbmlcrn.core.rewrite import pair_unimolecular, split_squares
from sbmlcrn.errors import InputError
from sbmlcrn.io.dsd import FormalReaction, gate_ratios
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import simulate_batch
from sbmlcrn.training.store import load_model


def _net() -> Network:
    """X + X -> X + X + H (X unchanged), Z + Z -> H (Z consumed), X -> X + Y."""
    return Network(
        id="sq",
        species=(
            Species("X", 0.7, Role.INPUT),
            Species("Z", 0.4),
            Species("H", 0.0, Role.OUTPUT),
            Species("Y", 0.0, Role.OUTPUT),
        ),
        parameters=(Parameter("k", 1.5), Parameter("k2", 0.5), Parameter("k3", 0.8)),
        reactions=(
            Reaction("r1", ("X", "X"), ("X", "X", "H"), "k"),
            Reaction("r2", ("Z", "Z"), ("H",), "k2"),
            Reaction("r3", ("X",), ("X", "Y"), "k3"),
        ),
    )


def test_split_squares_only_splits_species_no_reaction_changes() -> None:
    split, copies = split_squares(_net())
    assert copies == {"X": "X_2"}
    assert [s.id for s in split.species] == ["X", "X_2", "Z", "H", "Y"]
    r1, r2, r3 = split.reactions
    assert (r1.reactants, r1.products, r1.rate) == (("X", "X_2"), ("X", "X_2", "H"), "k")
    assert r2 == _net().reactions[1]  # Z is consumed: a copy would drift, so Z + Z stays
    assert r3 == _net().reactions[2]
    plain = Network(id="p", species=(Species("A", 1.0),), parameters=(), reactions=())
    assert split_squares(plain) == (plain, {})


def test_pair_unimolecular_adds_one_constant_species() -> None:
    paired, one = pair_unimolecular(_net())
    assert one == "one"
    assert paired.species[-1] == Species("one", 1.0, Role.PARAMETER)
    assert paired.reactions[2].reactants == ("X", "one")
    assert paired.reactions[2].products == ("X", "Y", "one")
    assert paired.reactions[:2] == _net().reactions[:2]
    taken = Network(
        id="t",
        species=(Species("one", 1.0), Species("A", 1.0)),
        parameters=(Parameter("k", 1.0),),
        reactions=(Reaction("r", ("A",), (), "k"),),
    )
    assert pair_unimolecular(taken)[1] == "one_2"
    # a rate constant also serving a reaction of another order than 2 gets a copy
    mixed = Network(
        id="m",
        species=(Species("A", 1.0), Species("B", 1.0)),
        parameters=(Parameter("k", 1.0),),
        reactions=(Reaction("u", ("A",), ("B",), "k"), Reaction("z", (), ("A",), "k")),
    )
    paired, _ = pair_unimolecular(mixed)
    assert paired.reactions[0].rate == "k_one"
    assert paired.parameter("k_one").value == 1.0
    to_sbml(paired)  # each rate constant has one order


def test_rewrites_change_no_trajectory() -> None:
    base = _net()
    rewritten, copies = split_squares(base)
    rewritten, _ = pair_unimolecular(rewritten)
    x = np.array([0.2, 0.7, 1.3])
    outs = ["H", "Y", "Z"]
    a = simulate_batch(to_sbml(base), 2.0, {"X": x}, outs)
    b = simulate_batch(to_sbml(rewritten), 2.0, {"X": x, copies["X"]: x}, outs)
    for s in outs:
        np.testing.assert_allclose(b[s], a[s], rtol=1e-8, atol=1e-12)


def test_product_unit_inference_network_rewritten_predicts_the_same(tmp_path) -> None:
    """The nonlinear classifier's inference network: every square is of an input or the bias."""
    from sbmlcrn.training.model import input_rails, load_values

    task = make_task("xor", 0)
    sbmlcrn.train("nonlinear-classification", task.train, epochs=1, out=tmp_path / "r", plots=False)
    model = load_model(tmp_path / "r")
    network = model.inference_network()
    small, _ = minimise(network, free=input_rails(model, network))
    split, copies = split_squares(small)
    assert sorted(copies) == ["x1_m", "x1_p", "x2_m", "x2_p", "xb_p"]
    assert not any(len(set(r.reactants)) < len(r.reactants) for r in split.reactions)
    loads = load_values(model, task.test.x)
    outs = ["yhat_p", "yhat_m"]
    a = simulate_batch(to_sbml(network), model.config.horizon, loads, outs)
    with_copies = {**loads, **{c: loads[s] for s, c in copies.items() if s in loads}}
    b = simulate_batch(to_sbml(split), model.config.horizon, with_copies, outs)
    for s in outs:
        np.testing.assert_allclose(b[s], a[s], rtol=1e-8, atol=1e-10)


def test_gate_ratios_give_every_reaction_the_same_time_scale() -> None:
    """k2·ρ_r/((1+s_A)(1+s_B)) = k2·c·k_r for every reaction, and the largest ρ is the bound."""
    rx = [
        FormalReaction("a", ("A", "B"), ("A", "B", "Y"), 1.0),
        FormalReaction("b", ("A", "C"), ("A", "C", "Y"), 2.0),
        FormalReaction("c", ("B", "C"), ("B", "C", "Z"), 1.0),
    ]
    rho, c = gate_ratios(rx, 0.5)
    assert max(rho.values()) == pytest.approx(0.5, rel=1e-9)
    held = {"A": rho["a"] + rho["b"], "B": rho["c"]}
    for r in rx:
        first, second = r.reactants
        effective = rho[r.id] / ((1 + held.get(first, 0.0)) * (1 + held.get(second, 0.0)))
        assert effective == pytest.approx(c * r.rate, rel=1e-9)


def test_nanomolar_sbml_has_consistent_units() -> None:
    text = to_sbml(_net(), nanomolar=True)
    doc = libsbml.readSBMLFromString(text)
    model = doc.getModel()
    assert model.getSubstanceUnits() == "nanomole"
    ud = model.getUnitDefinition("litre_per_nanomole_per_second")
    mole = [u for u in ud.getListOfUnits() if u.getKind() == libsbml.UNIT_KIND_MOLE]
    assert (mole[0].getScale(), mole[0].getExponent()) == (-9, -1)
    doc.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, True)
    doc.checkConsistency()
    errors = [
        doc.getError(i).getMessage()
        for i in range(doc.getNumErrors())
        if doc.getError(i).getSeverity() >= libsbml.LIBSBML_SEV_WARNING
    ]
    assert errors == []
    assert to_sbml(_net(), nanomolar=True) == text  # deterministic
    with pytest.raises(InputError, match="molecules and nanomolar"):
        to_sbml(_net(), molecules=100, nanomolar=True)
