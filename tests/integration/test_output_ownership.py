"""One owner per output directory, whole-run atomic replace and the run's command record.

Issue 13, items 2 and 3: a second run to an ``--out`` that another process is writing is
refused at once (exit 2, naming the holder); an interrupted save leaves the previous run
complete and byte-identical; leftovers of dead writers are cleaned by the next run; a
checkpoint is resumed only by the command that stored it; a hostile ``command.json`` is an
input error, never a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import atomic_output_dir, clean_leftovers
from sbmlcrn.io.outlock import acquire_output_lock, lock_file, release_output_lock
from sbmlcrn.training.checkpoint import CheckpointStore, checkpoint_dir, saved_command
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.store import save_run
from tests.integration.test_cli import (
    assert_one_error_line,
    regression_rows,
    run_cli,
    write_rows,
)
from tests.integration.test_hostile import train_args

ROOT = Path(__file__).resolve().parents[2]
FILES = frozenset({"a.txt", "marker.json"})


def _data(tmp_path: Path) -> Path:
    return write_rows(tmp_path / "d.csv", ["x1", "x2", "y"], regression_rows(12))


def _run(epochs: int = 1) -> TrainingRun:
    rows = regression_rows(8)
    data = Dataset(("x1", "x2"), rows[:, :2], rows[:, 2], "y")
    return train("linear-regression", data, config=LinearConfig(epochs=epochs))


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _holder(out: Path) -> subprocess.Popen[str]:
    """A child process holding the lock of ``out`` until killed (it prints ``ready``)."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from sbmlcrn.io.outlock import acquire_output_lock
        acquire_output_lock({str(out)!r})
        print("ready", flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


@pytest.mark.timeout(120)
def test_second_run_to_one_out_is_refused_naming_the_holder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = _data(tmp_path)
    out = tmp_path / "run"
    child = _holder(out)
    try:
        code, _, err = run_cli(capsys, *train_args(data, out, "--epochs", "1"))
        assert code == 2
        assert_one_error_line(err, r"another sbmlcrn run is writing it", rf"pid {child.pid}\b")
        with pytest.raises(InputError, match=rf"pid {child.pid}, started "):
            save_run(_run(), out, plots=False)
        assert not out.exists() and not checkpoint_dir(out).exists()
    finally:
        child.kill()
        child.wait()
    # the kernel released the lock with the process (kill -9): the next run proceeds
    code, _, err = run_cli(capsys, *train_args(data, out, "--epochs", "1"))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "run"]  # no lock left


