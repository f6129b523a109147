"""scripts/bench.py: the batch-size and tolerance options of the simulator comparison."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench

from sbmlcrn.simulate import Tolerances


def _workload(slug: str) -> bench.Workload:
    return next(w for w in bench.workloads(quick=True) if w.slug == slug)


def test_batched_workloads_compile_at_the_batch_size_and_node_ones_stay_at_one() -> None:
    assert _workload("linreg-authors").make(4).config.batch_size == 4
    assert _workload("products-xor").make(4).config.batch_size == 4
    node = _workload("nonlin-reg")
    assert not node.batches
    assert not hasattr(node.make(4).config, "batch_size")


def test_tolerance_modes() -> None:
    circuit = _workload("linreg-d8").make(16)
    assert bench.tolerances_for(circuit, "fixed") == Tolerances(1e-10, 1e-12)
    train = bench.tolerances_for(circuit, "train")
    assert (train.relative, train.absolute) == (1e-6, 1e-8)
    node = _workload("nonlin-reg").make()
    assert bench.tolerances_for(node, "train") == Tolerances()


def test_a_batched_workload_runs_and_its_tables_say_b_and_the_gap(
    capsys: pytest.CaptureFixture[str],
) -> None:
    skip = {"copasi", "scipy", "phases"}
    result = bench.bench_workload(_workload("linreg-authors"), 1, skip, 4, "train")
    assert result["batch_size"] == 4
    assert result["summary"]["ok"], result["summary"]
    assert "roadrunner/numpy" in result["summary"]["ratios"]
    bench.print_tables({"workloads": [result], "rounds": 1, "batch_size": 4})
    out = capsys.readouterr().out
    assert "| linreg-authors | 4 | rtol 1e-06 / atol 1e-08" in out
    assert "Gap to the numpy floor per sample" in out


def test_a_failing_contender_is_reported_with_its_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_args: object) -> dict:
        raise RuntimeError("no such model")

    monkeypatch.setattr(bench, "run_scipy", refuse)
    skip = {"copasi", "phases", "roadrunner"}
    result = bench.bench_workload(_workload("linreg-authors"), 2, skip, 1, "fixed")
    assert result["errors"] == {"scipy": "RuntimeError: no such model"}
    assert not result["summary"]["ok"]
    assert "scipy failed: RuntimeError: no such model" in bench.table_main([result])
