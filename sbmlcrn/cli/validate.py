"""``sbmlcrn validate`` and ``sbmlcrn crosscheck``: check models and runs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sbmlcrn.cli._common import Command, Subparsers, number
from sbmlcrn.errors import InputError

if TYPE_CHECKING:
    from sbmlcrn.training.validate_run import RunValidationReport

__all__ = [
    "COMMANDS",
    "add_crosscheck_parser",
    "add_validate_parser",
    "run_crosscheck",
    "run_validate",
]


def add_validate_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn validate`` to ``sub`` and return it."""
    v = sub.add_parser(
        "validate",
        help="check SBML files (libSBML and the Neural-CRN rules), or a trained run (--run)",
    )
    v.add_argument(
        "model",
        type=Path,
        nargs="*",
        help="one or more SBML files (XML that is not SBML, e.g. an OMEX manifest, is skipped); "
        "none with --run",
    )
    v.add_argument(
        "--rules",
        choices=("sbml", "neural-crn", "all"),
        default=None,
        help="rule sets to run: libSBML's checks (sbml), the Neural-CRN rules (neural-crn) or "
        "both (all); default: all for models sbmlcrn wrote (its annotation or notes say so), "
        "sbml for any other model",
    )
    v.add_argument("--json", action="store_true", help="print the report(s) as JSON")
    v.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML for CI")
    v.add_argument("--no-units", action="store_true", help="skip the unit-consistency checks")
    v.add_argument("--max-molecularity", type=number("--max-molecularity", integer=True), default=2)
    _add_run_options(v)
    return v


def _add_run_options(v: argparse.ArgumentParser) -> None:
    """The options of ``sbmlcrn validate --run DIR`` (sbmlcrn.training.validate_run)."""
    r = v.add_argument_group(
        "trained runs (--run)",
        "simulate a run's model.xml on its own and check the learned parameters against "
        "result.json; optionally the test metric, the rebuild from the data, and the structure",
    )
    r.add_argument(
        "--run",
        type=Path,
        nargs="+",
        metavar="DIR",
        help="run directories written by 'train' (a file inside one names it, e.g. its "
        "result.json), or bare models with an expectations file beside them (models/*.xml)",
    )
    r.add_argument(
        "--simulator",
        choices=("roadrunner", "copasi", "both"),
        default="roadrunner",
        help="who simulates model.xml (default: roadrunner; copasi needs sbmlcrn[copasi])",
    )
    r.add_argument(
        "--tolerance",
        type=number("--tolerance"),
        help="largest relative deviation per parameter, of max(1, |θ|) (default: 1e-6; 1e-4 "
        "for --design node and chemical-clock runs)",
    )
    r.add_argument("--test", type=Path, metavar="CSV", help="held-out data: recompute the metric")
    r.add_argument(
        "--data", type=Path, metavar="CSV", help="training data: model.xml must rebuild from it"
    )
    r.add_argument(
        "--expect", type=Path, metavar="FILE", help="expectations JSON (parameters, metric bounds)"
    )
    r.add_argument("--expect-mse", type=number("--expect-mse"), metavar="X", help="mse <= X")
    r.add_argument(
        "--expect-accuracy", type=number("--expect-accuracy"), metavar="Y", help="accuracy >= Y"
    )
    r.add_argument(
        "--timeout",
        type=number("--timeout"),
        default=1200.0,
        help="seconds COPASI may take (default: 1200)",
    )


def add_crosscheck_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn crosscheck`` to ``sub`` and return it."""
    c = sub.add_parser("crosscheck", help="simulate a run in COPASI and compare the parameters")
    c.add_argument("run", type=Path, help="run directory written by 'sbmlcrn train'")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    c.add_argument(
        "--tolerance",
        type=number("--tolerance"),
        help="largest relative deviation (default: 1e-6 for linear circuits, else 1e-4)",
    )
    c.add_argument(
        "--timeout", type=number("--timeout"), default=1200.0, help="seconds (default: 1200)"
    )
    return c


def run_validate(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn validate``: print the reports; 1 if a model fails, 2 if a file is unusable.

    XML that is not SBML (another vocabulary, e.g. an OMEX ``manifest.xml`` matched by a
    pre-commit pattern) is skipped with a note, never a failure.
    """
    if args.run is not None:
        return _run_validate_run(args)
    _refuse_run_options(args)
    from sbmlcrn.validation import junit_xml, validate_file
    from sbmlcrn.validation.safexml import NotSbmlError

    # one file: an unusable one is an error (exit 2); several: every file gets its report
    # (text, JSON and JUnit alike) and an unusable one is a failing report, then exit 2
    mode = "report" if len(args.model) > 1 else "raise"
    options = {
        "max_molecularity": args.max_molecularity,
        "units": not args.no_units,
        "rules": args.rules,
    }
    reports = []
    for path in args.model:
        try:
            reports.append(validate_file(path, unusable=mode, **options))
        except NotSbmlError:  # one file that is not SBML: skipped, as among several
            reports.append(validate_file(path, unusable="report", **options))
    _emit(reports, args, junit_xml)
    for report in reports:
        if report.skipped:
            print(f"note: {report.source}: skipped: {report.findings[0].message}", file=sys.stderr)
        elif not report.usable:
            print(f"error: {report.source}: {report.findings[0].message}", file=sys.stderr)
    if not all(r.usable or r.skipped for r in reports):
        return 2
    return 0 if all(r.ok for r in reports) else 1


