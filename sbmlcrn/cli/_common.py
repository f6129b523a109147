"""Shared pieces of the command line: the parser class, number options, the progress display,
the upper bounds of numeric options and the command registry entry."""

from __future__ import annotations

import argparse
import atexit
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from sbmlcrn.errors import InputError

if TYPE_CHECKING:
    from sbmlcrn.core.data import Dataset
    from sbmlcrn.training.progress import Progress

__all__ = [
    "CIRCUIT_HELP",
    "Command",
    "Interrupted",
    "Parser",
    "Subparsers",
    "check_home",
    "check_labels",
    "check_ranges",
    "circuits",
    "close_displays",
    "column_options",
    "number",
    "progress",
    "progress_option",
]

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line ``error: …`` and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


@dataclass(frozen=True)
class Command:
    """One subcommand: the function adding its parser and the function running it.

    Attributes
    ----------
    add_parser : callable
        Adds the command's parser to the subparsers of ``sbmlcrn``.
    run : callable
        Runs the command on the parsed arguments; returns the exit status.
    """

    add_parser: Callable[[Subparsers], argparse.ArgumentParser]
    run: Callable[[argparse.Namespace], int]


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training, with what was kept (the message of ``error: …``)."""


def number(option: str, *, integer: bool = False) -> Callable[[str], float | int]:
    """The argparse ``type`` of a finite number (an integer with ``integer=True``).

    Parameters
    ----------
    option : str
        The option's name, used in the error messages.
    integer : bool, optional
        Require an integral value and return it as an ``int``.

    Returns
    -------
    callable
        Parses the option's text; raises :class:`argparse.ArgumentTypeError` on bad text.
    """

    def parse(text: str) -> float | int:
        if integer:
            return _integer(option, text)
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be a number. Got {text!r}.") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{option} must be finite. Got {text!r}.")
        return value

    return parse


_INT_MAX = 2**63 - 1  # the largest integer an option takes (a 64-bit C integer)


def _integer(option: str, text: str) -> int:
    """Parse ``text`` as an integer option exactly (seeds are integers end to end).

    Plain integers are parsed with :class:`int`, so ``9007199254740993`` stays itself
    instead of passing through a float; forms like ``1e3`` or ``5.0`` are accepted when
    integral and finite. Magnitudes above ``2**63 - 1`` are refused.
    """
    shown = text.strip()
    try:
        value = int(text)
    except ValueError:
        try:
            number_ = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be a number. Got {text!r}.") from None
        if not math.isfinite(number_):
            raise argparse.ArgumentTypeError(f"{option} must be finite. Got {text!r}.") from None
        if not number_.is_integer():
            raise argparse.ArgumentTypeError(
                f"{option} must be an integer. Got {text!r}."
            ) from None
        value = int(number_)
        shown = f"{number_:g}"
    if abs(value) > _INT_MAX:
        raise argparse.ArgumentTypeError(
            f"{option} {shown} is too large; at most {_INT_MAX} in magnitude (a 64-bit integer)."
        )
    return value


def check_home() -> None:
    """Give matplotlib a temporary configuration directory when ``HOME`` is unusable.

    matplotlib resolves ``$HOME/.config/matplotlib`` (or ``$XDG_CONFIG_HOME``,
    ``$XDG_CACHE_HOME``) on import and raises ``RuntimeError`` when one is a symbolic-link
    loop; an unwritable ``HOME`` it handles itself. With ``MPLCONFIGDIR`` unset and such a
    loop, ``MPLCONFIGDIR`` is set to a temporary directory removed when the process ends.
    (RoadRunner's own ``roadrunner.conf`` is handled where RoadRunner is loaded.)
    """
    if os.environ.get("MPLCONFIGDIR"):
        return
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        value = os.environ.get(name)
        if not value:
            continue
        try:
            Path(value).resolve()
        except (OSError, RuntimeError, ValueError):
            temp = tempfile.mkdtemp(prefix="sbmlcrn-mpl-")
            atexit.register(shutil.rmtree, temp, ignore_errors=True)
            os.environ["MPLCONFIGDIR"] = temp
            return


def circuits() -> list[str]:
    """The names of the registered circuits (the help text of a ``circuit`` argument)."""
    from sbmlcrn.circuits.registry import CIRCUITS

    return list(CIRCUITS)


class _CircuitNames(str):
    """A help text that lists the registered circuits only when help is printed.

    argparse expands every help text with ``help % params`` as it prints it; this one answers
    with :func:`circuits`, so building the parser (``sbmlcrn --help``, every command) does not
    load the circuit registry and numpy.
    """

    def __mod__(self, params: object) -> str:
        return ", ".join(circuits())


#: The help text of a ``circuit`` argument: the registered circuits, listed lazily.
CIRCUIT_HELP = _CircuitNames("%(circuits)s")


_DISPLAYS: list[Any] = []  # progress displays of this command, closed when it ends


def progress(quiet: bool, mode: str = "auto") -> Progress | None:
    """The command's progress display on stderr (:class:`sbmlcrn.training.progress.Progress`):
    a live bar on a terminal, status lines only in a log; ``--quiet`` turns it off."""
    from sbmlcrn.training.progress import Progress

    if quiet or mode == "none":
        return None
    display = Progress(mode)
    _DISPLAYS.append(display)
    return display


def close_displays() -> None:
    """Close every progress display opened by :func:`progress` (the command has ended)."""
    while _DISPLAYS:
        _DISPLAYS.pop().close()


def progress_option(p: argparse.ArgumentParser) -> None:
    """Add ``--quiet`` and ``--progress`` to the parser ``p``."""
    p.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    p.add_argument(
        "--progress",
        choices=["auto", "bar", "lines", "none"],
        default="auto",
        help="progress display: a live bar (default on a terminal), plain per-epoch lines, "
        "or none; 'auto' writes only status lines when stderr is not a terminal",
    )


def column_options(p: argparse.ArgumentParser, *, what: str = "inputs") -> None:
    """Add ``--features COL…`` and ``--drop COL…`` (exclusive) to the parser ``p``.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The command's parser.
    what : str, optional
        What the chosen columns are: ``inputs`` (training: the target is never one) or
        ``output`` (prediction: the columns written back beside the predictions).
    """
    g = p.add_mutually_exclusive_group()
    if what == "inputs":
        keep = "the input columns, in this order (default: every column but the target)"
        leave = "columns that are not inputs, e.g. a sample ID (never read)"
    else:
        keep = "the columns written back beside the predictions (default: all)"
        leave = "columns left out of the output (the model's inputs are read either way)"
    g.add_argument("--features", nargs="+", metavar="COL", help=keep)
    g.add_argument("--drop", nargs="+", metavar="COL", help=leave)


def check_labels(circuit: str, task: str, data: Dataset) -> None:
    """Refuse text class labels that a binary classifier cannot take (not exactly two).

    Raises
    ------
    InputError
        ``task`` is ``classification`` and ``data`` has text labels, but not two.
    """
    labels = data.class_labels
    if task == "classification" and labels and len(labels) != 2:
        shown = ", ".join(labels[:8]) + (", …" if len(labels) > 8 else "")
        raise InputError(
            f"{data.name}: the target column {data.target!r} has {len(labels)} labels "
            f"({shown}); {circuit} takes exactly 2"
            + ("; use nonlinear-multiclass for more." if len(labels) > 2 else ".")
        )


# Upper bounds of numeric options, checked before a command starts (the lower bounds and the
# types are checked where the values are used). Each one keeps a command from running for
# ever or overflowing a C integer: e.g. reproduce --seeds 1e308 never ended and reproduce
# --workers 1e308, train --ssa-seed 1e308, stats --inputs 1e308 and crosscheck --timeout 1e308
# ended in tracebacks before.
_UPPER_BOUNDS = {
    "seeds": (1_000, "seeds per experiment"),
    "workers": (1_024, "worker processes"),
    "seed": (2**63 - 1, "a 64-bit seed"),
    "ssa_seed": (2**63 - 1, "a 64-bit seed"),
    "molecules": (10**9, "molecules per unit (Gillespie simulates each one)"),
    "timeout": (1e7, "seconds"),
    "dask_timeout": (1e7, "seconds"),
    "runs": (100_000, "runs per setting"),
    "naive_runs": (100_000, "runs"),
    "classes": (1_000, "classes"),
    "clock_species": (8, "species in the clock's ring"),
    "max_molecularity": (1_000, "reactants"),
}


def check_ranges(args: argparse.Namespace) -> None:
    """Refuse numeric options beyond their upper bounds (:data:`_UPPER_BOUNDS`).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line of any command.

    Raises
    ------
    InputError
        An option is out of range.
    """
    for key, (limit, unit) in _UPPER_BOUNDS.items():
        value = getattr(args, key, None)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > limit:
            option = "--" + key.replace("_", "-")
            raise InputError(
                f"{option} {float(value):g} is too large; at most {float(limit):g} ({unit})."
            )
    molecularity = getattr(args, "max_molecularity", None)
    if isinstance(molecularity, int) and molecularity < 0:
        raise InputError(f"--max-molecularity must be >= 0. Got {molecularity}.")
    epochs = getattr(args, "epochs", None)
    if isinstance(epochs, int):  # only train and robustness take --epochs: they load training
        from sbmlcrn.training.limits import check_epochs

        check_epochs(epochs)
