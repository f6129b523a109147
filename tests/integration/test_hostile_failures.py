"""Failures, resume and guard rails (issue 7): a failing solver, a full disk, Ctrl-C and
resume, atomic saves, and the guard rails that refuse a run before simulating.

As for the hostile inputs of tests/integration/test_hostile.py: one line ``error: …`` on stderr,
exit status 2 for bad input (1 for failures), no traceback, and no partial output.
docs/hostile-inputs.md lists every case tried and what happens.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.nonlinear import NonlinearConfig
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import InputError, SimulationError
from sbmlcrn.simulate import Tolerances
from sbmlcrn.training.checkpoint import CheckpointStore, checkpoint_dir
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.store import save_run
from tests.integration.test_cli import (
    assert_one_error_line,
    regression_rows,
    run_cli,
    snapshot,
    write_rows,
)
from tests.integration.test_hostile import no_hidden_leftovers, train_args

# =========================================================================== failures


def _data(tmp_path: Path, n: int = 12) -> Path:
    return write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(n))


def test_solver_failure_is_a_typed_error_with_a_hint() -> None:
    """CVODE asked for more accuracy than doubles hold fails (Adams, then BDF): a typed error
    carrying CVODE's reason and the options to change."""
    rows = regression_rows(10)
    data = Dataset(("x1", "x2"), rows[:, :2], rows[:, 2], "y")
    impossible = Tolerances(relative=1e-18, absolute=1e-20)
    with pytest.raises(SimulationError, match=r"CV_TOO_MUCH_ACC") as info:
        train("linear-regression", data, config=LinearConfig(epochs=1), tolerances=impossible)
    assert "--horizon" in str(info.value)


def test_solver_failure_in_the_cli_leaves_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sbmlcrn.training.engines as engines_module

    def failing(*args, **kwargs):
        raise SimulationError(
            "RoadRunner failed to integrate the model: CVODE Error: CV_CONV_FAILURE"
        )

    monkeypatch.setattr(engines_module, "simulate_checkpointed", failing)
    data = _data(tmp_path)
    before = snapshot(tmp_path)
    code, _, err = run_cli(capsys, *train_args(data, tmp_path / "run"))
    assert code == 1
    assert_one_error_line(err, r"CV_CONV_FAILURE", r"--annihilation")
    assert snapshot(tmp_path) == before  # no run, no checkpoint


