"""Stochastic training: the schedule as data, the phase-by-phase driver, volume scaling,
seeded Gillespie runs, and the late/skipped events of RoadRunner's Gillespie integrator.

Statistical checks pin their seeds (so they are deterministic on one RoadRunner version) and
use tolerances derived from the number of runs, so that a different random stream (another
RoadRunner) still passes with high probability.
"""

from __future__ import annotations

import json
import math

import libsbml
import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig, compile_linear, rails
from sbmlcrn.circuits.nonlinear import NonlinearConfig, compile_nonlinear
from sbmlcrn.cli import main
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.expr import Sym, balanced_lookup
from sbmlcrn.errors import InputError, SimulationError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import simulate_phases
from sbmlcrn.training.driver import drive
from sbmlcrn.training.schedule import evaluate_expr, schedule
from sbmlcrn.training.stochastic import driver_deviation, event_timing
from sbmlcrn.training.transforms import quantize_network
from sbmlcrn.validation import validate_string
from tests.helpers import linear_data


@pytest.fixture(scope="module")
def small():
    data, _, _ = linear_data(8, 2, seed=3, noise=0.1)
    return compile_linear("regression", data, LinearConfig(epochs=2))


def test_lookup_expressions_evaluate_to_their_values() -> None:
    values = [0.5, -1.0, 2.0, 2.0, 3.25, 0.0, 7.0]
    expr = balanced_lookup(Sym("idx"), values, "mole_per_litre")
    assert [evaluate_expr(expr, {"idx": k}) for k in range(len(values))] == values


def test_schedule_loads_what_the_events_load(small) -> None:
    sched = schedule(small)
    assert sched.cycles == 16 and sched.durations == (1.0, 1.0)
    assert sched.on == (frozenset({"g_fwd"}), frozenset({"g_bwd"}))
    x = np.array([rails(v) for v in small.inputs[:, 0]])
    assert np.array_equal(sched.loads["x1_p"], x[:, 0])
    assert np.array_equal(sched.loads["x1_m"], x[:, 1])
    e = np.array([rails(-t) for t in small.targets])
    assert np.array_equal(sched.loads["e_p"], e[:, 0])
    assert np.allclose(sched.starts[:, 0], np.arange(16) * 2.0)


def test_deterministic_driver_reproduces_the_one_sbml_run(small) -> None:
    # the same mathematics, stopped at the exact event times: agreement to CVODE's tolerance
    assert driver_deviation(small) <= 1e-9


def test_deterministic_driver_reproduces_a_nonlinear_exact_gradient_run() -> None:
    data, _, _ = linear_data(6, 2, seed=5)
    c = compile_nonlinear("regression", data, NonlinearConfig(epochs=2))
    # loads include the cleared transients q and the loaded adjoint carriers w
    assert {"qb_p", "wb_p", "w1_p"} <= set(schedule(c).loads)
    assert driver_deviation(c) <= 1e-7


def test_same_seed_same_run_other_seed_other_run(small) -> None:
    a = drive(small, molecules=300, seed=11)
    b = drive(small, molecules=300, seed=11)
    c = drive(small, molecules=300, seed=12)
    assert np.array_equal(a.theta, b.theta) and np.array_equal(a.errors, b.errors)
    assert not np.array_equal(a.theta, c.theta)
    # whole molecules: every parameter is a multiple of 1/N
    assert np.allclose(a.theta * 300, np.round(a.theta * 300), atol=1e-9)


def test_scaled_model_counts_items_in_a_compartment_of_size_n(small) -> None:
    n = 250
    text = to_sbml(quantize_network(small.network, n), molecules=n)
    model = libsbml.readSBMLFromString(text).getModel()
    assert model.getCompartment("C").getSize() == n
    assert model.getSubstanceUnits() == "item"
    for i in range(model.getNumSpecies()):
        amount = model.getSpecies(i).getInitialAmount()
        assert amount == round(amount)
    report = validate_string(text)
    assert report.ok
    assert not [f for f in report.findings if f.severity in ("error", "warning")]
    # loaded data are whole molecules too
    sched = schedule(small)
    assert not np.allclose(sched.loads["x1_p"] * n, np.round(sched.loads["x1_p"] * n))


def test_molecules_must_be_a_positive_integer(small) -> None:
    for bad in (0, -3, 2.5, True):
        with pytest.raises(InputError):
            drive(small, molecules=bad)


def test_driver_rejects_bad_phases() -> None:
    with pytest.raises(SimulationError):
        simulate_phases("<sbml/>", [(0.0, 1.0, {}), (0.5, 2.0, {})])
    with pytest.raises(SimulationError):
        simulate_phases("<sbml/>", [(0.0, 1.0, {})], method="euler")


