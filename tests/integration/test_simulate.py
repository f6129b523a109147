"""The RoadRunner adapter: immutable results and typed errors."""

from __future__ import annotations

import hashlib

import antimony
import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.core.network import Network, Parameter, Reaction, Species
from sbmlcrn.errors import SimulationError
from sbmlcrn.io.sbml import to_antimony, to_sbml
from sbmlcrn.simulate import (
    SegmentState,
    Tolerances,
    load_roadrunner,
    model_ids,
    simulate,
    simulate_batch,
    simulate_segments,
)
from sbmlcrn.simulate._runner import adams_then_bdf
from tests.helpers import linear_data


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


# --------------------------------------------------------------------- compiled-model reuse


def test_compiled_models_are_reused_by_sbml_text_and_results_do_not_change() -> None:
    from sbmlcrn.simulate import _runner as sim_mod

    data, _, _ = linear_data(8, 2, seed=11)
    c = compile_linear("regression", data, LinearConfig(epochs=3))
    sbml = to_sbml(c.network)
    grid = np.unique([0.0, *c.epoch_start_times(), c.clock.end_time])
    cut = c.epoch_start_times()[1:]
    key = hashlib.sha256(sbml.encode("utf-8")).hexdigest()
    previous = sim_mod.runner_cache_size()
    try:
        sim_mod.runner_cache_size(0)
        uncached = simulate(sbml, grid, breakpoints=cut)
        assert key not in sim_mod._CACHE
        sim_mod.runner_cache_size(4)
        first = simulate(sbml, grid, breakpoints=cut)
        assert key in sim_mod._CACHE
        again = simulate(sbml, grid, breakpoints=cut)  # compiled code reused
        for res in (first, again):
            assert dict(res.final) == dict(uncached.final)  # bit-identical
            np.testing.assert_array_equal(res["p1_p"], uncached["p1_p"])
        # least recently used models leave first
        one_epoch = LinearConfig(epochs=1)
        for seed in (12, 13, 14, 15):
            text = to_sbml(
                compile_linear("regression", linear_data(8, 2, seed=seed)[0], one_epoch).network
            )
            simulate(text, [0.0, 1.0])
        assert key not in sim_mod._CACHE and len(sim_mod._CACHE) == 4
        sim_mod.runner_cache_size(1)
        assert len(sim_mod._CACHE) == 1
    finally:
        sim_mod.runner_cache_size(previous)


def test_models_with_the_same_id_never_share_compiled_code() -> None:
    from sbmlcrn.simulate import _runner as sim_mod

    nets = [
        compile_linear("regression", linear_data(6, 1, seed=s)[0], LinearConfig(epochs=2))
        for s in (21, 22)
    ]
    assert nets[0].network.id == nets[1].network.id
    texts = [to_sbml(c.network) for c in nets]
    end = nets[0].clock.end_time
    previous = sim_mod.runner_cache_size()
    try:
        sim_mod.runner_cache_size(0)
        alone = [simulate(t, [0.0, end]).final["p1_p"] for t in texts]
        sim_mod.runner_cache_size(4)
        together = [simulate(t, [0.0, end]).final["p1_p"] for t in (*texts, *texts)]
    finally:
        sim_mod.runner_cache_size(previous)
    assert alone[0] != alone[1]
    assert together == [*alone, *alone]


def test_runner_cache_size_is_checked_and_roadrunner_settings_are_restored() -> None:
    import roadrunner

    from sbmlcrn.simulate import runner_cache_size

    with pytest.raises(SimulationError, match="The size parameter of runner_cache_size"):
        runner_cache_size(-1)
    config = roadrunner.Config
    keys = (
        config.ROADRUNNER_DISABLE_PYTHON_DYNAMIC_PROPERTIES,
        config.LOADSBMLOPTIONS_MUTABLE_INITIAL_CONDITIONS,
        config.LLVM_BACKEND,
    )
    before = [config.getValue(k) for k in keys]
    data, _, _ = linear_data(4, 1, seed=3)
    simulate(to_sbml(compile_linear("regression", data, LinearConfig(epochs=1)).network), [0, 1])
    # a user's own models keep their attributes and mutable initial conditions
    assert [config.getValue(k) for k in keys] == before


def test_parallel_runs_of_models_with_the_same_id_do_not_collide() -> None:
    from concurrent.futures import ThreadPoolExecutor

    circuits = [
        compile_linear("regression", linear_data(10, 2, seed=s)[0], LinearConfig(epochs=3))
        for s in (31, 32, 33, 34)
    ]
    assert len({c.network.id for c in circuits}) == 1
    texts = [to_sbml(c.network) for c in circuits]
    end = circuits[0].clock.end_time
    alone = [simulate(t, [0.0, end]).final["p1_p"] for t in texts]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda t: simulate(t, [0.0, end]).final["p1_p"], texts * 2))
    assert together == alone * 2
    assert len(set(alone)) == 4


