"""One naming scheme in every format: the observables ``theta_<col>`` and ``loss`` (issue 17).

Every training network carries one observable per learned parameter (``theta_<col>``, named
after the data's column) and one for the loss; the SBML and Antimony writers give them as
assignment rules, so RoadRunner (and any SBML tool) reads θ and the loss without the rails.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import libsbml
import numpy as np
import pytest

from sbmlcrn.circuits.common import training_observables
from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.core.expr import Const, Op, Sym
from sbmlcrn.core.network import (
    Event,
    Network,
    Observable,
    Parameter,
    Readout,
    Role,
    Species,
    sanitize_id,
    unique_ids,
)
from sbmlcrn.errors import NetworkError
from sbmlcrn.io.sbml import to_antimony, to_sbml
from sbmlcrn.simulate import Tolerances
from sbmlcrn.training.packing import pack_networks
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.store import save_run
from tests.helpers import linear_data, tiny_training


def _net(**changes: object) -> Network:
    parts: dict[str, object] = dict(
        id="m",
        species=(Species("A_p", 1.0), Species("A_m", 0.25)),
        parameters=(Parameter("k", 1.0), Parameter("g", 1.0, Role.GATE, constant=False)),
        reactions=(),
        readouts=(Readout("x1*x2", "A_p", "A_m"),),
        observables=(Observable("theta_x1_x2", Op("-", (Sym("A_p"), Sym("A_m"))), "x1*x2"),),
    )
    parts.update(changes)
    return Network(**parts)  # type: ignore[arg-type]


def test_ids_are_sanitised_and_unique() -> None:
    assert sanitize_id("x1*x2", "theta_") == "theta_x1_x2"
    assert sanitize_id("2 dose (mg)") == "v2_dose_mg"
    assert unique_ids(["x 1", "x_1", "loss"], "theta_") == [
        "theta_x_1",
        "theta_x_1_2",
        "theta_loss",
    ]
    assert unique_ids(["loss"], "", frozenset({"loss"})) == ["loss_2"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"observables": (Observable("k", Sym("A_p")),)}, "used twice"),
        ({"observables": (Observable("o", Sym("B")),)}, "only species and parameters"),
        ({"observables": (Observable("o", Sym("time")),)}, "only species and parameters"),
        ({"observables": (Observable("o", Const(1.0)),)}, "must read a species"),
        (
            {
                "events": (
                    Event(
                        "ev",
                        Op(">=", (Sym("time"), Sym("theta_x1_x2"))),
                        (("g", Const(0.0)),),
                    ),
                )
            },
            "reads observable 'theta_x1_x2'",
        ),
        (
            {
                "events": (
                    Event("ev", Op(">=", (Sym("time"), Const(1.0))), (("g", Sym("theta_x1_x2")),)),
                )
            },
            "reads observable",
        ),
    ],
)
def test_network_refuses_bad_observables(changes: dict[str, object], message: str) -> None:
    with pytest.raises(NetworkError, match=message):
        _net(**changes)


def test_writers_give_rules_and_names() -> None:
    net = _net()
    sbml = to_sbml(net)
    assert sbml == to_sbml(net)  # deterministic
    model = libsbml.readSBMLFromString(sbml).getModel()
    par = model.getParameter("theta_x1_x2")
    assert (par.getName(), par.getConstant(), par.getValue()) == ("x1*x2", False, 0.75)
    rule = model.getAssignmentRuleByVariable("theta_x1_x2")
    assert libsbml.formulaToL3String(rule.getMath()) == "A_p - A_m"
    assert model.getSpecies("A_p").getName() == "x1*x2 (positive rail)"
    assert model.getSpecies("A_m").getName() == "x1*x2 (negative rail)"
    ant = to_antimony(net)
    assert "  theta_x1_x2 := A_p - A_m\n" in ant
    assert '  theta_x1_x2 is "x1*x2"\n' in ant and '  A_p is "x1*x2 (positive rail)"\n' in ant
    assert "sbmlcrn" in model.getAnnotationString()  # the sbmlcrn model annotation stays


def test_training_networks_carry_theta_and_loss() -> None:
    data, _, _ = linear_data(6, 2, seed=1)
    data = dataclasses.replace(data, features=("x1*x2", "dose (mg)"))
    net = compile_linear("regression", data, LinearConfig(epochs=1)).network
    ids = [ob.id for ob in net.observables]
    assert ids == ["theta_x1_x2", "theta_dose_mg", "theta_offset", "loss"]
    assert [ob.name for ob in net.observables] == ["x1*x2", "dose (mg)", "offset", "loss"]
    packed = pack_networks([net, net])
    assert [ob.id for ob in packed.observables][:2] == ["theta_x1_x2__k0", "theta_dose_mg__k0"]
    assert "p1_p__k1" in {s for ob in packed.observables for s in _symbols(ob)}


def _symbols(ob: Observable) -> set[str]:
    from sbmlcrn.core.expr import symbols

    return set(symbols(ob.expr))


def test_squared_hinge_and_batches_are_in_the_loss() -> None:
    ros = (Readout("m", "m_p", "m_m", Role.ERROR), Readout("m_2", "n_p", "n_m", Role.ERROR))
    labels = [("t_p", "t_m"), ("u_p", "u_m")]
    (loss,) = training_observables(ros, hinge=True, slots=2, labels=labels)
    assert loss.id == "loss" and loss.units == "mole2_per_litre2"
    text = to_antimony(
        Network(
            "h",
            tuple(Species(s) for s in ("m_p", "m_m", "n_p", "n_m", "t_p", "t_m", "u_p", "u_m")),
            (),
            (),
            readouts=ros,
            observables=(loss,),
        )
    )
    assert "piecewise" not in text  # COPASI's LSODA stalls on conditions (see common.py)
    assert "loss := (0.125 dimensionless) * (" in text  # ¼ (m·m + m·|m|) = ½ max(0, m)²
    assert "(t_p + t_m) / (1 mole_per_litre)" in text  # an empty slot's label is 0
    net = Network(
        "h",
        tuple(Species(s, 0.5) for s in ("m_p", "n_p", "t_p", "u_m"))
        + tuple(Species(s, 0.0) for s in ("m_m", "n_m", "t_m", "u_p")),
        (),
        (),
        readouts=ros,
        observables=(loss,),
    )
    value = libsbml.readSBMLFromString(to_sbml(net)).getModel().getParameter("loss").getValue()
    assert value == pytest.approx(0.5 * (0.5 * 0.25 + 0.5 * 0.25) / 2)


# ------------------------------------------------------------------ RoadRunner reads them


@pytest.fixture(scope="module")
def linear_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data, _, _ = linear_data(10, 2, seed=4, noise=0.1)
    run = train("linear-regression", data, config=LinearConfig(epochs=2))
    return save_run(run, tmp_path_factory.mktemp("obs") / "run", plots=False)


def _roadrunner(sbml: str):
    import roadrunner

    rr = roadrunner.RoadRunner(sbml)
    tol = Tolerances()
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", tol.relative)
    integrator.setValue("absolute_tolerance", tol.absolute)
    integrator.setValue("maximum_num_steps", tol.max_steps)
    integrator.setValue("stiff", False)
    return rr


def _mid_backward(result: dict) -> np.ndarray:
    """0, a time in the middle of every cycle's backward phase, the end time."""
    schedule = result["schedule"]
    period = schedule["period"]
    fwd = schedule["phases"][0]["duration"]
    cycles = round(result["training_end_time"] / period)
    mids = np.arange(cycles) * period + (fwd + period) / 2
    return np.array([0.0, *mids, result["training_end_time"]])


