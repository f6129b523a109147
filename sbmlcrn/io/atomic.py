"""Atomic writes: single files and whole output directories (the package's only atomic writer).

:func:`write_atomic` writes text or bytes to a file; :func:`atomic_file` gives a temporary
path to writers that need one (e.g. COPASI saving a ``.cps``) and renames it onto the target
when the block succeeds. Both write to a hidden temporary sibling of the target (same file
system), so a reader sees the old file or the complete new one, never a half-written file.

Output directories (:func:`atomic_output_dir`, shared by ``train`` runs and sweeps): a
command's files go to a temporary sibling of the target directory first; only when all of them
are written is the complete directory swapped in as the target, as a whole (an existing
target is renamed aside, the new one renamed into place, the old one removed). A reader
therefore sees the old directory or the new one, never a mix; leftovers of a writer that died
are cleaned by the next writer to the same path. One run owns an output directory at a time
(:mod:`sbmlcrn.io.outlock`: ``flock`` on ``.NAME.lock`` beside it).

What an output path may be (the decision for special files and links):

- **A regular file, or a path that does not exist yet**: replaced atomically as above (missing
  parent directories are created).
- **A character device or a FIFO** (``/dev/null``, a terminal, a named pipe): written
  *through*, in place; it is never replaced, so ``--out /dev/null`` stays the system's device.
  A FIFO is opened without blocking first: with no process reading it, the write is refused
  with :class:`~sbmlcrn.errors.InputError` instead of hanging.
- **The process's own streams** (``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``,
  ``/proc/self/fd/N``): written to the open descriptor itself, whatever it is (a terminal, a
  pipe, or a file the shell redirected to, which is appended to as a stream, not replaced).
- **A symbolic link**: resolved; a link to a regular file has its *target* replaced atomically
  (the link stays a link), a link to a character device or FIFO is written through. A dangling
  link, a link loop, a link into ``/proc`` that is not one of the process's own descriptors,
  a block device, a socket and a directory are refused with ``InputError`` naming the path.
- :func:`atomic_file` gives special targets a temporary file in the system's temporary
  directory and copies its bytes through to the target when the block succeeds.

Output directories (``--out``): a symbolic link to a directory is followed and the *target*
directory is written (the link stays a link); a link to anything else, a dangling link and a
link loop are refused, so a run directory never replaces a link. An existing, non-empty
directory is replaced only if it holds a previous output that sbmlcrn wrote: besides its marker
file, an *ownership check* must accept it (``is_ours``; by default :func:`is_sbmlcrn_output`:
a ``result.json`` that is a run record or a ``sweep.json`` that is a sweep record), so a user's
files that merely have the same names are never overwritten.

Every failure to inspect a path (``stat``, a link loop, a file in place of a parent directory)
is an ``InputError`` naming the path, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator, Set
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sbmlcrn.errors import InputError

__all__ = [
    "atomic_file",
    "atomic_output_dir",
    "check_output_dir",
    "clean_leftovers",
    "is_previous_run",
    "is_previous_sweep",
    "is_sbmlcrn_output",
    "resolve_path",
    "write_atomic",
]

_MAX_LINKS = 40  # as the kernel's ELOOP limit
_MAX_RECORD_BYTES = 64 * 2**20  # a larger result.json / sweep.json is not taken for ours
_RUN_KEYS = frozenset({"circuit", "parameters", "parameter_species"})
_SWEEP_KEYS = frozenset({"circuit", "grid", "runs", "sbmlcrn"})
_OWN_FD = re.compile(r"/proc/(\d+)(?:/task/\d+)?/fd/(\d+)")
_CHUNK = 2**20


def _file_mode() -> int:
    """The permissions of an ordinary new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _problem(where: str, exc: BaseException) -> InputError:
    """An ``InputError`` for a path that cannot be inspected (``where`` names the path)."""
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return InputError(f"{where}: is (or lies below) a symbolic link loop.")
    if isinstance(exc, NotADirectoryError):
        return InputError(f"{where}: a parent of the path is not a directory.")
    reason = getattr(exc, "strerror", None) or str(exc)
    return InputError(f"{where}: cannot be used ({reason}).")


# --------------------------------------------------------------------------- single files


@dataclass(frozen=True)
class _Sink:
    """Where a file's bytes go: ``file`` (replace ``path`` atomically), ``fd`` (the process's
    own descriptor ``fd``) or ``special`` (open ``path`` and write through it)."""

    kind: Literal["file", "fd", "special"]
    path: Path
    fd: int = -1


