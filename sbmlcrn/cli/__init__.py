"""The ``sbmlcrn`` command line (also ``python -m sbmlcrn``).

Exit status: 0 success; 1 a model failed validation or a simulation failed; 2 unusable input
(bad options, data or files) — reported as one line ``error: …`` on stderr, never a traceback,
and never with a partially written output directory.

Each command group is one module exposing ``COMMANDS`` (name → :class:`Command`, its parser
and its handler); this module holds the registry and :func:`main`, which maps errors to exit
statuses.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import sys
from collections.abc import Sequence

from sbmlcrn._version import __version__
from sbmlcrn.cli import export, predict, studies, train, validate
from sbmlcrn.cli._common import (
    Command,
    Interrupted,
    Parser,
    check_home,
    check_ranges,
    close_displays,
)
from sbmlcrn.cli.summary import print_training_summary
from sbmlcrn.errors import InputError, SbmlcrnError

__all__ = ["main", "print_training_summary"]

# The commands in the order of ``sbmlcrn --help``.
_COMMANDS: dict[str, Command] = {
    **train.COMMANDS,
    **predict.COMMANDS,
    **validate.COMMANDS,
    **export.COMMANDS,
    **studies.COMMANDS,
}


def _build_parser() -> argparse.ArgumentParser:
    """The parser of ``sbmlcrn`` with the subparser of every command."""
    parser = Parser(
        prog="sbmlcrn",
        description="Neural CRNs (chemical reaction networks that learn) as SBML models.",
    )
    parser.add_argument("--version", action="version", version=f"sbmlcrn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in _COMMANDS.values():
        command.add_parser(sub)
    return parser


def _freeze_at_exit() -> None:
    """Spare the process the interpreter's last garbage collections, which take 0.3–0.5 s once
    RoadRunner, libSBML and matplotlib are loaded: at exit, what is still alive is moved to
    the permanent generation (:func:`gc.freeze`), which those collections skip. Files are
    closed and the other exit handlers run as before; registered once however often
    :func:`main` runs."""
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``sbmlcrn`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 success, 1 a failed model or simulation, 2 unusable input, 130
        interrupted.
    """
    _freeze_at_exit()
    argv = train.resume_argv(list(sys.argv[1:] if argv is None else argv))
    parser = _build_parser()
    args = parser.parse_args(argv)
    args.raw_argv = list(argv)
    try:
        try:
            check_ranges(args)
            check_home()
            return _COMMANDS[args.command].run(args)
        finally:
            close_displays()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SbmlcrnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except MemoryError:
        print("error: out of memory; use fewer samples or epochs", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except Interrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("error: interrupted; no output was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
