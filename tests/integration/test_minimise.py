"""Network minimisation (:mod:`sbmlcrn.core.minimise`): counts and unchanged simulations.

Measured (this file asserts them): the authors' linear-regression setup (their 41 samples,
raw inputs in [1, 5], no offset, bias h = 0.1) compiles to 24 reactions of which 14 can fire,
as issue 19 says: the minus rails ``x1_m``/``x2_m`` of the all-positive inputs are never
loaded, so the ten reactions reading them go, and with them the two species. The README's run
(``examples/linreg_train.csv``, the default standardised inputs) keeps 29 of 34: standardised
columns take both signs, and only the offset's constant input ``xb = 1`` has a minus rail that
stays 0 (five reactions, one species).

Equality of simulations is shown twice: the network with the minimised reactions, events and
parameters but the original's species gives bit-identical trajectories (the removed reactions
contribute exact zeros); the fully minimised network agrees to the integrator's tolerance
only, because CVODE's error norm is a root mean square over the state vector, whose length the
removed species change, so it picks other step sizes (measured: 4e-10 at the default
tolerances, 2e-11 at 1e-12 relative, no better at 1e-13).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.circuits.registry import REGISTRY, circuit_spec, family_of
from sbmlcrn.core.data import authors_linear_regression, read_csv
from sbmlcrn.core.expr import Const, Op, Sym, balanced_lookup
from sbmlcrn.core.minimise import may_be_nonzero, minimise
from sbmlcrn.core.network import Event, Network, Parameter, Reaction, Role, Species
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import simulate
from sbmlcrn.studies.catalogue import AUTHORS_REGRESSION
from sbmlcrn.training.model import TrainedModel, predict
from sbmlcrn.training.store import load_run
from sbmlcrn.validation import validate_string
from tests.helpers import tiny_training

ROOT = Path(__file__).resolve().parents[2]
EXACT = 1e-12
#: The agreement of the fully minimised network: the integrator's tolerance (module notes).
INTEGRATOR = 1e-8


def _same_state(original: Network, small: Network) -> Network:
    """``small``'s reactions, parameters and events over ``original``'s species."""
    return replace(small, species=original.species)


def _readouts(net: Network, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {ro.name: columns[ro.plus] - columns[ro.minus] for ro in net.readouts}


def _run(net: Network, end: float) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    res = simulate(to_sbml(net), np.linspace(0.0, end, 41))
    return dict(res.columns), dict(res.final)


def _assert_unchanged(original: Network, small: Network, end: float) -> None:
    """Every kept species, readout and observable of ``small`` equals ``original``'s."""
    cols, final = _run(original, end)
    removed = set(original.species_ids()) - set(small.species_ids())
    for sid in removed:  # never positive, at any sampled time
        assert np.all(cols[sid] == 0.0), sid
    for candidate, tol in ((_same_state(original, small), EXACT), (small, INTEGRATOR)):
        c2, f2 = _run(candidate, end)
        for sid in small.species_ids():
            assert np.max(np.abs(cols[sid] - c2[sid])) <= tol, sid
        want, got = _readouts(original, cols), _readouts(small, c2)
        for name in want:
            assert np.max(np.abs(want[name] - got[name])) <= tol, name
        for ob in small.observables:
            assert abs(final[ob.id] - f2[ob.id]) <= tol, ob.id
    assert validate_string(to_sbml(small)).ok


def _with_inputs(net: Network, values: dict[str, float]) -> Network:
    species = tuple(replace(s, initial=values.get(s.id, s.initial)) for s in net.species)
    return replace(net, species=species)


def _input_rails(model: TrainedModel, row: np.ndarray) -> dict[str, float]:
    """The rails ``predict`` loads into the inference network for one raw sample."""
    family = family_of(model.config)
    x_tilde = model.feature_map(np.atleast_2d(row))
    n_classes = max(len(model.classes), 2)
    loads = family.loads(model.task, model.config, x_tilde, len(model.features), n_classes)
    out = {}
    for base, column in loads.items():
        v = float(np.asarray(column)[0])
        out[f"{base}_p"], out[f"{base}_m"] = max(v, 0.0), max(-v, 0.0)
    return out