def _follow(given: str) -> tuple[str, bool]:
    """The end of the symbolic-link chain at ``given``, and whether the chain enters ``/proc``.

    Parent directories are resolved with :func:`os.path.realpath`; a chain that enters
    ``/proc`` stops there (its links are "magic": they name open files, not paths).
    """
    current = os.path.abspath(given)
    for _ in range(_MAX_LINKS):
        head = os.path.realpath(os.path.dirname(current))
        current = os.path.join(head, os.path.basename(current))
        if head == "/proc" or head.startswith("/proc/"):
            return current, True
        if not os.path.islink(current):
            return current, False
        current = os.path.join(head, os.readlink(current))
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), given)


def _sink(path: str | os.PathLike[str]) -> _Sink:
    """Classify the output file ``path`` (see the module docstring); refuse what is unusable."""
    given = os.fspath(path)
    try:
        link = stat.S_ISLNK(os.lstat(given).st_mode)
    except FileNotFoundError:
        link = None  # does not exist (or a parent does not): a new regular file
    except OSError as exc:
        raise _problem(given, exc) from None
    if link is None:
        return _Sink("file", Path(given))  # created as given (parents are made by mkdir)
    try:
        end, magic = _follow(given)
        mode = os.stat(given).st_mode
    except FileNotFoundError:
        raise InputError(f"{given}: is a symbolic link to a missing file.") from None
    except (OSError, RuntimeError) as exc:
        raise _problem(given, exc) from None
    if stat.S_ISDIR(mode):
        raise InputError(f"{given}: is a directory; give a file name.")
    own = _OWN_FD.fullmatch(end) if magic else None
    if own is not None and int(own.group(1)) == os.getpid():
        return _Sink("fd", Path(given), int(own.group(2)))
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return _Sink("special", Path(given))
    if stat.S_ISREG(mode) and not magic:
        return _Sink("file", Path(end))
    what = "a path into /proc" if magic else "neither a regular file, a device nor a FIFO"
    raise InputError(f"{given}: is {what}; give a regular file, a character device or a FIFO.")


def _open_special(sink: _Sink) -> int:
    """Open ``sink`` for writing through it; a FIFO without a reader is refused, not waited on."""
    if sink.kind == "fd":
        if sink.fd in (1, 2):
            (sys.stdout if sink.fd == 1 else sys.stderr).flush()
        try:
            fd = os.dup(sink.fd)
        except OSError as exc:
            raise InputError(f"{sink.path}: descriptor {sink.fd} is not open.") from exc
        return fd
    try:
        fd = os.open(sink.path, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO that no process has open for reading
            raise InputError(
                f"{sink.path}: is a FIFO that no process is reading; start the reader first."
            ) from None
        raise _problem(str(sink.path), exc) from None
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)  # then write as to any pipe
    return fd


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view[:_CHUNK]) :]