def test_roadrunner_reads_theta_and_loss(linear_run: Path) -> None:
    result = json.loads((linear_run / "result.json").read_text())
    rr = _roadrunner((linear_run / "model.xml").read_text())
    names = list(result["parameters"])
    times = _mid_backward(result)
    sim = rr.simulate(times=times, selections=["time", *(f"theta_{n}" for n in names), "loss"])
    for name in names:  # θ read directly, as result.json records it
        assert abs(sim[f"theta_{name}"][-1] - result["parameters"][name]) <= 1e-12
    schedule = result["schedule"]
    per_sample = np.asarray(sim["loss"][1:-1]).reshape(schedule["epochs"], schedule["samples"])
    np.testing.assert_allclose(per_sample.mean(axis=1), result["train_loss"], rtol=1e-9)


@pytest.mark.parametrize(
    "circuit",
    [
        "linear-classification",
        "nonlinear-multiclass",
        "nonlinear-classification@products",  # the squared hinge of the margins
        "nonlinear-multiclass@products",  # a hinge in batches of 2: the mean over the slots
    ],
)
def test_loss_inside_a_backward_phase_is_the_samples_loss(tiny_run, circuit: str) -> None:
    run_dir = tiny_run(circuit)
    result = json.loads((run_dir / "result.json").read_text())
    n = len(tiny_training(circuit)[0].x)
    batch = int(result["config"].get("batch_size", 1))
    rr = _roadrunner((run_dir / "model.xml").read_text())
    sim = rr.simulate(times=_mid_backward(result), selections=["time", "loss"])
    schedule = result["schedule"]
    per_cycle = np.asarray(sim["loss"][1:-1]).reshape(schedule["epochs"], schedule["samples"])
    # a batch's loss is the mean over its B slots; an empty slot holds no error
    per_epoch = per_cycle.sum(axis=1) * batch / n
    np.testing.assert_allclose(per_epoch, result["train_loss"], rtol=1e-6, atol=1e-12)


def test_validator_accepts_observables_but_not_events_reading_them() -> None:
    from sbmlcrn.validation.api import validate_string

    net = _net(
        events=(Event("ev", Op(">=", (Sym("time"), Const(1.0))), (("g", Const(0.0)),)),),
    )
    sbml = to_sbml(net)
    assert validate_string(sbml).ok  # an assignment rule on a parameter may read species
    doc = libsbml.readSBMLFromString(sbml)
    ea = doc.getModel().getEvent("ev").getEventAssignment(0)
    ea.setMath(libsbml.parseL3Formula("theta_x1_x2"))  # an event reading an observable
    report = validate_string(libsbml.writeSBMLToString(doc))
    assert not report.ok
    assert any("theta_x1_x2" in f.message for f in report.findings)
