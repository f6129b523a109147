"""The RoadRunner adapter: immutable results and typed errors."""

from __future__ import annotations

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.errors import SimulationError
from sbmlcrn.network import Network, Parameter, Reaction, Species
from sbmlcrn.simulate import Tolerances, simulate, simulate_batch
from sbmlcrn.writers import to_sbml

from .helpers import linear_data


@pytest.fixture(scope="module")
def sbml_and_end() -> tuple[str, float]:
    data, _, _ = linear_data(6, 1, seed=2)
    c = compile_linear("regression", data, LinearConfig(epochs=2))
    return to_sbml(c.network), c.clock.end_time


def test_result_is_immutable(sbml_and_end: tuple[str, float]) -> None:
    sbml, end = sbml_and_end
    res = simulate(sbml, [0.0, end / 2, end], species=["p1_p"])
    with pytest.raises(ValueError):
        res["p1_p"][0] = 1.0
    with pytest.raises(TypeError):
        res.final["p1_p"] = 1.0  # type: ignore[index]
    assert res.times.tolist() == [0.0, end / 2, end]


def test_unloadable_model_is_a_simulation_error() -> None:
    with pytest.raises(SimulationError, match="could not load"):
        simulate("<sbml>not a model", [0.0, 1.0])


def test_solver_failure_is_a_simulation_error() -> None:
    # 2A -> 3A: dA/dt = A^2 blows up at t = 1; CVODE cannot pass it.
    net = Network(
        "blowup",
        (Species("A", 1.0),),
        (Parameter("k", 1.0),),
        (Reaction("r", ("A", "A"), ("A", "A", "A"), "k"),),
    )
    with pytest.raises(SimulationError, match=r"failed to integrate.*CV_TOO_MUCH_WORK"):
        simulate(to_sbml(net), [0.0, 2.0], tolerances=Tolerances(max_steps=5000))


@pytest.mark.parametrize("times", [[1.0, 2.0], [0.0], [0.0, 2.0, 1.0]])
def test_bad_time_grid_is_rejected(sbml_and_end: tuple[str, float], times: list[float]) -> None:
    with pytest.raises(SimulationError, match="times parameter"):
        simulate(sbml_and_end[0], times)


def test_tolerances_are_checked() -> None:
    with pytest.raises(SimulationError, match="relative parameter"):
        Tolerances(relative=0.0)


def test_batch_rejects_unknown_species(sbml_and_end: tuple[str, float]) -> None:
    with pytest.raises(SimulationError, match="no species"):
        simulate_batch(sbml_and_end[0], 1.0, {"nope": np.zeros(2)}, ["p1_p"])
