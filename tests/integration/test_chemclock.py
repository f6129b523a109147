"""The event-free chemical clock: calibration, network structure, and how closely it
reproduces the event-gated learning."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sbmlcrn.circuits.chemclock import (
    ChemicalClockConfig,
    calibrate,
    chemical_clock_network,
    with_chemical_clock,
)
from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.circuits.nonlinear import NonlinearConfig, compile_nonlinear
from sbmlcrn.circuits.registry import reference_run
from sbmlcrn.cli import main
from sbmlcrn.core.network import Network, Parameter, Reaction, Role, Species
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import simulate
from sbmlcrn.studies.clock import _clock_run
from sbmlcrn.validation import validate_string
from tests.helpers import linear_data


@pytest.fixture(scope="module")
def circuit():
    data, _, _ = linear_data(10, 2, seed=4, noise=0.1)
    return compile_linear("regression", data, LinearConfig(epochs=3))


def _deviation(circuit, cfg: ChemicalClockConfig) -> float:
    _, res = _clock_run(circuit, cfg)
    theta = res["theta"]
    ref = reference_run(circuit).theta
    return float(np.max(np.abs(theta - ref)) / max(1.0, float(np.max(np.abs(ref)))))


def test_calibrated_ring_returns_to_its_start_after_one_period() -> None:
    ck = calibrate(ChemicalClockConfig(), 2.0)
    ids = ck.ids
    ring = Network(
        "ring",
        tuple(Species(i, v, Role.TRANSIENT) for i, v in zip(ids, ck.start, strict=True)),
        (Parameter("k_clk", ck.rate),),
        tuple(
            Reaction(f"r{i}", (ids[i], ids[(i + 1) % 4]), (ids[(i + 1) % 4],) * 2, "k_clk")
            for i in range(4)
        ),
    )
    sim = simulate(to_sbml(ring), [0.0, 1.0, 2.0])
    end = np.array([sim[i][-1] for i in ck.ids])
    half = np.array([sim[i][1] for i in ck.ids])
    assert np.allclose(end, ck.start, rtol=1e-5, atol=1e-12)
    # half a period later the idle species between the two gates (clk2) dominates
    assert int(np.argmax(half)) == 1
    # the gate windows: forward in the first half of the cycle, backward in the second
    (f0, f1), (b0, b1) = ck.windows
    assert 0 < f0 < f1 < 1.0 < b0 < b1 < 2.0
    assert ck.overlap < 1e-6


def test_network_has_clock_species_and_no_gates(circuit) -> None:
    compiled, clock = with_chemical_clock(circuit)
    net = compiled.network
    before, after = circuit.network.stats(), net.stats()
    assert after["species"] - before["species"] == 4
    assert after["reactions"] - before["reactions"] == 4
    assert after["events"] == 2 and after["max_molecularity"] == 3
    assert not any(r.gates for r in net.reactions)
    assert not [p for p in net.parameters if p.role is Role.GATE]
    first, stop = net.events
    targets = {t for t, _ in first.assignments}
    assert {"x1_p", "e_p", "clk1", "clk4"} <= targets and "g_fwd" not in targets
    assert {t for t, _ in stop.assignments} == set(clock.ids)
    fwd = next(r for r in net.reactions if r.id == "fw1_pp")
    assert "clk1" in fwd.reactants and "clk1" in fwd.products
    assert "clk3" in next(r for r in net.reactions if r.id == "bw1_pp").reactants
    text = to_sbml(net)
    assert validate_string(text, max_molecularity=3).ok
    assert not validate_string(text, max_molecularity=2).ok


def test_four_species_clock_reproduces_event_gated_learning(circuit) -> None:
    # measured 3e-6 here (1e-5 on the authors' data, 20 epochs): idle epochs separate the gates
    assert _deviation(circuit, ChemicalClockConfig(species=4, floor=1e-4)) < 1e-4
    assert _deviation(circuit, ChemicalClockConfig(species=4, floor=1e-4, rearm=False)) < 1e-4


def test_three_species_clock_overlaps_and_learns_worse(circuit) -> None:
    # without an idle epoch between them the gates overlap during a whole takeover
    assert _deviation(circuit, ChemicalClockConfig(species=3, floor=1e-4)) > 1e-3


def test_squarer_gates_learn_closer(circuit) -> None:
    coarse = _deviation(circuit, ChemicalClockConfig(floor=1e-2))
    fine = _deviation(circuit, ChemicalClockConfig(floor=1e-4))
    assert fine < coarse / 10


def test_cubic_circuits_are_refused() -> None:
    data, _, _ = linear_data(6, 2, seed=1)
    y = (data.y > np.median(data.y)).astype(float)
    data = type(data)(data.features, data.x, y, "y")
    c = compile_nonlinear("classification", data, NonlinearConfig(nonlinearity="cubic", epochs=1))
    with pytest.raises(InputError, match="molecularity"):
        with_chemical_clock(c)


def test_clock_config_is_checked() -> None:
    for bad in ({"species": 2}, {"floor": 0.5}, {"floor": 0.0}, {"total": -1.0}):
        with pytest.raises(InputError):
            ChemicalClockConfig(**bad)
    with pytest.raises(InputError):
        chemical_clock_network(
            compile_linear("regression", linear_data(4, 1)[0], LinearConfig(epochs=1)).network,
            (("fwd", 1.0, ("g_fwd",)),),
            calibrate(ChemicalClockConfig(), 2.0),
        )


def test_cli_trains_with_a_chemical_clock(tmp_path, capsys) -> None:
    data, _, _ = linear_data(8, 1, seed=2)
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
            "--epochs",
            "2",
            "--clock",
            "chemical",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert result["clock"]["kind"] == "chemical" and result["clock"]["extra_species"] == 4
    assert result["network"]["events"] == 2
    assert result["max_abs_deviation"] < 1e-4
    assert "chemical clock" in capsys.readouterr().out
