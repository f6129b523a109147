"""``load_run(dir).roadrunner()`` and the per-sample loss (issue 17)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import sbmlcrn
from sbmlcrn.core.data import make_task, read_csv

ROOT = Path(__file__).resolve().parents[2]


def test_loaded_run_gives_theta_and_loss_selections_and_the_per_sample_losses(tmp_path) -> None:
    data = read_csv(ROOT / "examples" / "linreg_train.csv")
    sbmlcrn.train("linear-regression", data, epochs=3, out=tmp_path / "run")
    run = sbmlcrn.load_run(tmp_path / "run")
    rr = run.roadrunner()
    assert list(rr.timeCourseSelections) == ["time", "theta_x1", "theta_x2", "theta_offset", "loss"]
    out = rr.simulate(0, run.training_end_time, 3)
    for name, value in run.parameters.items():
        assert abs(out[f"theta_{name}"][-1] - value) <= 1e-9
    losses = run.sample_losses()
    assert losses.shape == (3, len(data))
    np.testing.assert_allclose(losses.mean(axis=1), run.train_loss, rtol=1e-8, atol=1e-12)
    times = run.loss_times()
    assert times.shape == (3 * len(data),) and np.all(np.diff(times) > 0)


def test_batched_hinge_losses_are_the_per_sample_mean() -> None:
    task = make_task("xor", 0)
    run = sbmlcrn.train("nonlinear-classification", task.train, epochs=2, batch_size=4)
    losses = run.sample_losses()  # one column per mini-batch: the mean over its slots
    assert losses.shape == (2, -(-len(task.train) // 4))
    assert np.all(losses >= 0)
