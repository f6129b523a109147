"""The atomic writers of ``sbmlcrn.io.atomic``: single files and output directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import atomic_file, atomic_output_dir, check_output_dir, write_atomic

FILES = frozenset({"a.txt", "b.txt", "marker.json"})


def _check(out: Path) -> Path:
    return check_output_dir(out, files=FILES, marker="marker.json", what="a previous output")


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


def test_existing_output_is_replaced_file_by_file_marker_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    for name in FILES:
        (target / name).write_text("old", encoding="utf-8")
    moved: list[str] = []
    real_replace = os.replace

    def recording(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        moved.append(Path(dst).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording)
    _write(_check(target), ["marker.json", "b.txt"])
    assert moved == ["b.txt", "marker.json"]
    assert sorted(p.name for p in target.iterdir()) == ["b.txt", "marker.json"]  # stale a.txt
    assert (target / "marker.json").read_text(encoding="utf-8") == "marker.json"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


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
