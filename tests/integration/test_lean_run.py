"""A lean whole run (issue 16, part 3): ``sbmlcrn --help`` loads no numerical stack, the run
record's ``timings`` account for the whole run, and the plot worker draws the same files as
the training process would (or lets it draw them when it cannot).

No timing is asserted here: the figures are measured by ``scripts/lean_run.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.training.pipeline import train
from sbmlcrn.training.plots import PlotWorker, draw_plots
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.store import save_run
from tests.helpers import run_cli, tiny_training

HEAVY = ("numpy", "matplotlib", "roadrunner", "libsbml", "antimony", "scipy")
#: The timed parts of a saved fresh run (``test_s`` only with a test set).
PARTS = ("build_s", "reference_s", "simulate_s", "save_s", "plots_s")


@pytest.fixture(scope="module")
def fresh_run() -> TrainingRun:
    data, config = tiny_training("linear-regression")
    return train("linear-regression", data, config=config)


def _loaded_by(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_help_loads_no_numerical_stack() -> None:
    code = "from sbmlcrn.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    assert _loaded_by(code) == []


def test_parsing_a_train_command_loads_no_numerical_stack() -> None:
    code = (
        "from sbmlcrn.cli import _build_parser\n"
        "_build_parser().parse_args(['train', 'linear-regression', '--data', 'd.csv', "
        "'--out', 'o'])"
    )
    assert _loaded_by(code) == []


def test_train_help_still_lists_the_circuits(capsys: pytest.CaptureFixture[str]) -> None:
    from sbmlcrn.circuits.registry import CIRCUITS

    code, out, _ = run_cli(capsys, "train", "--help")
    assert code == 0
    assert ", ".join(list(CIRCUITS)[:2]) in " ".join(out.split())


def test_cli_record_timings_cover_the_parts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = tiny_training("linear-regression")
    assert data.y is not None
    rows = np.column_stack([data.x, data.y])
    csv = tmp_path / "d.csv"
    csv.write_text(
        "x1,x2,y\n" + "".join(",".join(f"{v:.6f}" for v in r) + "\n" for r in rows),
        encoding="utf-8",
    )
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", csv, "--test", csv, "--epochs", 2,
        "--out", tmp_path / "run", "--quiet",
    )  # fmt: skip
    assert code == 0, err
    timings = json.loads((tmp_path / "run" / "result.json").read_text())["timings"]
    parts = (*PARTS, "test_s")
    assert set(parts) <= set(timings)
    assert all(timings[p] >= 0.0 for p in parts)
    assert timings["total_s"] >= sum(timings[p] for p in parts)
    assert {p.name for p in (tmp_path / "run").iterdir()} >= {"loss.png", "predictions.png"}


def test_fresh_run_timings(fresh_run: TrainingRun, tmp_path: Path) -> None:
    parts = ("build_s", "reference_s", "simulate_s")
    assert fresh_run.timings["total_s"] >= sum(fresh_run.timings[p] for p in parts)
    save_run(fresh_run, tmp_path / "run", plots=False)
    timings = json.loads((tmp_path / "run" / "result.json").read_text())["timings"]
    assert "plots_s" not in timings
    assert timings["total_s"] >= sum(timings[p] for p in (*parts, "save_s"))
    assert timings["total_s"] >= fresh_run.timings["total_s"]


def test_resaved_run_keeps_its_recorded_timings(fresh_run: TrainingRun, tmp_path: Path) -> None:
    from sbmlcrn.training.store import load_run

    save_run(fresh_run, tmp_path / "a", plots=False)
    loaded = load_run(tmp_path / "a")
    save_run(loaded, tmp_path / "b")
    first, second = (json.loads((tmp_path / d / "result.json").read_text()) for d in "ab")
    assert second["timings"] == first["timings"]


def test_worker_draws_the_same_files(fresh_run: TrainingRun, tmp_path: Path) -> None:
    here, there = tmp_path / "here.png", tmp_path / "there.png"
    draw_plots(fresh_run, [("loss", here)])
    with PlotWorker.start(when_idle=False) as worker:
        drawn_by_worker = worker.draw(fresh_run, [("loss", there)])
    assert drawn_by_worker or len(os.sched_getaffinity(0)) < 2  # no worker on one processor
    assert there.read_bytes() == here.read_bytes()


def test_unusable_worker_falls_back(fresh_run: TrainingRun, tmp_path: Path) -> None:
    failing = subprocess.Popen([sys.executable, "-c", "raise SystemExit(1)"], stdin=subprocess.PIPE)
    with PlotWorker(failing) as worker:
        assert worker.draw(fresh_run, [("loss", tmp_path / "a.png")]) is False
    assert (tmp_path / "a.png").is_file()
    assert PlotWorker(None).draw(fresh_run, [("loss", tmp_path / "b.png")]) is False
    assert (tmp_path / "b.png").read_bytes() == (tmp_path / "a.png").read_bytes()


def test_unused_worker_is_stopped() -> None:
    worker = PlotWorker.start(when_idle=False)
    assert worker.running or len(os.sched_getaffinity(0)) < 2
    with worker:
        pass
    assert not worker.running