def test_gillespie_fires_time_events_late_and_skips_them_with_few_molecules(small) -> None:
    data, _, _ = linear_data(20, 2, seed=2)
    c = compile_linear("regression", data, LinearConfig(epochs=1))
    few = event_timing(c, 10, seed=0)
    many = event_timing(c, 2000, seed=0)
    # with 10 molecules per unit whole phases pass without a reaction: when two triggers become
    # due at once, the one that reschedules into the past never fires again (which one is
    # not fixed by the seed: RoadRunner's order of simultaneous events, so only the total)
    assert sum(p["missed"] for p in few["phases"]) > 0
    assert any("gillespie" in m for m in few["roadrunner_messages"])
    # with 2000 every event fires, but each one late (never early)
    fwd_few, fwd_many = few["phases"][0], many["phases"][0]
    assert all(p["missed"] == 0 and p["fired"] == 20 for p in many["phases"])
    assert 0 < fwd_many["mean_delay"] < 0.05
    assert fwd_many["mean_delay"] < fwd_few["mean_delay"]


def test_stochastic_parameters_scatter_around_the_deterministic_ones(small) -> None:
    det = drive(small).theta
    runs = {
        n: np.array([drive(small, molecules=n, seed=s).theta for s in range(6)])
        for n in (200, 2000)
    }
    for n, thetas in runs.items():
        mean, sd = thetas.mean(axis=0), thetas.std(axis=0, ddof=1)
        # mean of 6 runs: within 4 standard errors, plus the quantisation of θ₀ and data (1/N)
        assert np.all(np.abs(mean - det) <= 4 * sd / math.sqrt(6) + 3.0 / n), (n, mean, det)
    # noise shrinks with N (variance ∝ 1/N: the std ratio is √10 ≈ 3.2; with 6 runs per count
    # a ratio below 1.3 would be a > 3-sigma event)
    ratio = np.mean(runs[200].std(axis=0, ddof=1)) / np.mean(runs[2000].std(axis=0, ddof=1))
    assert ratio > 1.3


def test_cli_trains_stochastically(tmp_path, capsys) -> None:
    data, _, _ = linear_data(6, 1, seed=1)
    csv = tmp_path / "d.csv"
    rows = zip(data.x[:, 0], data.y, strict=True)
    csv.write_text("x1,y\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    out = tmp_path / "run"
    code = main(
        [
            "train",
            "linear-regression",
            "--data",
            str(csv),
            "--test",
            str(csv),
            "--epochs",
            "2",
            "--stochastic",
            "--molecules",
            "500",
            "--ssa-seed",
            "4",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["stochastic"]["molecules_per_unit"] == 500
    assert result["stochastic"]["seed"] == 4
    assert (
        libsbml.readSBMLFromString((out / "model.xml").read_text(encoding="utf-8"))
        .getModel()
        .getCompartment("C")
        .getSize()
        == 500
    )
    assert "stochastically" in capsys.readouterr().out
    # the same seed gives the same parameters
    out2 = tmp_path / "run2"
    main(
        [
            "train",
            "linear-regression",
            "--data",
            str(csv),
            "--epochs",
            "2",
            "--stochastic",
            "--molecules",
            "500",
            "--ssa-seed",
            "4",
            "--out",
            str(out2),
            "--quiet",
        ]
    )
    assert (
        json.loads((out2 / "result.json").read_text(encoding="utf-8"))["parameters"]
        == result["parameters"]
    )


@pytest.mark.parametrize(
    "extra",
    [
        ["--molecules", "100"],
        ["--stochastic", "--clock", "chemical"],
        ["--stochastic", "--molecules", "0"],
    ],
)
def test_cli_refuses_bad_stochastic_options(tmp_path, capsys, extra) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("x1,y\n1,2\n2,3\n3,5\n", encoding="utf-8")
    code = main(
        ["train", "linear-regression", "--data", str(csv), "--out", str(tmp_path / "o"), *extra]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_dataset_with_one_input_loads_through_the_driver() -> None:
    # a constant input column (scale 1) and a zero target: loads of 0 are fine
    x = np.array([[1.0], [1.0], [2.0], [0.0]])
    data = Dataset(("a",), x, np.zeros(4), "y")
    c = compile_linear("regression", data, LinearConfig(epochs=1))
    res = drive(c, molecules=50, seed=0)
    assert res.errors.shape == (1, 4, 1) and np.all(np.isfinite(res.theta))
    assert to_sbml(c.network)  # the ordinary model is untouched


def test_the_api_takes_the_ssa_seed_apart_from_the_config_seed() -> None:
    """``ssa_seed`` seeds the SSA; ``seed`` stays the config's (the initial parameters)."""
    import sbmlcrn

    data, _, _ = linear_data(6, 2, seed=3, noise=0.1)
    runs = [
        sbmlcrn.train(
            "linear-regression", data, epochs=1, engine="gillespie", molecules=200, ssa_seed=s
        )
        for s in (5, 5, 6)
    ]
    assert [r.sections["stochastic"]["seed"] for r in runs] == [5, 5, 6]
    assert all(r.model.config.seed == LinearConfig().seed for r in runs)
    assert dict(runs[0].parameters) == dict(runs[1].parameters)