def _create_parent(target: Path, given: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise InputError(f"{given}: a parent of the path is not a directory.") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _problem(given, exc) from None
        raise


def write_atomic(
    path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8"
) -> Path:
    """Write ``data`` to ``path`` through a temporary file, fsync and an atomic rename.

    A character device or FIFO (``/dev/null``, a named pipe, ``/dev/stdout``) is written
    through in place, never replaced; a symbolic link to a regular file has its target
    replaced (see the module docstring).

    Parameters
    ----------
    path
        The file to write (its parent directories are created).
    data
        The contents: text (encoded with ``encoding``, newlines written as given) or bytes.
    encoding
        The encoding of text ``data``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        ``path`` is a directory, a dangling link, a link loop, a FIFO with no reader, lies
        below a non-directory, or is another kind of file that cannot be written.
    OSError
        The file could not be written (the temporary file is removed; ``path`` is untouched).
    """
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    sink = _sink(path)
    if sink.kind != "file":
        fd = _open_special(sink)
        try:
            _write_all(fd, payload)
        finally:
            os.close(fd)
        return Path(path)
    target = sink.path
    _create_parent(target, os.fspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode())  # mkstemp creates 0600 files
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(path)


@contextmanager
def atomic_file(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto ``path`` when the block succeeds.

    For writers that need a file name rather than data (e.g. COPASI saving a ``.cps``). The
    temporary file exists (empty) when the block starts; the writer may replace it. On any
    exception (including ``KeyboardInterrupt``), or if the writer left no file, the temporary
    file is removed and ``path`` is left as it was. For a character device or FIFO ``path``
    (opened before the block, so a FIFO without a reader fails at once) the temporary file is
    in the system's temporary directory and its bytes are copied through to ``path`` when the
    block succeeds; a symbolic link to a regular file has its target replaced.

    Parameters
    ----------
    path
        The file to write (its parent directories are created).
    suffix
        The temporary name's ending (some writers choose the format by it, e.g. ``".cps"``).

    Yields
    ------
    Path
        The temporary file to write.

    Raises
    ------
    InputError
        ``path`` cannot be written (as for :func:`write_atomic`).
    FileNotFoundError
        The block left no file at the temporary path.
    """
    sink = _sink(path)
    if sink.kind != "file":
        with _through_special(sink, suffix) as tmp:
            yield tmp
        return
    target = sink.path
    _create_parent(target, os.fspath(path))
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _through_special(sink: _Sink, suffix: str) -> Iterator[Path]:
    """:func:`atomic_file` for a special target: a temporary file copied through at the end."""
    out = _open_special(sink)
    try:
        fd, name = tempfile.mkstemp(prefix=".sbmlcrn.", suffix=suffix)
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
            with tmp.open("rb") as fh:
                while chunk := fh.read(_CHUNK):
                    _write_all(out, chunk)
        finally:
            tmp.unlink(missing_ok=True)
    finally:
        os.close(out)


# --------------------------------------------------------------------------- output directories


def _read_json_object(path: Path) -> dict[str, object] | None:
    """The JSON object in the regular file ``path``, or ``None`` if it is not one (any reason)."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_RECORD_BYTES:
            return None
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def is_previous_run(directory: Path) -> bool:
    """Whether ``directory/result.json`` is a run record that sbmlcrn wrote.

    A run record is a JSON object with a ``record_version`` key, or (records written before
    the record was versioned) with the keys ``circuit``, ``parameters`` and
    ``parameter_species``. Never raises: an unreadable or malformed file is not a run record.
    """
    data = _read_json_object(directory / "result.json")
    return data is not None and ("record_version" in data or data.keys() >= _RUN_KEYS)


def is_previous_sweep(directory: Path) -> bool:
    """Whether ``directory/sweep.json`` is a sweep record that sbmlcrn wrote.

    A sweep record is a JSON object with a ``sweep_version`` key or the keys ``circuit``,
    ``grid``, ``runs`` and ``sbmlcrn`` (the version that wrote it). Never raises.
    """
    data = _read_json_object(directory / "sweep.json")
    return data is not None and ("sweep_version" in data or data.keys() >= _SWEEP_KEYS)


def is_sbmlcrn_output(directory: Path) -> bool:
    """The default ownership check: :func:`is_previous_run` or :func:`is_previous_sweep`."""
    return is_previous_run(directory) or is_previous_sweep(directory)


def resolve_path(path: str | os.PathLike[str], *, option: str = "") -> Path:
    """``Path(path).resolve()``, with a path that cannot be resolved as an ``InputError``.

    For every option naming a path (``--data``, ``--test``, ``--resume``, ``--out``): a
    symbolic-link loop (``RuntimeError`` or ``ELOOP``) or another failure to inspect the path
    becomes an error naming the option and the path instead of a traceback.

    Parameters
    ----------
    path
        The path to resolve (it need not exist).
    option
        The option that named it, e.g. ``"--data"``, put before the path in messages.

    Returns
    -------
    Path
        The absolute path with every symbolic link resolved (as far as it exists).

    Raises
    ------
    InputError
        ``path`` is or lies below a link loop, or cannot be inspected.
    """
    where = f"{option} {os.fspath(path)}" if option else os.fspath(path)
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError) as exc:
        raise _problem(where, exc) from None


def _resolve_dir(out: str | os.PathLike[str]) -> Path:
    """The output directory ``out`` resolved; links to non-directories, loops are refused."""
    given = os.fspath(out)
    where = f"--out {given}"
    try:
        if stat.S_ISLNK(os.lstat(given).st_mode):
            try:
                mode = os.stat(given).st_mode
            except FileNotFoundError:
                raise InputError(f"{where}: is a symbolic link to a missing path.") from None
            if not stat.S_ISDIR(mode):
                raise InputError(
                    f"{where}: is a symbolic link to a non-directory; a run directory cannot "
                    "replace it."
                )
        target = Path(given).resolve()
    except FileNotFoundError:
        pass
    except (OSError, RuntimeError) as exc:
        raise _problem(where, exc) from None
    else:  # ``out`` exists: it and its parent (where the new run is built and swapped in)
        _writable(where, [target, target.parent] if target.is_dir() else [target.parent])
        return target
    # ``out`` does not exist: its nearest existing ancestor (links not followed) must be a
    # directory or a link to one.
    parent = Path(os.path.abspath(given)).parent
    while True:
        try:
            os.lstat(parent)
            break
        except FileNotFoundError:
            parent = parent.parent
        except OSError as exc:
            raise _problem(where, exc) from None
    try:
        is_dir = stat.S_ISDIR(os.stat(parent).st_mode)
        target = Path(given).resolve()
    except FileNotFoundError:
        raise InputError(f"{where}: {parent} is a symbolic link to a missing path.") from None
    except (OSError, RuntimeError) as exc:
        raise _problem(where, exc) from None
    if not is_dir:
        raise InputError(f"{where}: {parent} is not a directory.")
    _writable(where, [parent])
    return target


def _writable(where: str, places: list[Path]) -> None:
    """Refuse, before any work, an output location this user cannot write: the run is built
    in a temporary sibling and its checkpoint lives beside it (without this check an
    unwritable location was found only after the whole training)."""
    for place in places:
        if os.path.isdir(place) and not os.access(place, os.W_OK | os.X_OK):
            raise InputError(
                f"{where}: cannot be written ({place} is not writable by this user); choose "
                "another output directory."
            )


def check_output_dir(
    out: str | os.PathLike[str],
    *,
    files: Set[str],
    marker: str,
    what: str,
    is_ours: Callable[[Path], bool] | None = None,
) -> Path:
    """Refuse an output path that must not be written or replaced.

    ``out`` may not exist yet (its nearest existing ancestor must be a directory), may be an
    empty directory, or may be a previous output holding ``marker`` and only names in
    ``files`` that ``is_ours`` recognises as written by sbmlcrn. A symbolic link to a
    directory stands for that directory.

    Parameters
    ----------
    out
        The output directory asked for (``--out``).
    files
        Every file name the command writes.
    marker
        The file (one of ``files``) whose presence marks a previous output.
    what
        What a previous output is called in the error message, e.g. ``"a previous sweep"``.
    is_ours
        Called with the resolved, existing, non-empty directory (holding ``marker`` and only
        names of ``files``): whether sbmlcrn wrote it, e.g. by reading a marker only sbmlcrn
        writes. It must not raise. Callers pass the check of their own kind of output
        (``is_ours=is_previous_run`` for a run directory, ``is_ours=is_previous_sweep`` for a
        sweep); the default, :func:`is_sbmlcrn_output`, accepts either.

    Returns
    -------
    Path
        ``out``, resolved.

    Raises
    ------
    InputError
        ``out`` is not a directory (nor a link to one), holds other files or files sbmlcrn did
        not write, lies below a non-directory, or cannot be inspected (a link loop).
    """
    target = _resolve_dir(out)
    try:
        exists = os.path.lexists(target)
        if exists and not target.is_dir():
            raise InputError(f"--out {out}: exists and is not a directory.")
        names = {p.name for p in target.iterdir()} if exists else set()
    except OSError as exc:
        raise _problem(f"--out {out}", exc) from None
    if names and (marker not in names or not names <= files):
        extra = sorted(names - files)[:3]
        raise InputError(
            f"--out {out}: exists and holds other files than {what} "
            f"({', '.join(extra) or f'no {marker}'}); choose another path."
        )
    if names and not (is_ours or is_sbmlcrn_output)(target):
        raise InputError(
            f"--out {out}: exists and holds files that sbmlcrn did not write (it is not "
            f"{what}); choose another path."
        )
    return target


@contextmanager
def atomic_output_dir(
    target: Path,
    *,
    files: Set[str],
    marker: str,
    is_ours: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """A temporary directory to write into, swapped in as ``target`` when the block succeeds.

    The temporary directory is a hidden sibling of ``target`` (same file system) named
    ``.NAME.new-PID-START-<random>``. On leaving the block normally the whole directory replaces
    ``target`` (:func:`_swap`): a reader sees the complete old directory or the complete new
    one, never a mix. On any exception (including ``KeyboardInterrupt``) the temporary
    directory is removed and ``target`` is left as it was. Leftovers of earlier writers that
    died (``kill -9``, a power cut) are cleaned first (:func:`clean_leftovers`). Check
    ``target`` first (:func:`check_output_dir`). A symbolic link to a directory stands for
    that directory: its target is swapped (the link is kept); other links are refused.

    Parameters
    ----------
    target
        The output directory (as returned by :func:`check_output_dir`).
    files
        Every file name the command may write.
    marker
        The file that marks a previous output (for the check with ``is_ours``).
    is_ours
        If given, ``target`` is checked again with :func:`check_output_dir` and this ownership
        check when the block starts (for callers that did not check it before).

    Yields
    ------
    Path
        The temporary directory to write the files into.

    Raises
    ------
    InputError
        ``target`` is a link to a non-directory, a dangling link or a link loop (or, with
        ``is_ours``, fails :func:`check_output_dir`).
    """
    if is_ours is not None:
        target = check_output_dir(
            target, files=files, marker=marker, what="a previous output", is_ours=is_ours
        )
    target = _resolve_dir(target)
    _create_parent(target, f"--out {target}")
    clean_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-{_me()}-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700 directories
    try:
        yield tmp
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- whole-run swap
#
# Decision: a run directory is replaced as a whole. The new directory is complete before the
# swap: ``target`` is renamed to ``.NAME.old-PID-START-<random>``, the new directory is renamed to
# ``target``, and the old one is removed. An exception between the two renames (Ctrl-C) puts
# the old directory back. A crash there (``kill -9``) leaves ``.NAME.old-*`` and no ``NAME``:
# the next writer to the same ``--out`` (or the next run's lock, :mod:`sbmlcrn.io.outlock`)
# finds that the process named in it is dead and renames it back; with ``NAME`` present it is
# removed. The writer's pid and start time are in every temporary name, so only leftovers of
# dead processes are touched, never a live writer's (nor ``.NAME.checkpoint``, nor
# ``.NAME.lock``). Consequence: the directory is a new inode. ``--out .`` still works (this
# process changes its working directory to the new one), but another process whose working
# directory was the old run (the user's shell) must ``cd`` again; the old directory's own
# permissions are not kept (the new one has the umask's).

_LEFTOVER = re.compile(r"(new|old)-(\d{1,10})-(\d{1,20})-[A-Za-z0-9_]+")


def _start_ticks(pid: int) -> int:
    """When process ``pid`` started (clock ticks since boot, from ``/proc``), or 0 if unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return int(fields[19])
    except (OSError, IndexError, ValueError):
        return 0


def _me() -> str:
    """``PID-START`` of this process, as put in the names of its temporary directories."""
    return f"{os.getpid()}-{_start_ticks(os.getpid())}"


def _alive(pid: int, start: int) -> bool:
    """Whether process ``pid`` (started at ``start`` ticks, 0 if unknown) is still running."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except OSError:
        pass  # exists, owned by another user
    now = _start_ticks(pid)
    return not (start and now and now != start)  # a reused pid is another process


def clean_leftovers(target: Path) -> list[Path]:
    """Remove the temporary siblings of ``target`` left by dead sbmlcrn writers.

    ``.NAME.new-*`` directories of dead processes are removed. A ``.NAME.old-*`` directory
    of a dead process is the previous run of a swap that was cut between its two renames:
    if ``NAME`` is missing it is renamed back to ``NAME``, otherwise it is removed. Never
    raises for what it cannot remove.

    Parameters
    ----------
    target
        The resolved output directory.

    Returns
    -------
    list of Path
        The leftovers removed or restored.
    """
    prefix = f".{target.name}."
    try:
        entries = [e for e in os.scandir(target.parent) if e.name.startswith(prefix)]
    except OSError:
        return []
    done: list[Path] = []
    for entry in sorted(entries, key=lambda e: e.name):
        match = _LEFTOVER.fullmatch(entry.name[len(prefix) :])
        if match is None or not entry.is_dir(follow_symlinks=False):
            continue
        if _alive(int(match.group(2)), int(match.group(3))):
            continue
        path = Path(entry.path)
        if match.group(1) == "old" and not os.path.lexists(target):
            try:
                os.rename(path, target)  # restore the previous run
            except OSError:
                continue
        else:
            shutil.rmtree(path, ignore_errors=True)
        done.append(path)
    return done


def _swap(new: Path, target: Path) -> None:
    """Replace directory ``target`` by the complete directory ``new`` (see the notes above)."""
    if not os.path.lexists(target):
        os.rename(new, target)
        return
    try:  # ``--out .``: this process follows its working directory to the new one
        here = os.path.samestat(os.stat("."), os.stat(target))
    except OSError:
        here = False
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{_me()}-", dir=target.parent))
    os.rename(target, old)  # replaces the empty directory made by mkdtemp
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)  # the previous run, back in place
        raise
    if here:
        with contextlib.suppress(OSError):
            os.chdir(target)
    # the new run is in place: after Ctrl-C here the leftover goes with the next run
    with contextlib.suppress(KeyboardInterrupt):
        shutil.rmtree(old, ignore_errors=True)
