"""Atomic writes: single files and whole output directories (the package's only atomic writer).

:func:`write_atomic` writes text or bytes to a file; :func:`atomic_file` gives a temporary
path to writers that need one (e.g. COPASI saving a ``.cps``) and renames it onto the target
when the block succeeds. Both write to a hidden temporary sibling of the target (same file
system), so a reader sees the old file or the complete new one, never a half-written file.

Output directories (:func:`atomic_output_dir`, shared by ``train`` runs and sweeps): a
command's files go to a temporary sibling of the target directory first; only when all of them
are written does the temporary directory become the target (renamed, or its files moved into
an existing target one by one, the *marker* file last). A reader therefore never sees a
half-written directory, nor a marker without the files it describes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Set
from contextlib import contextmanager
from pathlib import Path

from sbmlcrn.errors import InputError

__all__ = ["atomic_file", "atomic_output_dir", "check_output_dir", "write_atomic"]


def _file_mode() -> int:
    """The permissions of an ordinary new file under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _target_file(path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{path}: is a directory; give a file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def write_atomic(
    path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8"
) -> Path:
    """Write ``data`` to ``path`` through a temporary file, fsync and an atomic rename.

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
        ``path`` is a directory.
    OSError
        The file could not be written (the temporary file is removed; ``path`` is untouched).
    """
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)
    target = _target_file(path)
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
    return target


@contextmanager
def atomic_file(path: str | os.PathLike[str], *, suffix: str = "") -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto ``path`` when the block succeeds.

    For writers that need a file name rather than data (e.g. COPASI saving a ``.cps``). The
    temporary file exists (empty) when the block starts; the writer may replace it. On any
    exception (including ``KeyboardInterrupt``), or if the writer left no file, the temporary
    file is removed and ``path`` is left as it was.

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
        ``path`` is a directory.
    FileNotFoundError
        The block left no file at the temporary path.
    """
    target = _target_file(path)
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


def check_output_dir(
    out: str | os.PathLike[str], *, files: Set[str], marker: str, what: str
) -> Path:
    """Refuse an output path that must not be written or replaced.

    ``out`` may not exist yet (its nearest existing ancestor must be a directory), may be an
    empty directory, or may be a previous output holding ``marker`` and only names in
    ``files``.

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

    Returns
    -------
    Path
        ``out``, resolved.

    Raises
    ------
    InputError
        ``out`` is not a directory, holds other files, or lies below a non-directory.
    """
    target = Path(out).resolve()
    if target.exists():
        if not target.is_dir():
            raise InputError(f"--out {out}: exists and is not a directory.")
        names = {p.name for p in target.iterdir()}
        if names and (marker not in names or not names <= files):
            extra = sorted(names - files)[:3]
            raise InputError(
                f"--out {out}: exists and holds other files than {what} "
                f"({', '.join(extra) or f'no {marker}'}); choose another path."
            )
    else:
        parent = target.parent
        while not parent.exists():
            parent = parent.parent
        if not parent.is_dir():
            raise InputError(f"--out {out}: {parent} is not a directory.")
    return target


@contextmanager
def atomic_output_dir(target: Path, *, files: Set[str], marker: str) -> Iterator[Path]:
    """A temporary directory to write into, published as ``target`` when the block succeeds.

    The temporary directory is a hidden sibling of ``target`` (same file system). On leaving
    the block normally it becomes ``target``: renamed if ``target`` does not exist; otherwise
    its files replace ``target``'s one by one, each atomically, ``marker`` last, and the names
    of ``files`` it did not write are removed from ``target``. On any exception (including
    ``KeyboardInterrupt``) the temporary directory is removed and ``target`` is left as it was.
    Check ``target`` first (:func:`check_output_dir`).

    Parameters
    ----------
    target
        The resolved output directory.
    files
        Every file name the command may write (stale ones are removed from ``target``).
    marker
        The file moved last into an existing ``target``.

    Yields
    ------
    Path
        The temporary directory to write the files into.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700 directories
    try:
        yield tmp
        if target.exists():
            # Keep the directory itself (it may be the caller's working directory): replace
            # the files one by one, each atomically, the marker last, so a reader never sees
            # a marker without the files it describes.
            written = {p.name for p in tmp.iterdir()}
            for name in [*sorted(written - {marker}), marker]:
                os.replace(tmp / name, target / name)
            for name in files - written:
                (target / name).unlink(missing_ok=True)
            tmp.rmdir()
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