def test_authors_linear_regression_24_to_14() -> None:
    train, _ = authors_linear_regression()
    circuit = compile_linear("regression", train, AUTHORS_REGRESSION)
    small, report = minimise(circuit.network)
    assert (report.before["reactions"], report.after["reactions"]) == (24, 14)
    assert (report.before["species"], report.after["species"]) == (10, 8)
    assert report.removed_species == ("x1_m", "x2_m")
    assert all(
        "x1_m" in r.reactants or "x2_m" in r.reactants
        for r in circuit.network.reactions
        if r.id in report.removed_reactions
    )
    assert report.dropped_assignments == (("ev_fwd", "x1_m"), ("ev_fwd", "x2_m"))
    assert report.reasons["fx1_m"] == "reactant x1_m is never positive"
    assert report.summary().startswith("reactions 24 → 14, species 10 → 8")
    _assert_unchanged(circuit.network, small, circuit.clock.end_time)


def test_readme_linear_regression_run_34_to_29() -> None:
    train = read_csv(ROOT / "examples" / "linreg_train.csv", target="y")
    circuit = compile_linear("regression", train, LinearConfig(epochs=2))
    small, report = minimise(circuit.network)
    assert (report.before["reactions"], report.after["reactions"]) == (34, 29)
    assert report.removed_species == ("xb_m",)
    _assert_unchanged(circuit.network, small, circuit.clock.end_time)


def test_product_units_training_network() -> None:
    data, config = tiny_training("nonlinear-classification@products")
    circuit = circuit_spec("nonlinear-classification").compile(data, config)
    small, report = minimise(circuit.network)
    assert report.after["reactions"] < report.before["reactions"]
    _assert_unchanged(circuit.network, small, circuit.clock.end_time)


@pytest.mark.parametrize("circuit", ["linear-regression", "nonlinear-classification@products"])
def test_inference_network_with_inputs(circuit: str, tiny_run: Callable[[str], Path]) -> None:
    model = load_run(tiny_run(circuit)).model
    data, _ = tiny_training(circuit)
    net = _with_inputs(model.inference_network(), _input_rails(model, data.x[0]))
    small, report = minimise(net)
    assert report.after["reactions"] < report.before["reactions"]
    _assert_unchanged(net, small, model.config.horizon)


def test_inference_network_free_inputs_predicts_the_same(
    tiny_run: Callable[[str], Path],
) -> None:
    """With its inputs ``free`` (set per sample later), one minimised network predicts every
    sample; left out, the all-zero inputs would remove every input reaction."""
    model = load_run(tiny_run("nonlinear-classification@products")).model
    data, _ = tiny_training("nonlinear-classification@products")
    net = model.inference_network()
    inputs = [s.id for s in net.species if s.role is Role.INPUT and s.initial == 0.0]
    small, report = minimise(net, free=inputs)
    _, unset = minimise(net)
    assert unset.after["reactions"] < report.after["reactions"] <= report.before["reactions"]
    want = predict(model, data.x)
    assert np.array_equal(predict(model, data.x, network=small), want)


def test_deterministic_and_idempotent() -> None:
    train, _ = authors_linear_regression()
    net = compile_linear("regression", train, AUTHORS_REGRESSION).network
    small, report = minimise(net)
    again, report2 = minimise(net)
    assert again == small and report2.to_dict() == report.to_dict()
    twice, report3 = minimise(small)
    assert twice == small and not report3.removed_reactions and not report3.removed_species


def test_no_registered_circuit_has_duplicate_reactions() -> None:
    """Why merging is a safeguard only: no design of any circuit produces a duplicate."""
    rng = np.random.default_rng(0)
    for name, spec in REGISTRY.items():
        for family in spec.families:
            data, _ = tiny_training(name)
            data = replace(data, x=rng.normal(size=data.x.shape))
            net = spec.compile(data, family.config_class(epochs=1)).network
            keys = Counter(
                (tuple(sorted(r.reactants)), tuple(sorted(r.products)), tuple(sorted(r.gates)))
                for r in net.reactions
            )
            assert max(keys.values()) == 1, (name, family.name)
            assert not minimise(net)[1].merged


