#!/usr/bin/env python3
"""Build sbmlcrn's documentation site (Sphinx + MyST-NB) into a directory.

Usage::

    pip install '.[docs]'
    python scripts/build_docs.py OUT        # OUT/index.html; exit 0 on a clean build

The site is built from ``docs/`` (configuration: ``docs/conf.py``) with the HTML builder,
**warnings as errors** (``-W``; ``--keep-going`` lists every warning before failing), and
every tutorial notebook executed (MyST-NB, ``nb_execution_mode = "force"``: a failing cell
fails the build). The CLI reference is generated from the argument parser while the site is
read (``docs/_ext/cli_reference.py``), the API reference from the docstrings (autodoc +
napoleon), so neither can drift from the code.

Output: ``OUT`` may be missing, an empty directory, or a site this script wrote before (it
leaves the marker file :data:`MARKER` in it); anything else — a file, a directory holding other
things — is refused, never overwritten. The site is built in a temporary directory next to
``OUT`` and renamed into place, so ``OUT`` is never half old, half new, and a failed build
leaves ``OUT`` as it was.

Exit status: 0 the site was built; 1 the build failed (a warning, an error, a tutorial that
raised; Sphinx's messages are on stderr); 2 unusable ``OUT`` or Sphinx / MyST-NB missing.

Why these choices (recorded on the site's front page, "About these docs"): Sphinx + MyST-NB
because the ecosystem's sites (libRoadRunner, Tellurium, PySB, cobrapy, basico, sbmlutils)
are Sphinx; MyST Markdown notebooks because they are text with reviewable diffs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: The file that marks a directory as a site written by this script.
MARKER = ".sbmlcrn-docs"

#: The Python modules the build needs, and where they come from.
REQUIRED = {"sphinx": "sphinx", "myst_nb": "myst-nb", "furo": "furo"}


class BuildError(Exception):
    """The build cannot start or failed; ``status`` is the exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def check_out(out: Path) -> None:
    """Refuse an output path this script must not write to.

    Parameters
    ----------
    out : Path
        The requested output directory.

    Raises
    ------
    BuildError
        With status 2 if ``out`` is a file (or anything but a directory), a non-empty directory
        without :data:`MARKER`, or its parent directory does not exist.
    """
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise BuildError(
            f"The OUT parameter of build_docs.py must be a directory to create. Got {out}, "
            "an existing file, instead; it was left untouched.",
            2,
        )
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise BuildError(
            f"The OUT parameter of build_docs.py must be a new or empty directory, or a site "
            f"this script built. Got {out}, a directory holding other files, instead; it was "
            "left untouched.",
            2,
        )
    if not out.parent.is_dir():
        raise BuildError(
            f"The OUT parameter of build_docs.py must be in an existing directory. Got {out}, "
            f"whose parent {out.parent} does not exist, instead.",
            2,
        )


def check_tools() -> None:
    """Raise :class:`BuildError` (status 2) naming the missing build dependencies, if any."""
    missing = [pkg for module, pkg in REQUIRED.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise BuildError(
            f"building the docs needs {', '.join(missing)}: pip install '.[docs]'",
            2,
        )


def sphinx_command(html: Path, doctrees: Path) -> list[str]:
    """The sphinx-build command line: HTML, warnings as errors, all of them listed."""
    return [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-W",
        "--keep-going",
        "-E",
        "-q",
        "-d",
        str(doctrees),
        str(DOCS),
        str(html),
    ]


def install(built: Path, out: Path, work: Path) -> None:
    """Move the finished site ``built`` to ``out``, replacing an empty or earlier site.

    The old ``out`` is renamed into ``work`` first (it is deleted with it), then ``built`` is
    renamed to ``out``: both are renames within one directory, so no reader ever sees a mix.
    """
    (built / MARKER).write_text("built by scripts/build_docs.py; may be replaced by it\n")
    if out.is_dir():
        out.rename(work / "previous")
    built.rename(out)


def build(out: Path) -> float:
    """Build the site into ``out`` and return the seconds it took.

    Raises
    ------
    BuildError
        Status 2 for an unusable ``out`` or missing tools, 1 for a failed build.
    """
    out = out.absolute()
    check_out(out)
    check_tools()
    start = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        html = work / "site"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        done = subprocess.run(
            sphinx_command(html, work / "doctrees"), cwd=ROOT, env=env, check=False
        )
        if done.returncode != 0 or not (html / "index.html").is_file():
            raise BuildError(
                f"the documentation build failed (sphinx-build exit status {done.returncode}; "
                f"its warnings and errors are above); {out} was left as it was",
                1,
            )
        check_out(out)  # nothing else appeared there while the site was built
        install(html, out, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Run the script; return the exit status (0 built, 1 build failed, 2 unusable input)."""
    parser = argparse.ArgumentParser(
        prog="build_docs.py",
        description="Build sbmlcrn's documentation site (warnings are errors).",
    )
    parser.add_argument("out", type=Path, metavar="OUT", help="directory to write (OUT/index.html)")
    args = parser.parse_args(argv)
    try:
        seconds = build(args.out)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("error: interrupted; OUT was left as it was", file=sys.stderr)
        return 130
    print(f"built the site in {seconds:.0f} s: {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
