"""Progress display: a bar on a terminal, no control characters in logs, unchanged results."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.nonlinear import NonlinearConfig
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import InputError
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.progress import Progress, format_duration
from tests.helpers import linear_data

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # anything but tab and newline


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_on_a_terminal_shows_epochs_loss_and_eta() -> None:
    clock, out = FakeClock(), Tty()
    p = Progress("auto", out, clock=clock)
    assert p.mode == "bar"
    p.start(4)
    clock.now += 10.0
    p.epoch(1, 4, 0.25)
    clock.now += 10.0
    p.epoch(2, 4, 0.125)
    p("a status line")
    clock.now += 20.0
    p.epoch(4, 4, 0.0625)
    text = out.getvalue()
    assert "\r\x1b[K[sbmlcrn] epoch 1/4 [" in text
    assert "loss 0.25 elapsed 0:10 ETA 0:30" in text  # 10 s per epoch, 3 left
    assert "epoch 2/4" in text and "ETA 0:20" in text
    assert "\r\x1b[K[sbmlcrn] a status line\n" in text
    assert text.endswith("loss 0.0625 elapsed 0:40 ETA 0:00\n")  # the finished bar stays


def test_bar_redraws_at_most_ten_times_a_second() -> None:
    clock, out = FakeClock(), Tty()
    p = Progress("bar", out, clock=clock)
    p.start(1000)
    for k in range(1, 200):
        clock.now += 0.0004
        p.epoch(k, 1000, 1.0)
    assert out.getvalue().count("\r") == 1  # only the start (0.08 s have passed)
    clock.now += 0.2
    p.epoch(200, 1000, 1.0)
    assert out.getvalue().count("\r") == 2


def test_not_a_terminal_gives_status_lines_without_control_characters() -> None:
    out = io.StringIO()
    p = Progress("auto", out)
    p("training something")
    p.start(3)
    for k in (1, 2, 3):
        p.epoch(k, 3, 0.5)
    p.close()
    assert out.getvalue() == "[sbmlcrn] training something\n"


def test_lines_mode_is_plain_and_throttled() -> None:
    clock, out = FakeClock(), io.StringIO()
    p = Progress("lines", out, clock=clock)
    p.start(10)
    for k in range(1, 11):
        clock.now += 0.5
        p.epoch(k, 10, 1.0 / k)
    lines = out.getvalue().splitlines()
    assert not CONTROL.search(out.getvalue())
    assert lines[0].startswith("[sbmlcrn] epoch 1/10 loss 1 ")
    assert lines[-1] == "[sbmlcrn] epoch 10/10 loss 0.1 elapsed 0:05 ETA 0:00"
    assert [ln.split()[2] for ln in lines] == ["1/10", "5/10", "9/10", "10/10"]  # every 2 s


def test_none_mode_writes_nothing_and_bad_modes_are_refused() -> None:
    out = Tty()
    p = Progress("none", out)
    p("x")
    p.start(2)
    p.epoch(2, 2, 1.0)
    assert out.getvalue() == ""
    with pytest.raises(InputError, match="The mode parameter of Progress must be one of"):
        Progress("fancy")


def test_format_duration() -> None:
    assert format_duration(0) == "0:00"
    assert format_duration(61.4) == "1:01"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(float("nan")) == "--:--"


class Recorder:
    """A progress display that records what train reports."""

    def __init__(self) -> None:
        self.epochs: list[tuple[int, int, float | None]] = []
        self.started: list[int] = []
        self.messages: list[str] = []

    def __call__(self, msg: str) -> None:
        self.messages.append(msg)

    def start(self, total: int) -> None:
        self.started.append(total)

    def epoch(self, done: int, total: int, loss: float | None) -> None:
        self.epochs.append((done, total, loss))

    def close(self) -> None:  # pragma: no cover - only on failures
        pass


@pytest.mark.parametrize("circuit", ["linear-regression", "nonlinear-classification"])
def test_progress_reports_each_epoch_and_changes_no_result(circuit: str) -> None:
    if circuit == "linear-regression":
        data, _, _ = linear_data(10, 2, seed=5)
        config: LinearConfig | NonlinearConfig = LinearConfig(epochs=5)
    else:
        rng = np.random.default_rng(6)
        x = rng.normal(size=(10, 2))
        data = Dataset(("a", "b"), x, (x[:, 0] * x[:, 1] > 0).astype(float), "y")
        config = NonlinearConfig(epochs=4)
    quiet = train(circuit, data, config=config)
    rec = Recorder()
    shown = train(circuit, data, config=config, progress=rec)
    # the epoch-by-epoch segments on the same loaded model change nothing, bit for bit
    assert dict(shown.parameters) == dict(quiet.parameters)
    np.testing.assert_array_equal(shown.parameter_trajectory, quiet.parameter_trajectory)
    np.testing.assert_array_equal(shown.train_loss, quiet.train_loss)
    epochs = config.epochs
    assert rec.started == [epochs]
    assert [d for d, _, _ in rec.epochs] == list(range(1, epochs + 1))
    assert all(t == epochs for _, t, _ in rec.epochs)
    # the loss shown for an epoch is the one the run reports for it
    np.testing.assert_allclose([loss for _, _, loss in rec.epochs], shown.train_loss, rtol=1e-12)


def test_plain_callables_get_epoch_messages_with_the_loss() -> None:
    data, _, _ = linear_data(8, 1, seed=7)
    seen: list[str] = []
    run = train("linear-regression", data, config=LinearConfig(epochs=3), progress=seen.append)
    epoch_lines = [m for m in seen if m.startswith("epoch ")]
    assert [m.split()[1] for m in epoch_lines] == ["1/3", "2/3", "3/3"]
    assert epoch_lines[-1] == f"epoch 3/3 simulated, loss {run.train_loss[-1]:.6g}"


def _csv(tmp_path: Path) -> Path:
    data, _, _ = linear_data(30, 2, seed=8)
    path = tmp_path / "d.csv"
    rows = np.column_stack([data.x, data.y])
    path.write_text(
        "x1,x2,y\n" + "\n".join(",".join(f"{v:.6f}" for v in r) for r in rows) + "\n", "utf-8"
    )
    return path


def _argv(tmp_path: Path, out: str) -> list[str]:
    data = _csv(tmp_path)
    return [
        sys.executable, "-m", "sbmlcrn", "train", "linear-regression",
        "--data", str(data), "--out", str(tmp_path / out), "--epochs", "6",
    ]  # fmt: skip


def test_cli_draws_a_bar_on_a_terminal(tmp_path: Path) -> None:
    argv = _argv(tmp_path, "tty")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, cwd=tmp_path)
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
        if proc.poll() is None and time.monotonic() >= deadline:  # pragma: no cover - a hang
            proc.kill()
    assert proc.wait(timeout=60) == 0
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "\x1b[K" in text and "\r" in text
    assert re.search(r"epoch 6/6 \[#{24}\] 100% loss \S+ elapsed \d+:\d\d ETA 0:00", text)


def test_cli_in_a_log_writes_no_control_characters(tmp_path: Path) -> None:
    argv = _argv(tmp_path, "log")
    proc = subprocess.run(argv, capture_output=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.decode("utf-8")
    assert not CONTROL.search(err) and not CONTROL.search(proc.stdout.decode("utf-8"))
    assert "] epoch " not in err  # no per-epoch lines in a log
    assert err.startswith("[sbmlcrn] training linear-regression")
    lines = subprocess.run(
        [*_argv(tmp_path, "lines"), "--progress", "lines"], capture_output=True, timeout=300
    )
    assert lines.returncode == 0
    text = lines.stderr.decode("utf-8")
    assert not CONTROL.search(text)
    assert re.search(r"^\[sbmlcrn\] epoch 6/6 loss \S+ elapsed \d+:\d\d ETA 0:00$", text, re.M)
    quiet = subprocess.run([*_argv(tmp_path, "quiet"), "--quiet"], capture_output=True, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == b""


def test_phases_engine_progress_reaches_the_real_stderr(tmp_path: Path) -> None:
    """The driver captures native output on fd 2 during the run; the display gets through."""
    argv = [*_argv(tmp_path, "phases"), "--engine", "phases", "--progress", "lines"]
    proc = subprocess.run(argv, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = proc.stderr.decode("utf-8")
    assert re.search(r"^\[sbmlcrn\] epoch 6/6 loss \S+ elapsed \d+:\d\d ETA 0:00$", text, re.M)
    assert not CONTROL.search(text)


def test_resume_alone_accepts_progress_options(tmp_path: Path) -> None:
    from sbmlcrn.cli.train import resume_argv
    from sbmlcrn.training.checkpoint import CheckpointStore, checkpoint_dir

    out = tmp_path / "run"
    store = CheckpointStore(checkpoint_dir(out))
    saved = ["train", "linear-regression", "--data", "d.csv", "--out", str(out)]
    store.path.mkdir(parents=True)
    (store.path / "command.json").write_text(__import__("json").dumps(saved), "utf-8")
    for extra in (["--progress", "bar"], ["--progress=lines"], ["--quiet"], []):
        got = resume_argv(["train", "--resume", str(out), *extra])
        assert got == [*saved, *extra, "--resume", str(out)]
    # anything else means the full command line was given
    other = ["train", "--resume", str(out), "--epochs", "3"]
    assert resume_argv(other) == other


def test_a_bar_of_jobs_only_on_a_terminal() -> None:
    clock, out = FakeClock(), Tty()
    p = Progress("bar", out, clock=clock)
    p.start(4, "run")
    p("sweep: 4 runs")
    for k in range(1, 5):
        clock.now += 3.0
        p(f"run {k}/4: mse 0.1")
        p.advance(k, 4)
    text = out.getvalue()
    assert "run 2/4 [############............]  50% elapsed 0:06 ETA 0:06" in text
    assert text.endswith("run 4/4 [########################] 100% elapsed 0:12 ETA 0:00\n")
    assert "loss" not in text
    plain = io.StringIO()
    q = Progress("lines", plain)
    q("run 1/2: mse 0.1")
    q.advance(1, 2)
    assert plain.getvalue() == "[sbmlcrn] run 1/2: mse 0.1\n"  # the status line says it all


def test_a_sweep_draws_its_bar_of_runs() -> None:
    from sbmlcrn.studies.sweep import run_sweep

    data, _, _ = linear_data(8, 1, seed=12)
    out = Tty()
    result = run_sweep(
        "linear-regression",
        data,
        {"epochs": (1, 2)},
        None,
        workers=1,
        progress=Progress("bar", out),
        plot=False,
    )
    assert len(result.ok_rows) == 2
    text = out.getvalue()
    assert "[sbmlcrn] run 1/2 (" in text and "\r\x1b[K[sbmlcrn] run 2/2 [" in text
    assert text.endswith("ETA 0:00\n")
