"""One owner per output directory: a lock held for a run's life.

Decision: a run holds ``fcntl.flock`` on ``.NAME.lock`` beside its output directory (never a
file inside it, which may not be ours yet) from its start until it is saved or fails. The
kernel releases the lock when the process dies (``kill -9`` included), so a stale lock file
never blocks. The file holds the holder's pid and start time (shown to a refused run) and is
removed on release, while still locked; a waiter that locked a removed file notices (another
inode) and tries again. The lock is re-entrant within a process (a run holds it and its save
takes it again).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import _MAX_LINKS, _create_parent, _problem, _resolve_dir, clean_leftovers

__all__ = ["acquire_output_lock", "lock_file", "output_lock", "release_output_lock"]

_HELD: dict[str, list[int]] = {}  # lock file -> [descriptor, depth]
_HELD_GUARD = threading.Lock()


def lock_file(target: Path) -> Path:
    """The lock file of the resolved output directory ``target``: ``.NAME.lock`` beside it."""
    return target.parent / f".{target.name}.lock"


def _holder(fd: int) -> str:
    """What the lock file open as ``fd`` says about its holder (printable text only)."""
    try:
        text = os.pread(fd, 200, 0).decode("ascii", "replace")
    except OSError:
        text = ""
    text = "".join(c for c in text.strip() if c.isprintable())
    return text or "holder unknown"


def _take(path: Path, out: str) -> int:
    """An open descriptor of ``path`` holding its exclusive lock; InputError if held."""
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    for _ in range(_MAX_LINKS):
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InputError(f"--out {out}: its lock file {path} is a symbolic link.") from None
            raise _problem(f"--out {out}", exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            st = os.stat(path, follow_symlinks=False)
            same = (st.st_dev, st.st_ino) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise InputError(
                f"--out {out}: another sbmlcrn run is writing it ({holder}); wait for it to "
                "finish or choose another --out."
            ) from None
        except FileNotFoundError:
            same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started {stamp}\n".encode(), 0)
            return fd
        os.close(fd)  # its holder removed it meanwhile: lock the new file
    raise InputError(f"--out {out}: its lock file {path} keeps changing; try again.")


def acquire_output_lock(out: str | os.PathLike[str]) -> Path:
    """Become the one owner of output directory ``out`` (see the notes above).

    Leftovers of dead writers beside ``out`` are cleaned once the lock is held
    (:func:`clean_leftovers`). Release with :func:`release_output_lock`.

    Parameters
    ----------
    out
        The output directory (``--out``); its parent directories are created.

    Returns
    -------
    Path
        ``out`` resolved: pass it to :func:`release_output_lock`.

    Raises
    ------
    InputError
        Another process holds the lock (the message names its pid and start time), or
        ``out`` cannot be used (as for :func:`check_output_dir`).
    """
    target = _resolve_dir(out)
    path = lock_file(target)
    with _HELD_GUARD:
        if str(path) in _HELD:
            _HELD[str(path)][1] += 1
            return target
        _create_parent(target, f"--out {os.fspath(out)}")
        _HELD[str(path)] = [_take(path, os.fspath(out)), 1]
    clean_leftovers(target)
    return target


def release_output_lock(target: Path) -> None:
    """Release a lock taken by :func:`acquire_output_lock` (``target`` as it returned)."""
    path = lock_file(target)
    with _HELD_GUARD:
        held = _HELD.get(str(path))
        if held is None:
            return
        held[1] -= 1
        if held[1] > 0:
            return
        del _HELD[str(path)]
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still locked (see the notes above)
        os.close(held[0])


@contextmanager
def output_lock(out: str | os.PathLike[str]) -> Iterator[Path]:
    """:func:`acquire_output_lock` for the block; yields ``out`` resolved."""
    target = acquire_output_lock(out)
    try:
        yield target
    finally:
        release_output_lock(target)
