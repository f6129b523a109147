"""The phase-by-phase engine learns the same parameters as the one SBML model with events."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.nonlinear import NonlinearConfig
from sbmlcrn.core.data import Dataset, make_task
from sbmlcrn.errors import InputError
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.store import save_run
from tests.helpers import linear_data


def _xor(n: int = 16, seed: int = 6) -> Dataset:
    x = np.random.default_rng(seed).normal(size=(n, 2))
    return Dataset(("a", "b"), x, (x[:, 0] * x[:, 1] > 0).astype(float), "y")


CASES = [
    ("linear-regression", lambda: linear_data(15, 3, seed=4)[0], LinearConfig(epochs=4)),
    (
        "linear-classification",
        lambda: Dataset(("a", "b"), _xor().x, (_xor().x.sum(axis=1) > 0).astype(float), "y"),
        LinearConfig(epochs=3),
    ),
    ("nonlinear-regression", lambda: make_task("poly", seed=1).train, NonlinearConfig(epochs=2)),
    ("nonlinear-classification", _xor, NonlinearConfig(epochs=3, nonlinearity="cubic")),
    (
        "nonlinear-multiclass",
        lambda: make_task("iris", seed=0).train,
        NonlinearConfig(epochs=1),
    ),
]


@pytest.mark.parametrize(("circuit", "data", "config"), CASES, ids=[c[0] for c in CASES])
def test_phases_engine_learns_what_the_events_model_learns(circuit, data, config) -> None:
    d = data()
    events = train(circuit, d, config=config)
    phases = train(circuit, d, config=config, engine="phases")
    assert (events.engine, phases.engine) == ("events", "phases")
    assert phases.sbml == events.sbml  # model.xml is the same standard artifact
    theta_e = np.array(list(events.parameters.values()))
    theta_p = np.array(list(phases.parameters.values()))
    scale = max(1.0, float(np.max(np.abs(theta_e))))
    assert list(phases.parameters) == list(events.parameters)
    assert float(np.max(np.abs(theta_p - theta_e))) <= 1e-9 * scale
    np.testing.assert_allclose(
        phases.parameter_trajectory, events.parameter_trajectory, rtol=0, atol=1e-9 * scale
    )
    np.testing.assert_allclose(phases.train_loss, events.train_loss, rtol=1e-8, atol=1e-12)
    # and both agree with the independent reference as closely as the events run does
    assert phases.max_abs_deviation <= max(10 * events.max_abs_deviation, 1e-9 * scale)


def test_phases_engine_reports_epochs_and_is_recorded(tmp_path: Path) -> None:
    d, _, _ = linear_data(10, 2, seed=9)
    seen: list[str] = []
    run = train(
        "linear-regression", d, config=LinearConfig(epochs=3), engine="phases", progress=seen.append
    )
    epochs = [m for m in seen if m.startswith("epoch ")]
    assert [m.split()[1] for m in epochs] == ["1/3", "2/3", "3/3"]
    assert epochs[-1] == f"epoch 3/3 simulated, loss {run.train_loss[-1]:.6g}"
    out = save_run(run, tmp_path / "run")
    assert json.loads((out / "result.json").read_text("utf-8"))["engine"] == "phases"


def test_bad_engines_are_refused() -> None:
    from sbmlcrn.training.checkpoint import CheckpointStore

    d, _, _ = linear_data(6, 1, seed=2)
    with pytest.raises(InputError, match="The engine parameter of train must be one of"):
        train("linear-regression", d, engine="fast")
    with pytest.raises(InputError, match="--engine phases keeps no checkpoint"):
        train(
            "linear-regression",
            d,
            engine="phases",
            checkpoint=CheckpointStore(Path("unused-ck"), resume=True),
        )


def test_cli_engine_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from .test_cli import run_cli

    d, _, _ = linear_data(12, 2, seed=3)
    csv = tmp_path / "d.csv"
    rows = "\n".join(",".join(f"{v:.6f}" for v in (*x, y)) for x, y in zip(d.x, d.y, strict=True))
    csv.write_text("x1,x2,y\n" + rows + "\n", "utf-8")
    for engine in ("events", "phases"):
        code, _out, err = run_cli(
            capsys, "train", "linear-regression", "--data", csv, "--out", tmp_path / engine,
            "--epochs", "3", "--engine", engine, "--quiet",
        )  # fmt: skip
        assert code == 0, err
    results = [
        json.loads((tmp_path / e / "result.json").read_text("utf-8")) for e in ("events", "phases")
    ]
    assert [r["engine"] for r in results] == ["events", "phases"]
    for name, value in results[0]["parameters"].items():
        assert abs(results[1]["parameters"][name] - value) <= 1e-9
    assert (tmp_path / "events" / "model.xml").read_bytes() == (
        tmp_path / "phases" / "model.xml"
    ).read_bytes()
