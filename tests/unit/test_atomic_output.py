"""The atomic writers of ``sbmlcrn.io.atomic``: single files and output directories."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import (
    atomic_file,
    atomic_output_dir,
    check_output_dir,
    is_previous_run,
    is_previous_sweep,
    is_sbmlcrn_output,
    resolve_path,
    write_atomic,
)

FILES = frozenset({"a.txt", "b.txt", "marker.json"})


def _ours(directory: Path) -> bool:
    return (directory / "marker.json").read_text(encoding="utf-8") != "user's"


def _check(out: Path) -> Path:
    return check_output_dir(
        out, files=FILES, marker="marker.json", what="a previous output", is_ours=_ours
    )


def _write(target: Path, names: list[str]) -> None:
    with atomic_output_dir(target, files=FILES, marker="marker.json") as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(f".{target.name}.")
        for name in names:
            (tmp / name).write_text(name, encoding="utf-8")


def test_new_directory_is_renamed_into_place(tmp_path: Path) -> None:
    target = _check(tmp_path / "deep" / "out")
    _write(target, ["a.txt", "marker.json"])
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "marker.json"]
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["out"]  # no temp dir left


def test_existing_output_is_replaced_as_a_whole(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    for name in FILES:
        (target / name).write_text("old", encoding="utf-8")
    _write(_check(target), ["marker.json", "b.txt"])
    assert sorted(p.name for p in target.iterdir()) == ["b.txt", "marker.json"]  # no stale a.txt
    assert (target / "marker.json").read_text(encoding="utf-8") == "marker.json"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary or old directory


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_failure_removes_the_temporary_directory(tmp_path: Path, exc: type[BaseException]) -> None:
    target = tmp_path / "out"
    with (
        pytest.raises(exc),
        atomic_output_dir(target, files=FILES, marker="marker.json") as tmp,
    ):
        (tmp / "a.txt").write_text("half", encoding="utf-8")
        raise exc
    assert list(tmp_path.iterdir()) == []


def test_failure_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "marker.json").write_text("old", encoding="utf-8")
    with (
        pytest.raises(RuntimeError),
        atomic_output_dir(target, files=FILES, marker="marker.json") as tmp,
    ):
        (tmp / "marker.json").write_text("new", encoding="utf-8")
        raise RuntimeError
    assert (target / "marker.json").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_check_accepts_new_empty_and_previous_outputs(tmp_path: Path) -> None:
    assert _check(tmp_path / "new" / "dir") == (tmp_path / "new" / "dir").resolve()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _check(empty) == empty.resolve()
    (empty / "marker.json").write_text("{}", encoding="utf-8")
    (empty / "a.txt").write_text("", encoding="utf-8")
    assert _check(empty) == empty.resolve()


def test_check_refuses_what_it_must_not_replace(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="exists and is not a directory"):
        _check(afile)
    with pytest.raises(InputError, match="is not a directory"):
        _check(afile / "below")
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"than a previous output \(no marker.json\)"):
        _check(other)
    (other / "marker.json").write_text("", encoding="utf-8")
    (other / "notes.md").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"than a previous output \(notes.md\)"):
        _check(other)


def test_write_atomic_writes_text_and_bytes(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "sub" / "a.txt", "é\r\nx\n")
    assert target == tmp_path / "sub" / "a.txt"
    assert target.read_bytes() == "é\r\nx\n".encode()  # newlines as given
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    write_atomic(target, "é", encoding="latin-1")
    assert target.read_bytes() == b"\xe9"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_write_atomic_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        write_atomic(tmp_path, "x")


def test_write_atomic_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.txt"
    target.write_text("old", encoding="utf-8")

    def failing(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_atomic_file_renames_on_success(tmp_path: Path) -> None:
    target = tmp_path / "model.cps"
    with atomic_file(target, suffix=".cps") as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".cps" and tmp.exists()
        assert not target.exists()
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["model.cps"]


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_file_failure_removes_the_temporary_file(
    tmp_path: Path, exc: type[BaseException]
) -> None:
    target = tmp_path / "model.cps"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(exc), atomic_file(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise exc
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.cps"]


def test_atomic_file_without_a_file_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError), atomic_file(tmp_path / "x") as tmp:
        tmp.unlink()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- special files


def _reader(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    """A thread that opens ``fifo`` for reading (before returning) and reads it to the end."""
    got: list[bytes] = []
    opened = threading.Event()

    def read() -> None:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # does not wait for a writer
        opened.set()
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as fh:
            while True:
                chunk = fh.read()
                if chunk:
                    got.append(chunk)
                if not chunk and b"".join(got):  # the writer closed after writing
                    return

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    assert opened.wait(10)
    return thread, got


def _same_node(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_dev, before.st_ino, before.st_rdev, stat.S_IFMT(before.st_mode)) == (
        after.st_dev,
        after.st_ino,
        after.st_rdev,
        stat.S_IFMT(after.st_mode),
    )


def test_dev_null_is_written_through_not_replaced() -> None:
    before = os.stat("/dev/null")
    assert write_atomic("/dev/null", "x" * 100_000) == Path("/dev/null")
    with atomic_file("/dev/null", suffix=".cps") as tmp:
        tmp.write_text("copasi", encoding="utf-8")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert _same_node(before, after)


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_private_character_device_is_written_through(tmp_path: Path) -> None:
    node = tmp_path / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    before = os.stat(node)
    write_atomic(node, b"data")
    link = tmp_path / "link"
    link.symlink_to(node)
    write_atomic(link, b"data")
    assert _same_node(before, os.stat(node)) and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "null"]


@pytest.mark.timeout(30)
def test_fifo_without_a_reader_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"fifo: is a FIFO that no process is reading"):
        write_atomic(fifo, "x")
    entered = False
    with pytest.raises(InputError, match="no process is reading"), atomic_file(fifo):
        entered = True  # refused before the (possibly long) writer runs
    assert not entered
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["fifo"]


@pytest.mark.timeout(30)
def test_fifo_with_a_reader_receives_the_bytes(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    payload = os.urandom(300_000)  # more than a pipe buffer: the writer must block, not fail
    thread, got = _reader(fifo)
    write_atomic(fifo, payload)
    thread.join(20)
    assert b"".join(got) == payload
    thread, got = _reader(fifo)
    with atomic_file(fifo, suffix=".cps") as tmp:
        tmp.write_bytes(b"through a temporary file")
    thread.join(20)
    assert b"".join(got) == b"through a temporary file"
    assert not tmp.exists()
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["fifo"]


def test_own_streams_are_written_to_the_descriptor(capfd: pytest.CaptureFixture[str]) -> None:
    write_atomic("/dev/stdout", "to stdout\n")
    write_atomic("/dev/stderr", "to stderr\n")
    write_atomic("/dev/fd/1", b"via /dev/fd\n")
    with atomic_file("/proc/self/fd/1") as tmp:
        tmp.write_text("via atomic_file\n", encoding="utf-8")
    out, err = capfd.readouterr()
    assert out == "to stdout\nvia /dev/fd\nvia atomic_file\n"
    assert err == "to stderr\n"


def test_symlink_to_a_file_replaces_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "data.csv"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(Path("real") / "data.csv")  # relative link
    assert write_atomic(link, "new") == link
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "data.csv")
    assert target.read_text(encoding="utf-8") == "new"
    with atomic_file(link, suffix=".cps") as tmp:
        assert tmp.parent == target.parent
        tmp.write_text("cps", encoding="utf-8")
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "cps"
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["data.csv"]


def test_dangling_links_loops_and_directories_are_refused(tmp_path: Path) -> None:
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "missing")
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(loop)
    to_dir = tmp_path / "to_dir"
    to_dir.symlink_to(tmp_path)
    cases = [
        (dangling, "symbolic link to a missing file"),
        (loop, "symbolic link loop"),
        (loop / "below.txt", "symbolic link loop"),
        (to_dir, "is a directory"),
    ]
    for path, message in cases:
        with pytest.raises(InputError, match=message) as info:
            write_atomic(path, "x")
        assert str(path) in str(info.value)
        with pytest.raises(InputError, match=message), atomic_file(path):
            pass
    assert not (tmp_path / "missing").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "loop", "loop2", "to_dir"]
    assert dangling.is_symlink() and loop.is_symlink()


def test_a_file_in_place_of_a_parent_directory_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="parent of the path is not a directory"):
        write_atomic(tmp_path / "file" / "x.txt", "x")
    with pytest.raises(InputError, match="parent of the path is not a directory"):
        write_atomic(tmp_path / "file" / "deeper" / "x.txt", "x")


# --------------------------------------------------------------------------- output directories


def test_out_link_to_a_directory_writes_into_the_target(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    target = _check(link)
    assert target == real.resolve()
    _write(target, ["a.txt", "marker.json"])
    assert link.is_symlink() and sorted(p.name for p in real.iterdir()) == ["a.txt", "marker.json"]
    _write(_check(link), ["marker.json"])  # and again, into the previous output
    with atomic_output_dir(link, files=FILES, marker="marker.json") as tmp:  # unresolved
        (tmp / "b.txt").write_text("b", encoding="utf-8")
        (tmp / "marker.json").write_text("m", encoding="utf-8")
    assert link.is_symlink() and sorted(p.name for p in real.iterdir()) == ["b.txt", "marker.json"]


def test_out_links_that_are_not_to_directories_are_refused(tmp_path: Path) -> None:
    afile = tmp_path / "file"
    afile.write_text("keep", encoding="utf-8")
    to_file = tmp_path / "to_file"
    to_file.symlink_to(afile)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "missing")
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    cases = [
        (to_file, "symbolic link to a non-directory"),
        (dangling, "symbolic link to a missing path"),
        (dangling / "run", "is a symbolic link to a missing path"),
        (loop, "symbolic link loop"),
        (loop / "run", "symbolic link loop"),
        (to_file / "run", "is not a directory"),
    ]
    for path, message in cases:
        with pytest.raises(InputError, match=message) as info:
            _check(path)
        assert f"--out {path}" in str(info.value)
        with (
            pytest.raises(InputError, match=message),
            atomic_output_dir(path, files=FILES, marker="marker.json"),
        ):
            pass
    assert afile.read_text(encoding="utf-8") == "keep" and to_file.is_symlink()
    assert not (tmp_path / "missing").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling", "file", "loop", "to_file"]


def test_outputs_sbmlcrn_did_not_write_are_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "marker.json").write_text("user's", encoding="utf-8")
    with pytest.raises(InputError, match="holds files that sbmlcrn did not write"):
        _check(out)
    with (
        pytest.raises(InputError, match="sbmlcrn did not write"),
        atomic_output_dir(out, files=FILES, marker="marker.json", is_ours=_ours),
    ):
        pass
    assert (out / "marker.json").read_text(encoding="utf-8") == "user's"


RUN = frozenset({"model.xml", "result.json", "model.ant"})
SWEEP = frozenset({"results.csv", "sweep.json"})


def _run_dir(tmp_path: Path, result: str | None) -> Path:
    out = tmp_path / "run"
    out.mkdir(exist_ok=True)
    (out / "model.xml").write_text("<sbml/>", encoding="utf-8")
    if result is not None:
        (out / "result.json").unlink(missing_ok=True)
        (out / "result.json").write_text(result, encoding="utf-8")
    return out


@pytest.mark.parametrize(
    "result",
    [
        '{"record_version": 1, "circuit": "linear-regression"}',
        '{"circuit": "x", "parameters": {}, "parameter_species": {}, "other": 1}',
    ],
)
def test_default_ownership_accepts_run_records(tmp_path: Path, result: str) -> None:
    out = _run_dir(tmp_path, result)
    assert is_previous_run(out) and is_sbmlcrn_output(out)
    assert check_output_dir(out, files=RUN, marker="result.json", what="a run") == out.resolve()


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "result",
    ["{}", '{"circuit": "x"}', "[1, 2]", "not json", "[" * 100_000, '{"a": 1', "\xff"],
)
def test_default_ownership_refuses_a_users_result_json(tmp_path: Path, result: str) -> None:
    out = _run_dir(tmp_path, result)
    assert not is_previous_run(out)
    with pytest.raises(InputError, match="holds files that sbmlcrn did not write"):
        check_output_dir(out, files=RUN, marker="result.json", what="a run")
    assert (out / "result.json").read_text(encoding="utf-8") == result


@pytest.mark.timeout(30)
def test_default_ownership_never_opens_special_files(tmp_path: Path) -> None:
    out = _run_dir(tmp_path, None)
    os.mkfifo(out / "result.json")  # reading it would block for ever
    assert not is_previous_run(out)
    with pytest.raises(InputError, match="sbmlcrn did not write"):
        check_output_dir(out, files=RUN, marker="result.json", what="a run")
    (out / "result.json").unlink()
    real = tmp_path / "record.json"
    real.write_text('{"record_version": 1}', encoding="utf-8")
    (out / "result.json").symlink_to(real)  # a link is not a record sbmlcrn wrote
    assert not is_previous_run(out)


def test_default_ownership_of_sweeps(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    out.mkdir()
    (out / "results.csv").write_text("mine\n", encoding="utf-8")
    with pytest.raises(InputError, match="sbmlcrn did not write"):
        check_output_dir(out, files=SWEEP, marker="results.csv", what="a sweep")
    (out / "sweep.json").write_text('{"grid": {}}', encoding="utf-8")
    assert not is_previous_sweep(out)
    doc = {"circuit": "c", "grid": {}, "runs": [], "sbmlcrn": "1.0"}
    (out / "sweep.json").write_text(json.dumps(doc), encoding="utf-8")
    assert is_previous_sweep(out) and not is_previous_run(out)
    assert check_output_dir(out, files=SWEEP, marker="results.csv", what="a sweep") == out


def test_resolve_path_turns_a_link_loop_into_an_input_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(InputError, match=rf"^--data {loop}/x.csv: .*symbolic link loop"):
        resolve_path(loop / "x.csv", option="--data")
    assert resolve_path(tmp_path / "new" / "x") == (tmp_path / "new" / "x").resolve()


def test_an_unwritable_location_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(  # as a user without write permission there (root may write anywhere)
        os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode)
    )
    with pytest.raises(InputError, match=r"cannot be written \(.*locked is not writable"):
        _check(locked / "new" / "run")
    with pytest.raises(InputError, match="cannot be written"):
        _check(locked)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["locked"]