def _toy() -> Network:
    """A → B twice (duplicates), a reaction at rate 0, a gated reaction switched on at t = 1,
    one never switched on, and a species loaded by an event with zeros only."""
    zero_load = balanced_lookup(Sym("idx"), [0.0, 0.0, 0.0])
    return Network(
        id="toy",
        species=(Species("A", 1.0), Species("B"), Species("Z"), Species("W")),
        parameters=(
            Parameter("k", 0.7),
            Parameter("k0", 0.0),
            Parameter("g_on", 0.0, Role.GATE, constant=False),
            Parameter("g_off", 0.0, Role.GATE, constant=False),
            Parameter("idx", 0.0, Role.CLOCK, constant=False),
        ),
        reactions=(
            Reaction("r1", ("A",), ("B",), "k"),
            Reaction("r2", ("A",), ("B",), "k"),
            Reaction("r3", ("B",), ("W",), "k0"),
            Reaction("r4", ("B",), ("A",), "k", ("g_on",)),
            Reaction("r5", ("B",), ("W",), "k", ("g_off",)),
            Reaction("r6", ("Z",), ("W",), "k"),
        ),
        events=(
            Event(
                "ev",
                Op(">=", (Sym("time"), Const(1.0))),
                (("g_on", Const(1.0)), ("g_off", Const(0.0)), ("Z", zero_load)),
            ),
        ),
    )


def test_toy_network_reasons_merge_and_simulation() -> None:
    net = _toy()
    small, report = minimise(net)
    assert report.removed_reactions == ("r3", "r5", "r6", "r2")
    assert report.reasons["r3"] == "rate constant k0 is 0"
    assert report.reasons["r5"] == "gate g_off is never nonzero"
    assert report.reasons["r6"] == "reactant Z is never positive"
    assert report.reasons["r2"] == "merged into r1"
    assert report.merged == (("r1", ("r2",), "k_x2"),)
    assert report.removed_parameters == ("k0",)
    assert report.removed_species == ("Z", "W")
    assert small.parameter("k_x2").value == pytest.approx(1.4)
    assert [r.id for r in small.reactions] == ["r1", "r4"]
    cols, _ = _run(net, 3.0)
    c2, _ = _run(small, 3.0)
    for sid in ("A", "B"):
        assert np.max(np.abs(cols[sid] - c2[sid])) <= INTEGRATOR
    assert np.all(cols["W"] == 0.0) and np.all(cols["Z"] == 0.0)


def test_may_be_nonzero_and_free_checks() -> None:
    idx = Sym("idx")
    assert not may_be_nonzero(balanced_lookup(idx, [0.0, -0.0, 0.0]), set())
    assert may_be_nonzero(balanced_lookup(idx, [0.0, 0.0, 2.0]), set())
    assert not may_be_nonzero(Op("*", (Sym("a"), Sym("b"))), {"a"})
    assert may_be_nonzero(Op("+", (Sym("a"), Sym("b"))), {"a"})
    assert may_be_nonzero(Op(">=", (Sym("a"), Const(0.0))), set())
    with pytest.raises(InputError, match="The free parameter of minimise"):
        minimise(_toy(), free=["nope"])


def test_stats_minimise_columns(capsys: pytest.CaptureFixture[str]) -> None:
    """``sbmlcrn stats --minimise`` adds the minimised sizes (for data of both signs); without
    the flag the output is as before."""
    from sbmlcrn.cli import main

    assert main(["stats", "linear-regression", "--inputs", "2", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert "minimised_reactions" not in plain[0]
    assert main(["stats", "linear-regression", "--inputs", "2", "--json", "--minimise"]) == 0
    row = json.loads(capsys.readouterr().out)[0]
    assert {k: row[k] for k in plain[0]} == plain[0]
    assert (row["reactions"], row["minimised_reactions"]) == (34, 29)
    assert (row["species"], row["minimised_species"]) == (14, 13)
    assert main(["stats", "linear-regression", "--minimise"]) == 0
    assert "| minimised_species | minimised_reactions |" in capsys.readouterr().out