def test_a_users_own_roadrunner_model_is_not_given_sbmlcrns_compiled_code() -> None:
    """sbmlcrn compiles without mutable initial conditions; a user's RoadRunner(text) of the
    same text must still have its initial values and a working reset()."""
    import roadrunner

    data, _, _ = linear_data(5, 1, seed=41)
    c = compile_linear("regression", data, LinearConfig(epochs=1))
    sbml = to_sbml(c.network)
    simulate(sbml, [0.0, c.clock.end_time])  # compiled and kept in sbmlcrn's cache
    user = roadrunner.RoadRunner(sbml)
    initial = {s.id: s.initial for s in c.network.species}
    for sid, value in initial.items():
        assert user.getValue(f"init([{sid}])") == pytest.approx(value, abs=1e-15)
    user.simulate(0.0, c.clock.end_time, 3)
    user.reset()
    for sid, value in initial.items():
        assert user.getValue(f"[{sid}]") == pytest.approx(value, abs=1e-15)


def test_a_failing_progress_callback_is_its_own_error_not_an_integration_failure() -> None:
    data, _, _ = linear_data(6, 1, seed=42)
    c = compile_linear("regression", data, LinearConfig(epochs=3))
    grid = np.unique([0.0, *c.epoch_start_times(), c.clock.end_time])
    calls: list[float] = []

    def broken(t: float, _end: float, rows) -> None:
        calls.append(t)
        with pytest.raises(ValueError):
            rows["time"][0] = -1.0  # the rows are read-only
        raise BrokenPipeError("stderr went away")

    with pytest.raises(BrokenPipeError):
        simulate(to_sbml(c.network), grid, breakpoints=c.epoch_start_times()[1:], progress=broken)
    assert len(calls) == 1  # not retried with BDF as if CVODE had failed


def test_antimony_text_loads_and_matches_sbml_trajectories() -> None:
    data, _, _ = linear_data(12, 2, seed=3)
    compiled = compile_linear("regression", data, LinearConfig(epochs=2))
    ant = to_antimony(compiled.network)
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(ant) >= 0, antimony.getLastError()
    from_ant = antimony.getSBMLString(compiled.network.id)
    times = np.linspace(0.0, compiled.clock.end_time, 97)
    a = simulate(from_ant, times)
    b = simulate(to_sbml(compiled.network), times)
    for sid in compiled.network.species_ids():
        np.testing.assert_allclose(a[sid], b[sid], rtol=1e-9, atol=1e-10)


# --------------------------------------------------------------------- segments and resuming


def test_segments_hand_out_plain_states_and_resume_bit_identically() -> None:
    data, _, _ = linear_data(8, 2, seed=5)
    c = compile_linear("regression", data, LinearConfig(epochs=3))
    sbml = to_sbml(c.network)
    grid = np.unique([0.0, *c.epoch_start_times(), c.clock.end_time])
    cut = list(c.epoch_start_times()[1:])
    whole = simulate(sbml, grid, breakpoints=cut)
    states: list[SegmentState] = []
    rows: list[np.ndarray] = []

    def keep(state: SegmentState, new_rows: np.ndarray) -> None:
        states.append(state)
        rows.append(np.array(new_rows))

    again = simulate_segments(sbml, grid, breakpoints=cut, after_segment=keep)
    assert dict(again.final) == dict(whole.final)
    assert [s.segment for s in states] == [0, 1, 2] and not any(s.stiff for s in states)
    species, parameters = model_ids(sbml)
    for s in states:
        assert (s.species, s.parameters) == (species, parameters)
        assert isinstance(s.amounts, np.ndarray) and isinstance(s.values, np.ndarray)
    assert sum(len(r) for r in rows) == grid.size
    resumed = simulate_segments(sbml, grid, breakpoints=cut, start=states[0], rows=rows[:1])
    assert dict(resumed.final) == dict(whole.final)  # bit-identical
    for sid in whole.columns:
        np.testing.assert_array_equal(resumed[sid], whole[sid])
    with pytest.raises(SimulationError, match="The rows parameter of simulate_segments"):
        simulate_segments(sbml, grid, breakpoints=cut, start=states[1], rows=rows[:1])
    other = SegmentState(0, 1.0, False, ("X",), np.zeros(1), (), np.zeros(0))
    with pytest.raises(SimulationError, match="The start parameter of simulate_segments"):
        simulate_segments(sbml, grid, breakpoints=cut, start=other, rows=rows[:1])


def test_adams_then_bdf_falls_back_once_and_only_on_simulation_errors() -> None:
    calls: list[bool] = []
    messages = ["old"]
    restarted: list[bool] = []

    def flaky(stiff: bool) -> str:
        calls.append(stiff)
        if not stiff:
            raise SimulationError("CV_TOO_MUCH_WORK")
        return "bdf"

    assert adams_then_bdf(flaky, Tolerances(), messages, restart=lambda: restarted.append(True))
    assert calls == [False, True] and messages == [] and restarted == [True]
    calls.clear()
    with pytest.raises(SimulationError):
        adams_then_bdf(flaky, Tolerances(stiff=False), [])
    assert calls == [False]

    def broken(stiff: bool) -> str:
        raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        adams_then_bdf(broken, Tolerances(), [])


def test_load_roadrunner_gives_a_users_instance(sbml_and_end: tuple[str, float]) -> None:
    sbml, end = sbml_and_end
    rr = load_roadrunner(sbml, ["time", "p1_p"])
    assert list(rr.timeCourseSelections) == ["time", "p1_p"]
    out = rr.simulate(0.0, end, 3)
    assert out.shape == (3, 2)
    rr.reset()  # mutable initial conditions: reset restores the start
    assert rr.getValue("p1_p") == out[0, 1]
    with pytest.raises(SimulationError, match="could not load"):
        load_roadrunner("<sbml/>")
