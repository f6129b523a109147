"""The command-line reference of the documentation, generated from sbmlcrn's argument parser.

``docs/cli.md`` holds an introduction and the marker line :data:`MARKER`; when Sphinx reads
that page (the ``source-read`` event, see :func:`setup`) the marker is replaced by the
Markdown of :func:`cli_reference`, which walks the real parser of ``sbmlcrn``
(``sbmlcrn.cli._build_parser``) — every subcommand, nested subcommand and option — so the
reference cannot drift from ``sbmlcrn --help``. Nothing generated is written to the source
tree. ``tests/unit/test_docs_reference.py`` checks that every option string appears.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from typing import Any

#: The line of ``docs/cli.md`` that the generated reference replaces.
MARKER = "<!-- cli-reference -->"

#: The document that holds :data:`MARKER`.
DOCNAME = "cli"

_SPECIAL = re.compile(r"([\\`*_\[\]<>{}#|$~^])")
_OPTION = re.compile(r"(?<![\w-])(--[A-Za-z][\w-]*)")


def _escape(text: str) -> str:
    """Text as literal Markdown: every character MyST could read as markup is escaped, and
    option names (``--data``) become code, so that no ``--`` is typeset as a dash."""
    pieces = _OPTION.split(" ".join(text.split()))
    return "".join(
        f"`{piece}`" if index % 2 else _SPECIAL.sub(r"\\\1", piece)
        for index, piece in enumerate(pieces)
    )


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    """The subparsers action of ``parser``, if it has one."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def walk_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str]]:
    """Every parser below ``parser``, depth first, in the order of ``--help``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The parser to start from (``sbmlcrn``'s).
    path : tuple of str, optional
        The command words leading to ``parser`` (empty for the top-level parser).

    Yields
    ------
    tuple
        ``(words, subparser, help)``: the command words after ``sbmlcrn`` (``("robustness",
        "noise")``), its parser and the one-line help shown by the parent's ``--help``.
    """
    sub = _subparsers(parser)
    if sub is None:
        return
    helps = {choice.dest: choice.help or "" for choice in sub._choices_actions}
    for name, child in sub.choices.items():
        words = (*path, name)
        yield words, child, helps.get(name, "")
        yield from walk_commands(child, words)


def _option_lines(parser: argparse.ArgumentParser) -> list[str]:
    """One Markdown list item per argument of ``parser`` (positionals first, then options)."""
    formatter = parser._get_formatter()
    lines: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            names = ", ".join(sub for sub in action.choices)
            lines.append(f"- `{{{names}}}`: the subcommand (below)")
            continue
        if action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            metavar = ""
            if action.nargs != 0:
                metavar = " " + formatter._format_args(
                    action, formatter._get_default_metavar_for_optional(action)
                )
            label = ", ".join(f"`{opt}{metavar}`" for opt in action.option_strings)
        else:
            default = formatter._get_default_metavar_for_positional(action)
            label = f"`{formatter._format_args(action, default)}`"
        help_text = formatter._expand_help(action) if action.help else ""
        lines.append(f"- {label}: {_escape(help_text)}" if help_text else f"- {label}")
    return lines


def _usage(parser: argparse.ArgumentParser) -> str:
    """The usage line(s) of ``parser`` exactly as ``--help`` prints them, without ``usage:``."""
    return parser.format_usage().removeprefix("usage: ").rstrip()


def _section(
    level: int, words: tuple[str, ...], parser: argparse.ArgumentParser, help_: str
) -> list[str]:
    """The Markdown of one command: heading, summary, usage, description, arguments."""
    title = " ".join(("sbmlcrn", *words))
    out = [f"{'#' * level} `{title}`", ""]
    if help_:
        out += [_escape(help_[0].upper() + help_[1:]) + ".", ""]
    out += ["```text", _usage(parser), "```", ""]
    if parser.description and parser.description != help_:
        out += [_escape(parser.description), ""]
    out += _option_lines(parser)
    if parser.epilog:
        out += ["", _escape(parser.epilog)]
    return [*out, ""]


def cli_reference(parser: argparse.ArgumentParser | None = None) -> str:
    """The Markdown reference of the whole command line.

    Parameters
    ----------
    parser : argparse.ArgumentParser, optional
        The parser to document (default: ``sbmlcrn.cli._build_parser()``).

    Returns
    -------
    str
        A section for ``sbmlcrn`` itself and one per subcommand (nested subcommands one level
        deeper), each with its usage, description and every argument with its help text.
    """
    if parser is None:
        from sbmlcrn.cli import _build_parser

        parser = _build_parser()
    lines = _section(2, (), parser, "")
    for words, child, help_ in walk_commands(parser):
        lines += _section(1 + len(words) + 1, words, child, help_)
    return "\n".join(lines)


def _fill(app: Any, docname: str, source: list[str]) -> None:
    """Sphinx ``source-read`` handler: put the generated reference into ``docs/cli.md``."""
    if docname == DOCNAME:
        if MARKER not in source[0]:
            raise RuntimeError(f"docs/{DOCNAME}.md lost its marker line {MARKER}")
        source[0] = source[0].replace(MARKER, cli_reference())


def setup(app: Any) -> dict[str, Any]:
    """Register the generator with Sphinx (an extension listed in ``docs/conf.py``)."""
    app.connect("source-read", _fill)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