@pytest.mark.timeout(60)
def test_lock_is_reentrant_and_removed_on_release(tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = acquire_output_lock(out)
    second = acquire_output_lock(out)  # the same process: the run, then its save
    assert first == second and lock_file(first).is_file()
    assert f"pid {os.getpid()}" in lock_file(first).read_text(encoding="ascii")
    release_output_lock(second)
    assert lock_file(first).is_file()
    release_output_lock(first)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.timeout(120)
def test_interrupted_save_leaves_the_old_run_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "run"
    save_run(_run(1), out, plots=False)
    before = _snapshot(out)
    import sbmlcrn.io.atomic as atomic_module

    real_rename = os.rename
    calls: list[str] = []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(Path(dst).name)
        if len(calls) == 2:  # between moving the old run aside and the new one in
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(atomic_module.os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        save_run(_run(2), out, plots=False)
    monkeypatch.undo()
    assert calls[1] == "run" and calls[0].startswith(".run.old-")
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    # a failure while the new run is written leaves it untouched too
    import sbmlcrn.training.store as store_module

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(store_module, "write_record", broken)
    with pytest.raises(KeyboardInterrupt):
        save_run(_run(2), out, plots=False)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.timeout(60)
def test_leftovers_of_dead_writers_are_cleaned(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "run"
    out.mkdir()
    (out / "marker.json").write_text("current", encoding="utf-8")
    stale = tmp_path / f".run.new-{dead.pid}-0-abcd1234"
    stale.mkdir()
    (stale / "a.txt").write_text("half", encoding="utf-8")
    old = tmp_path / f".run.old-{dead.pid}-0-abcd1234"
    old.mkdir()
    live = tmp_path / f".run.new-{os.getpid()}-0-live"  # a live writer's: kept
    live.mkdir()
    (tmp_path / ".run.checkpoint").mkdir()  # not a leftover
    (tmp_path / ".run.user").mkdir()  # not sbmlcrn's name: kept
    with atomic_output_dir(out, files=FILES, marker="marker.json") as tmp:
        (tmp / "marker.json").write_text("new", encoding="utf-8")
    assert (out / "marker.json").read_text(encoding="utf-8") == "new"
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [".run.checkpoint", live.name, ".run.user", "run"]


@pytest.mark.timeout(60)
def test_a_swap_cut_by_a_crash_is_restored(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "run"
    old = tmp_path / f".run.old-{dead.pid}-0-abcd1234"  # the old run moved aside, no ``run``
    old.mkdir()
    (old / "marker.json").write_text("previous", encoding="utf-8")
    assert clean_leftovers(out) == [old]
    assert (out / "marker.json").read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.timeout(60)
def test_out_link_to_a_directory_is_kept_and_its_target_swapped(tmp_path: Path) -> None:
    real = tmp_path / "real"
    link = tmp_path / "link"
    save_run(_run(1), real, plots=False)
    link.symlink_to(real)
    assert save_run(_run(2), link, plots=False) == real
    assert link.is_symlink() and link.resolve() == real
    assert sorted(p.name for p in real.iterdir()) == ["model.ant", "model.xml", "result.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


@pytest.mark.timeout(180)
def test_kill_9_mid_save_leaves_a_complete_run(tmp_path: Path) -> None:
    out = tmp_path / "run"
    save_run(_run(1), out, plots=False)
    before = _snapshot(out)
    code = textwrap.dedent(
        f"""
        import os, signal
        import sbmlcrn.io.atomic as atomic
        from tests.integration.test_output_ownership import _run
        from sbmlcrn.training.store import save_run
        real = os.rename
        def rename(src, dst):
            real(src, dst)
            if os.path.basename(str(dst)).startswith(".run.old-"):
                os.kill(os.getpid(), signal.SIGKILL)  # between the two renames
        atomic.os.rename = rename
        save_run(_run(2), {str(out)!r}, plots=False)
        """
    )
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=150, check=False)
    assert child.returncode == -signal.SIGKILL
    assert not out.exists()  # cut between the renames: the old run is aside
    # the next run to the same --out restores the old run, then replaces it as a whole
    target = acquire_output_lock(out)
    try:
        assert _snapshot(out) == before
    finally:
        release_output_lock(target)
    save_run(_run(2), out, plots=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert _snapshot(out) != before


@pytest.mark.timeout(60)
def test_deep_or_mistyped_command_json_is_an_input_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "run"
    store = CheckpointStore(checkpoint_dir(out))
    store.path.mkdir()
    cases = {
        "[" * 100_000: r"nests deeper",
        '["train", ' + "[" * 50 + "]" * 50 + "]": r"nests deeper",
        '["train", "[[[[{{"]': None,  # brackets inside strings are text
        '{"train": 1}': r"list of .*strings",
        '["train", 2]': r"list of .*strings",
        "[]": r"list of .*strings",
        '"' + "x" * (2**20 + 10) + '"': r"larger than 1048576 bytes",
        "\xff": r"not UTF-8",
        '["train", 1e400': r"not JSON",
    }
    for text, message in cases.items():
        data = text.encode("latin-1") if text == "\xff" else text.encode("utf-8")
        (store.path / "command.json").write_bytes(data)
        if message is None:
            assert saved_command(out) == ["train", "[[[[{{"]
            continue
        with pytest.raises(InputError, match=r"command\.json: is not a valid run record \("):
            saved_command(out)
        with pytest.raises(InputError, match=message):
            saved_command(out)
    (store.path / "command.json").write_text("[" * 100_000, encoding="utf-8")
    code, _, err = run_cli(capsys, "train", "--resume", out)
    assert code == 2
    assert_one_error_line(err, r"is not a valid run record \(it nests deeper")


@pytest.mark.timeout(180)
def test_resume_by_another_command_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = _data(tmp_path)
    out = tmp_path / "run"
    store = CheckpointStore(checkpoint_dir(out))

    def stop(msg: str) -> None:
        if msg.startswith("epoch 1/"):
            raise KeyboardInterrupt

    rows = regression_rows(12)
    data_set = Dataset(("x1", "x2"), rows[:, :2], rows[:, 2], "y", name="d.csv")
    store.command = ["train", "linear-regression", "--data", "/elsewhere.csv"]
    with pytest.raises(KeyboardInterrupt):
        train("linear-regression", data_set, config=LinearConfig(epochs=3), checkpoint=store,
              progress=stop)  # fmt: skip
    assert store.exists()
    code, _, err = run_cli(capsys, *train_args(data, out, "--epochs", "3", "--resume", out))
    assert code == 2
    assert_one_error_line(err, r"stored by another command")
    assert store.exists()  # kept for the right command
    # a fresh run replaces the checkpoint, its command included
    code, _, err = run_cli(capsys, *train_args(data, out, "--epochs", "3"))
    assert code == 0, err
    assert not store.path.exists()


@pytest.mark.timeout(120)
def test_second_sweep_to_one_out_is_refused_naming_the_holder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = _data(tmp_path)
    out = tmp_path / "sweep"
    child = _holder(out)
    args = ["sweep", "linear-regression", "--data", str(data), "--grid", "epochs=1",
            "--workers", "1", "--out", str(out)]  # fmt: skip
    try:
        code, _, err = run_cli(capsys, *args)
        assert code == 2
        assert_one_error_line(err, r"another sbmlcrn run is writing it", rf"pid {child.pid}\b")
        assert not out.exists()
    finally:
        child.kill()
        child.wait()
    code, _, err = run_cli(capsys, *args)
    assert code == 0, err
    assert (out / "sweep.json").is_file()