#: ``validate --run`` options and their defaults (refused without --run).
_RUN_OPTIONS = {
    "simulator": "roadrunner",
    "tolerance": None,
    "test": None,
    "data": None,
    "expect": None,
    "expect_mse": None,
    "expect_accuracy": None,
    "timeout": 1200.0,
}


def _emit(reports: list, args: argparse.Namespace, junit_xml) -> None:
    """Print ``reports`` (text, or ``--json``) and write ``--junit`` with ``junit_xml``."""
    if args.json:
        docs = [r.to_dict() for r in reports]
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2))
    else:
        print("\n\n".join(r.format_text() for r in reports))
    if args.junit is not None:
        from sbmlcrn.io.atomic import write_atomic

        write_atomic(args.junit, junit_xml(reports))


def _refuse_run_options(args: argparse.Namespace) -> None:
    """Without --run: SBML files are required and the --run options are refused."""
    if not args.model:
        raise InputError("validate needs one or more SBML files, or --run DIR.")
    given = [k for k, default in _RUN_OPTIONS.items() if getattr(args, k) != default]
    if given:
        raise InputError(
            f"--{given[0].replace('_', '-')} is an option of 'validate --run DIR'; "
            "give --run or leave it out."
        )


def _run_validate_run(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn validate --run DIR``: print the report; 1 if a check fails."""
    from sbmlcrn.training.validate_run import junit_xml

    if args.model:
        raise InputError("validate takes SBML files or --run DIR, not both.")
    if args.rules is not None or args.no_units or args.max_molecularity != 2:
        raise InputError("--rules, --no-units and --max-molecularity apply to SBML files.")
    if args.timeout <= 0:
        raise InputError(f"--timeout must be positive. Got {args.timeout:g}.")
    targets = _run_targets(args.run)
    if len(targets) > 1 and (args.test is not None or args.data is not None):
        raise InputError("--test and --data apply to one run; give one --run DIR with them.")
    reports = [_one_run(target, args) for target in targets]
    _emit(reports, args, junit_xml)
    return 0 if all(r.ok for r in reports) else 1


def _run_targets(paths: list[Path]) -> list[Path]:
    """The runs to check, each once: a file inside a run directory (its ``result.json``,
    ``model.xml`` …, as pre-commit passes them) stands for the directory."""
    targets: list[Path] = []
    for path in paths:
        if path.is_file() and (path.parent / "result.json").is_file():
            path = path.parent
        if path not in targets:
            targets.append(path)
    return targets


def _one_run(target: Path, args: argparse.Namespace) -> RunValidationReport:
    """The report of ``validate_run`` on ``target`` with the options of ``args``."""
    from sbmlcrn.training.validate_run import validate_run

    return validate_run(
        target,
        simulator=args.simulator,
        tolerance=args.tolerance,
        test=args.test,
        data=args.data,
        expect=args.expect,
        expect_mse=args.expect_mse,
        expect_accuracy=args.expect_accuracy,
        timeout=args.timeout,
    )


def run_crosscheck(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn crosscheck``: print the COPASI comparison; 1 if it fails."""
    from sbmlcrn.io.copasi import crosscheck

    if args.tolerance is not None and args.tolerance <= 0:
        raise InputError(f"--tolerance must be positive. Got {args.tolerance:g}.")
    if args.timeout <= 0:
        raise InputError(f"--timeout must be positive. Got {args.timeout:g}.")
    report = crosscheck(args.run, tolerance=args.tolerance, timeout=args.timeout)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.format_text())
    return 0 if report.ok else 1


COMMANDS = {
    "validate": Command(add_validate_parser, run_validate),
    "crosscheck": Command(add_crosscheck_parser, run_crosscheck),
}
