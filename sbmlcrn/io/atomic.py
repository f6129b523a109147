"""Output directories published atomically (shared by ``train`` runs and sweeps).

A command's files go to a temporary sibling of the target directory first; only when all of
them are written does the temporary directory become the target (renamed, or its files moved
into an existing target one by one, the *marker* file last). A reader therefore never sees a
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

__all__ = ["atomic_output_dir", "check_output_dir"]


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
