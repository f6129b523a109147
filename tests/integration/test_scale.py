"""Scale: the phases engine trains on many samples exactly, with per-sample arrays only linear
in the samples (``scripts/scale.py`` measures 10,000–100,000 samples; no timing here)."""

from __future__ import annotations

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.registry import circuit_spec, family_of, reference_run
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.expr import Const, Op, Sym, balanced_lookup
from sbmlcrn.errors import InputError
from sbmlcrn.training.driver import _Phases
from sbmlcrn.training.engines import run_engine
from sbmlcrn.training.limits import MAX_DATA_VALUES, MAX_PHASES_DATA_VALUES, check_size
from sbmlcrn.training.schedule import evaluate_expr, lookup_values, schedule
from sbmlcrn.training.transforms import TrainingModel


def _data(n: int, d: int = 2, seed: int = 2) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) + rng.uniform(-1.0, 1.0, size=d)
    y = x @ rng.uniform(-2.0, 2.0, size=d) + 0.3 + 0.1 * rng.normal(size=n)
    return Dataset(tuple(f"x{i + 1}" for i in range(d)), x, y, "y", name="scale")


def _compiled(n: int, epochs: int = 1):
    spec = circuit_spec("linear-regression")
    config = spec.check_config(LinearConfig(epochs=epochs))
    return family_of(config).compile(spec.task, _data(n), config)


def test_3000_samples_phases_engine_equals_the_reference() -> None:
    n = 3_000
    compiled = _compiled(n)
    ref = reference_run(compiled)
    model = TrainingModel(compiled, compiled, "", "", (), ())
    result = run_engine("phases", model)
    scale = max(1.0, float(np.max(np.abs(ref.theta))))
    assert float(np.max(np.abs(result.theta - ref.theta))) / scale <= 1e-6
    # every per-sample array is linear in n: one row per sample, never n × n or per phase
    d = len(compiled.parameter_species)
    assert d == 3
    assert result.errors.shape == (1, n, 1)
    assert result.trajectory.shape == (2, d)
    assert np.asarray(ref.errors).shape == (1, n)
    assert np.allclose(result.errors[0, :, 0], ref.errors[0], rtol=1e-6, atol=1e-8)


def test_schedule_loads_are_the_event_lookups_at_every_index() -> None:
    compiled = _compiled(257, epochs=2)
    sched = schedule(compiled)
    first = compiled.network.events[0]
    env = {p.id: p.value for p in compiled.network.parameters}
    for target, expr in first.assignments:
        if target in sched.loads:
            want = [evaluate_expr(expr, {**env, "idx": float(k)}) for k in range(257)]
            assert np.array_equal(sched.loads[target], want), target


@pytest.mark.parametrize("n", [1, 2, 7, 64, 101])
def test_lookup_values_equals_evaluating_every_index(n: int) -> None:
    values = np.random.default_rng(n).normal(size=n).round(1)  # runs of equal values too
    idx = Sym("idx")
    exprs = [
        balanced_lookup(idx, list(values), "mole_per_litre"),
        Const(2.5),
        # not a lookup node: evaluated index by index
        Op("+", (balanced_lookup(idx, list(values)), Op("*", (idx, Const(0.5))))),
        Op("piecewise", (Const(1.0), Op("<", (idx, Const(n / 2))), Const(-1.0))),
    ]
    for expr in exprs:
        want = [evaluate_expr(expr, {"idx": float(k)}) for k in range(n)]
        assert np.array_equal(lookup_values(expr, n, {}), want)


def test_phases_are_made_on_demand_and_equal_the_schedule() -> None:
    n, epochs = 50, 2
    sched = schedule(_compiled(n, epochs=epochs))
    phases = _Phases(sched, 1.0, False)
    assert len(phases) == 2 * n * epochs
    items = list(phases)
    assert items == phases[:] and items[-1] == phases[-1] and items[3] == phases[3]
    with pytest.raises(IndexError):
        phases[len(phases)]
    for k, (start, end, assign) in enumerate(items):
        c, j = divmod(k, 2)
        assert start == sched.starts[c, j]
        assert end == (sched.starts.ravel()[k + 1] if k + 1 < len(items) else sched.end_time)
        if j == 0:
            for sid, v in sched.loads.items():
                assert assign[sid] == v[c % n]
        else:
            assert set(assign) == set(sched.gates)
    # the gate-only assignments are one dict shared by every cycle, not one per phase
    assert len({id(a) for _, _, a in items[1::2]}) == 1
    # the sequence keeps one number per sample and column, never a dict per phase
    assert len(phases._columns) == len(sched.loads)
    assert all(len(v) == n for _, v in phases._columns)


def test_phases_engine_accepts_100000_samples_the_events_engine_refuses() -> None:
    n = 100_000
    data = Dataset(("x1", "x2"), np.zeros((n, 2)), np.zeros(n), "y", name="big")
    assert n * 3 <= MAX_PHASES_DATA_VALUES
    check_size("linear-regression", data, LinearConfig(epochs=1), engine="phases")
    with pytest.raises(InputError, match=f"holds at most {MAX_DATA_VALUES:,} "):
        check_size("linear-regression", data, LinearConfig(epochs=1))
    bigger = Dataset(("x1", "x2"), np.zeros((n + 1, 2)), np.zeros(n + 1), "y", name="big")
    with pytest.raises(InputError, match="phases engine holds at most 300,000: subsample"):
        check_size("linear-regression", bigger, LinearConfig(epochs=1), engine="phases")