def test_full_disk_while_saving(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC while the run files are written: exit 1 naming the cause, no partial output,
    the checkpoint kept; once there is space, --resume finishes without simulating again."""
    data = _data(tmp_path)
    out = tmp_path / "run"
    real_write = Path.write_text

    def full(self: Path, *args, **kwargs):
        if self.name == "model.ant":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_write(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    code, _, err = run_cli(capsys, *train_args(data, out, "--epochs", "3"))
    assert code == 1
    assert_one_error_line(err, r"No space left on device")
    assert not out.exists()
    assert no_hidden_leftovers(tmp_path) == [".run.checkpoint"]
    monkeypatch.setattr(Path, "write_text", real_write)
    code, _, err = run_cli(capsys, "train", "--resume", out, "--quiet")
    assert code == 0, err
    assert (out / "result.json").is_file()
    assert no_hidden_leftovers(tmp_path) == []


def _can_mount_tmpfs() -> bool:
    return os.geteuid() == 0 and Path("/bin/mount").exists() and sys.platform == "linux"


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs root to mount a tmpfs")
def test_full_disk_for_real(tmp_path: Path) -> None:
    """A 64 kB tmpfs: the checkpoint cannot be written (training goes on) and the run files do
    not fit: exit 1, one line, nothing left on the file system."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mount failed: {mounted.stderr.decode().strip()}")
    try:
        data = _data(tmp_path, 30)
        proc = subprocess.run(
            [sys.executable, "-m", "sbmlcrn", *map(str, train_args(data, mnt / "run"))],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        assert_one_error_line(proc.stderr, r"No space left on device")
        leftovers = sorted(p.name for p in mnt.iterdir())
        assert leftovers in ([], [".run.checkpoint"]), leftovers
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def _long_job(tmp_path: Path) -> list[str]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = x @ [1.0, 2.0] + 1 + rng.normal(scale=0.3, size=400)
    data = write_rows(tmp_path / "long.csv", ["x1", "x2", "y"], np.c_[x, y])
    return ["train", "linear-regression", "--data", str(data), "--epochs", "50"]


def _interrupt(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``sbmlcrn ARGV``; send SIGINT once the first epoch is reported."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sbmlcrn", *argv, "--progress", "lines"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("[sbmlcrn] epoch "):
            proc.send_signal(signal.SIGINT)
            break
    rest_out, rest_err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, rest_out, "".join(lines) + rest_err
    )


def test_ctrl_c_then_resume_gives_the_uninterrupted_result(tmp_path: Path) -> None:
    argv = _long_job(tmp_path)
    full = subprocess.run(
        [sys.executable, "-m", "sbmlcrn", *argv, "--out", "full", "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    assert "Traceback" not in full.stderr

    cut = _interrupt([*argv, "--out", "part"], tmp_path)
    if "epoch 50/50" in cut.stderr:  # pragma: no cover - a machine faster than the progress
        pytest.skip("the whole run was simulated before the first progress line")
    assert cut.returncode == 130, cut.stderr
    errors = [ln for ln in cut.stderr.splitlines() if not ln.startswith("[sbmlcrn]")]
    assert len(errors) == 1 and "Traceback" not in cut.stderr, cut.stderr
    assert errors[0].startswith("error: interrupted after epoch ")
    assert "sbmlcrn train --resume part" in errors[0]
    assert not (tmp_path / "part").exists()  # no partial output directory
    assert (tmp_path / ".part.checkpoint" / "state.npz").is_file()
    state = json.loads((tmp_path / ".part.checkpoint" / "command.json").read_text("utf-8"))
    assert state[:2] == ["train", "linear-regression"]

    resumed = subprocess.run(
        [sys.executable, "-m", "sbmlcrn", "train", "--resume", "part"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from the checkpoint" in resumed.stderr
    a = json.loads((tmp_path / "full" / "result.json").read_text("utf-8"))
    b = json.loads((tmp_path / "part" / "result.json").read_text("utf-8"))
    for name, value in a["parameters"].items():
        assert abs(value - b["parameters"][name]) <= 1e-9
    np.testing.assert_allclose(b["train_loss"], a["train_loss"], rtol=0, atol=1e-9)
    assert (tmp_path / "part" / "model.xml").read_bytes() == (
        tmp_path / "full" / "model.xml"
    ).read_bytes()
    assert no_hidden_leftovers(tmp_path) == []


@pytest.mark.parametrize("circuit", ["linear-regression", "nonlinear-classification"])
def test_resume_in_the_api_matches_an_uninterrupted_run(tmp_path: Path, circuit: str) -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(12, 2))
    if circuit == "linear-regression":
        y, config = x @ [1.0, -2.0] + 0.5, LinearConfig(epochs=6)
    else:
        y, config = (x[:, 0] * x[:, 1] > 0).astype(float), NonlinearConfig(epochs=5)
    data = Dataset(("a", "b"), x, y, "y")
    plain = train(circuit, data, config=config)

    store = CheckpointStore(tmp_path / "ck")

    def stop_after_two(msg: str) -> None:
        if msg.startswith("epoch 2/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(circuit, data, config=config, checkpoint=store, progress=stop_after_two)
    assert store.completed == 2 and store.exists()
    resumed = train(
        circuit, data, config=config, checkpoint=CheckpointStore(store.path, resume=True)
    )
    for name, value in plain.parameters.items():
        assert abs(value - resumed.parameters[name]) <= 1e-9
    np.testing.assert_allclose(resumed.train_loss, plain.train_loss, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        resumed.parameter_trajectory, plain.parameter_trajectory, rtol=0, atol=1e-9
    )
    # checkpointing itself changes nothing (the no-resume path is the same computation)
    fresh = train(circuit, data, config=config, checkpoint=CheckpointStore(tmp_path / "ck2"))
    assert dict(fresh.parameters) == dict(plain.parameters)


def test_resume_refusals(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = _data(tmp_path)
    out = tmp_path / "run"
    # nothing to resume
    code, _, err = run_cli(capsys, "train", "--resume", out)
    assert code == 2
    assert_one_error_line(err, r"no interrupted run to resume")
    # a checkpoint, then a resume with other options: refused, checkpoint kept
    store = CheckpointStore(checkpoint_dir(out))

    def stop(msg: str) -> None:
        if msg.startswith("epoch 1/"):
            raise KeyboardInterrupt

    rows = regression_rows(12)
    with pytest.raises(KeyboardInterrupt):
        data_set = Dataset(("x1", "x2"), rows[:, :2], rows[:, 2], "y", name="d.csv")
        train("linear-regression", data_set, config=LinearConfig(epochs=3), checkpoint=store,
              progress=stop)  # fmt: skip
    code, _, err = run_cli(capsys, *train_args(data, out, "--epochs", "4", "--resume", out))
    assert code == 2
    assert_one_error_line(err, r"another training model")
    assert store.exists()
    code, _, err = run_cli(capsys, *train_args(data, out, "--resume", tmp_path / "elsewhere"))
    assert code == 2
    assert_one_error_line(err, r"--resume .* and --out .* differ")
    code, _, err = run_cli(capsys, *train_args(data, out, "--stochastic", "--resume", out))
    assert code == 2
    assert_one_error_line(err, r"cannot be resumed")
    # a damaged checkpoint
    (store.path / "state.npz").write_bytes(b"garbage")
    code, _, err = run_cli(capsys, *train_args(data, out, "--epochs", "3", "--resume", out))
    assert code == 2
    assert_one_error_line(err, r"damaged")
    # the same command without --resume starts afresh and clears it
    code, _, err = run_cli(capsys, *train_args(data, out, "--epochs", "3"))
    assert code == 0, err
    assert no_hidden_leftovers(tmp_path) == []


def test_save_run_is_atomic_on_any_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = regression_rows(8)
    run = train("linear-regression", Dataset(("x1", "x2"), rows[:, :2], rows[:, 2], "y"),
                config=LinearConfig(epochs=1))  # fmt: skip
    import sbmlcrn.training.store as store_module

    def broken(*args, **kwargs):  # after model.xml and model.ant are written
        raise KeyboardInterrupt

    monkeypatch.setattr(store_module, "write_record", broken)
    with pytest.raises(KeyboardInterrupt):
        save_run(run, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


# =========================================================================== guard rails


def _dataset(scale: float = 1.0, n: int = 10, classes: bool = False) -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.uniform(1, 5, size=(n, 2)) * scale
    y = (x[:, 0] > x[:, 1]).astype(float) if classes else x @ [1.0, 2.0] + scale
    return Dataset(("x1", "x2"), x, y, "y", name="g.csv")


GUARD_CASES = [
    ("annihilation-rate", "linear-regression", {"annihilation": 2000.0}, False, 1.0,
     r"--annihilation 2000 makes the training ODE too stiff"),
    ("annihilation-x-phase", "linear-regression", {"annihilation": 600.0}, False, 1.0,
     r"--annihilation 600 x --horizon 1 = 600 exceeds 500"),
    ("long-backward", "linear-regression", {"backward": 1000.0}, False, 1.0,
     r"--backward 1000 = 1000 exceeds 500"),
    ("unscaled-inputs", "linear-regression", {"standardize": False}, False, 1e16,
     r"input 'x\d' reaches .*--no-standardize"),
    ("unscaled-targets", "linear-regression", {"standardize": False}, False, 1e11,
     r"targets would load concentrations .* standardise the targets"),
    ("huge-augmentation", "linear-regression", {"augmentation": 1e20}, False, 1.0,
     r"--augmentation 1e\+20"),
    ("gradient-explosion", "linear-regression", {"lr": 1.2}, False, 1.0,
     r"Gradient explosion: the training loss grows .* lower --lr \(now 1.2\)"),
    ("divergence", "linear-regression", {"lr": 1e6}, False, 1.0, r"diverges|explosion"),
    ("quadratic-blowup", "nonlinear-classification", {"horizon": 3.0}, True, 1.0,
     r"forward phase blows up.*c \|x\| T = .* >= 1.*--horizon or --degradation"),
    ("degradation", "nonlinear-regression", {"degradation": 2000.0}, False, 1.0,
     r"--degradation 2000"),
    ("init-scale", "nonlinear-classification", {"init_scale": 1e13}, True, 1.0,
     r"initial parameters .* --init-scale"),
    ("class-values", "nonlinear-classification", {"class_values": (0.0, 1e13)}, True, 1.0,
     r"targets .*\(--class-values\)"),
    ("end-time", "linear-regression", {"annihilation": 1e-12, "horizon": 1e12}, False, 1.0,
     r"would last t = .* at most 1e\+12"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("circuit", "changes", "classes", "scale", "pattern"),
    [pytest.param(*c[1:], id=c[0]) for c in GUARD_CASES],
)
def test_guard_rails_refuse_before_simulating(
    circuit: str, changes: dict, classes: bool, scale: float, pattern: str
) -> None:
    kind = LinearConfig if circuit.startswith("linear") else NonlinearConfig
    config = kind(epochs=3, **changes)
    start = time.monotonic()
    with pytest.raises(InputError, match=pattern):
        train(circuit, _dataset(scale, classes=classes), config=config)
    assert time.monotonic() - start < 10


def test_guard_rails_leave_the_measured_stable_range_alone() -> None:
    """Settings just inside the limits train exactly (measured boundaries: docs)."""
    for changes in ({"annihilation": 500.0}, {"backward": 400.0}, {"annihilation": 100.0}):
        run = train("linear-regression", _dataset(), config=LinearConfig(epochs=2, **changes))
        assert run.max_abs_deviation < 1e-6
    run = train(
        "linear-regression", _dataset(1e9), config=LinearConfig(epochs=2, standardize=False)
    )
    assert run.max_abs_deviation < 1e-6 * max(1.0, float(np.max(np.abs(run.reference.theta))))
