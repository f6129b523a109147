"""The ``sbmlcrn`` command line (also ``python -m sbmlcrn``).

Exit status: 0 success; 1 a model failed validation or a simulation failed; 2 unusable input
(bad options, data or files) — reported as one line ``error: …`` on stderr, never a traceback,
and never with a partially written output directory.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from .errors import InputError, SbmlcrnError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line ``error: …`` and exit status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def _number(option: str, *, integer: bool = False):
    def parse(text: str) -> float | int:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} must be a number. Got {text!r}.") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{option} must be finite. Got {text!r}.")
        if integer:
            if not value.is_integer():
                raise argparse.ArgumentTypeError(f"{option} must be an integer. Got {text!r}.")
            return int(value)
        return value

    return parse


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sbmlcrn",
        description="Neural CRNs (chemical reaction networks that learn) as SBML models.",
    )
    parser.add_argument("--version", action="version", version=f"sbmlcrn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="compile a circuit for the data, train it by simulation")
    t.add_argument("circuit", help=", ".join(_circuits()))
    t.add_argument("--data", required=True, type=Path, help="training CSV (header row)")
    t.add_argument("--test", type=Path, help="test CSV with the same columns")
    t.add_argument("--target", default="y", help="target column (default: y)")
    t.add_argument(
        "--epochs",
        type=_number("--epochs", integer=True),
        help="passes over the data (default: 20 linear, 30 nonlinear)",
    )
    t.add_argument("--lr", type=_number("--lr"), help="learning rate (default: from the data)")
    t.add_argument(
        "--horizon",
        type=_number("--horizon"),
        help="forward time T (default: 1 linear, 0.5 nonlinear)",
    )
    t.add_argument("--backward", type=_number("--backward"), help="backward time (default: T)")
    t.add_argument("--seed", type=_number("--seed", integer=True), default=0)
    t.add_argument("--annihilation", type=_number("--annihilation"), default=1.0)
    t.add_argument(
        "--no-standardize", action="store_true", help="load raw inputs (no standardisation)"
    )
    t.add_argument(
        "--no-offset", action="store_true", help="no constant input, so no trainable offset"
    )
    t.add_argument(
        "--standardize-target",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="standardise regression targets (default: as the inputs)",
    )
    t.add_argument(
        "--augmentation",
        type=_number("--augmentation"),
        default=1.0,
        help="value of the constant input (default: 1)",
    )
    n = t.add_argument_group("nonlinear circuits")
    n.add_argument(
        "--gradient",
        choices=["exact", "first-order"],
        default="exact",
        help="chemical adjoint (exact) or the paper's first-order approximation",
    )
    n.add_argument(
        "--nonlinearity",
        choices=["quadratic", "cubic"],
        default="quadratic",
        help="-c z^2 (bimolecular, default) or -c z^3 (needs trimolecular reactions)",
    )
    n.add_argument(
        "--degradation",
        type=_number("--degradation"),
        help="c of the nonlinear term (default: 1/2 quadratic, 1/6 cubic)",
    )
    n.add_argument(
        "--square",
        choices=["signed", "per-rail"],
        default="signed",
        help="exact signed square, or the authors' per-rail square (-c z|z|)",
    )
    n.add_argument(
        "--init-scale",
        type=_number("--init-scale"),
        default=0.1,
        help="standard deviation of the random initial parameters",
    )
    n.add_argument(
        "--class-values",
        type=_number("--class-values"),
        nargs=2,
        metavar=("LO", "HI"),
        help="targets of labels 0 and 1 (default: -1 1 linear, 0 1 nonlinear)",
    )
    t.add_argument("--out", required=True, type=Path, help="run directory to write")
    t.add_argument("--quiet", action="store_true", help="no progress lines on stderr")

    p = sub.add_parser("predict", help="predict with a trained run's inference network")
    p.add_argument("run", type=Path, help="run directory written by 'sbmlcrn train'")
    p.add_argument("--data", required=True, type=Path, help="CSV with the run's input columns")
    p.add_argument("--out", type=Path, help="CSV to write (default: stdout)")

    e = sub.add_parser("export-inference", help="write a run's forward-only inference network")
    e.add_argument("run", type=Path)
    e.add_argument("-o", "--output", required=True, type=Path, help="SBML file (.xml) to write")

    v = sub.add_parser("validate", help="check SBML files: libSBML and the Neural-CRN rules")
    v.add_argument("model", type=Path, nargs="+", help="one or more SBML files")
    v.add_argument("--json", action="store_true", help="print the report(s) as JSON")
    v.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML for CI")
    v.add_argument("--no-units", action="store_true", help="skip the unit-consistency checks")
    v.add_argument(
        "--max-molecularity", type=_number("--max-molecularity", integer=True), default=2
    )

    c = sub.add_parser("crosscheck", help="simulate a run in COPASI and compare the parameters")
    c.add_argument("run", type=Path, help="run directory written by 'sbmlcrn train'")
    c.add_argument("--json", action="store_true", help="print the report as JSON")
    c.add_argument(
        "--tolerance",
        type=_number("--tolerance"),
        help="largest relative deviation (default: 1e-6 for linear circuits, else 1e-4)",
    )
    c.add_argument(
        "--timeout", type=_number("--timeout"), default=1200.0, help="seconds (default: 1200)"
    )

    x = sub.add_parser("export", help="write a run as a COPASI file or a COMBINE archive")
    x.add_argument("run", type=Path, help="run directory written by 'sbmlcrn train'")
    x.add_argument("--format", required=True, choices=["copasi", "omex"], help="file format")
    x.add_argument("-o", "--output", required=True, type=Path, help="file to write")

    st = sub.add_parser("stats", help="size of a circuit's training network for D inputs")
    st.add_argument("circuit", help=", ".join(_circuits()))
    st.add_argument(
        "--inputs",
        type=_number("--inputs", integer=True),
        nargs="+",
        default=[2],
        help="number(s) of input features D (default: 2)",
    )
    st.add_argument("--classes", type=_number("--classes", integer=True), default=3)
    st.add_argument("--gradient", choices=["exact", "first-order"], default="exact")
    st.add_argument("--nonlinearity", choices=["quadratic", "cubic"], default="quadratic")
    st.add_argument("--json", action="store_true", help="print JSON")

    r = sub.add_parser("reproduce", help="run the authors' experiments on built-in data")
    r.add_argument(
        "--quick", action="store_true", help="every row, 2 seeds, <= 8 epochs, coarse grids"
    )
    r.add_argument("--out", type=Path, help="directory for the report, models and plots")
    r.add_argument(
        "--seeds", type=_number("--seeds", integer=True), help="seeds per row (default 5)"
    )
    r.add_argument("--only", nargs="+", metavar="SLUG", help="run only these experiments")
    r.add_argument("--workers", type=_number("--workers", integer=True), help="worker processes")
    return parser


def _progress(quiet: bool):
    """Progress lines on stderr; per-epoch lines at most one every 2 s (and the last one)."""
    if quiet:
        return None
    last = [-math.inf]

    def show(msg: str) -> None:
        now = time.monotonic()
        if msg.startswith("epoch "):
            done, total = msg.split()[1].split("/")
            if done != total and now - last[0] < 2.0:
                return
        last[0] = now
        print(f"[sbmlcrn] {msg}", file=sys.stderr, flush=True)

    return show


def _circuits() -> list[str]:
    from .train import CIRCUITS

    return list(CIRCUITS)


def _train_config(args: argparse.Namespace):
    """The circuit's config from the command line (unset options keep the circuit default)."""
    from .circuits.linear import LinearConfig
    from .circuits.nonlinear import NonlinearConfig
    from .train import circuit_kind

    common = {
        "lr": args.lr,
        "seed": args.seed,
        "annihilation": args.annihilation,
        "standardize": not args.no_standardize,
        "augmentation": None if args.no_offset else args.augmentation,
        "backward": args.backward,
    }
    for key in ("horizon", "epochs"):
        if getattr(args, key) is not None:
            common[key] = getattr(args, key)
    if args.class_values is not None:
        common["class_values"] = tuple(args.class_values)
    if circuit_kind(args.circuit) == "linear":
        given = [
            opt
            for opt, value, default in (
                ("--gradient", args.gradient, "exact"),
                ("--nonlinearity", args.nonlinearity, "quadratic"),
                ("--square", args.square, "signed"),
                ("--degradation", args.degradation, None),
                ("--init-scale", args.init_scale, 0.1),
                ("--standardize-target", args.standardize_target, None),
            )
            if value != default
        ]
        if given:
            raise InputError(
                f"{', '.join(given)} only apply to nonlinear circuits, not {args.circuit}."
            )
        return LinearConfig(**common)
    return NonlinearConfig(
        **common,
        gradient=args.gradient,
        nonlinearity=args.nonlinearity,
        square=args.square,
        degradation=args.degradation,
        standardize_target=args.standardize_target,
        init_scale=args.init_scale,
    )


def _cmd_train(args: argparse.Namespace) -> int:
    from .data import read_csv
    from .train import check_out_dir, circuit_task, save_run, train

    circuit_task(args.circuit)
    check_out_dir(args.out)
    config = _train_config(args)
    data = read_csv(args.data, target=args.target, min_rows=2)
    test = read_csv(args.test, target=args.target) if args.test is not None else None
    run = train(args.circuit, data, test=test, config=config, progress=_progress(args.quiet))
    out = save_run(run, args.out)
    print(f"trained {args.circuit} on {len(data)} samples x {run.circuit.config.epochs} epochs")
    print(f"  learning rate {run.circuit.config.lr:.6g}, horizon {run.circuit.config.horizon:g}")
    for name, value in run.parameters.items():
        print(f"  theta[{name}] = {value:.10g}")
    print(f"  max |CRN - reference| = {run.max_abs_deviation:.3g}")
    print(f"  final epoch training loss = {run.train_loss[-1]:.6g}")
    if run.test is not None:
        for key, value in run.test.items():
            if key != "n":
                print(f"  test {key} = {value:.6g} (n = {int(run.test['n'])})")
    print(f"wrote {out}/ (model.xml, model.ant, result.json, plots)")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    from .data import read_csv
    from .train import load_model, predict

    model = load_model(args.run)
    table = read_csv(args.data, target=None, require_target=False)
    missing = [f for f in model.features if f not in table.features]
    if missing:
        raise InputError(
            f"{args.data}: lacks the input columns {missing} the model was trained on."
        )
    cols = [table.features.index(f) for f in model.features]
    preds = predict(model, table.x[:, cols])
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*table.features, "prediction"])
    integer = model.task == "classification"
    for row, value in zip(table.x, preds, strict=True):
        writer.writerow(
            [*map(repr, map(float, row)), int(value) if integer else repr(float(value))]
        )
    if args.out is None:
        sys.stdout.write(buf.getvalue())
    else:
        from .writers import write_atomic

        write_atomic(args.out, buf.getvalue())
        print(f"wrote {len(preds)} predictions to {args.out}")
    return 0


def _cmd_export_inference(args: argparse.Namespace) -> int:
    from .train import load_model
    from .writers import write_atomic

    model = load_model(args.run)
    write_atomic(args.output, model.inference_sbml())
    print(
        f"wrote {args.output}: set x<i>_p/x<i>_m to the loaded input's rails, simulate to "
        f"t = {model.config.horizon:g}, read yhat_p - yhat_m"
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    import json

    from .validate import junit_xml, validate_file

    reports = [
        validate_file(path, max_molecularity=args.max_molecularity, units=not args.no_units)
        for path in args.model
    ]
    if args.json:
        docs = [r.to_dict() for r in reports]
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2))
    else:
        print("\n\n".join(r.format_text() for r in reports))
    if args.junit is not None:
        from .writers import write_atomic

        write_atomic(args.junit, junit_xml(reports))
    return 0 if all(r.ok for r in reports) else 1


def _cmd_crosscheck(args: argparse.Namespace) -> int:
    import json

    from .copasi import crosscheck

    if args.tolerance is not None and args.tolerance <= 0:
        raise InputError(f"--tolerance must be positive. Got {args.tolerance:g}.")
    if args.timeout <= 0:
        raise InputError(f"--timeout must be positive. Got {args.timeout:g}.")
    report = crosscheck(args.run, tolerance=args.tolerance, timeout=args.timeout)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.format_text())
    return 0 if report.ok else 1


def _cmd_export(args: argparse.Namespace) -> int:
    if args.format == "copasi":
        from .copasi import export_copasi

        out = export_copasi(args.run, args.output)
        print(f"wrote {out}: open it in COPASI and run the Time-Course task")
        return 0
    try:
        from .omex import write_omex
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.omex":
            raise
        raise InputError("--format omex is not available in this version of sbmlcrn.") from None
    out = write_omex(args.run, args.output)
    print(f"wrote {out}")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    import json

    from .stats import circuit_stats, format_stats

    rows = [
        circuit_stats(
            args.circuit,
            d,
            gradient=args.gradient,
            nonlinearity=args.nonlinearity,
            classes=args.classes,
        )
        for d in args.inputs
    ]
    print(json.dumps(rows, indent=2) if args.json else format_stats(rows))
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import format_table, run_reproduce

    rows = run_reproduce(
        quick=args.quick,
        out=args.out,
        progress=_progress(False),
        seeds=args.seeds,
        only=tuple(args.only) if args.only else None,
        workers=args.workers,
    )
    print(format_table(rows))
    if args.out is not None:
        print(f"wrote {args.out}/report.md")
    return 0


_COMMANDS = {
    "train": _cmd_train,
    "predict": _cmd_predict,
    "export-inference": _cmd_export_inference,
    "validate": _cmd_validate,
    "stats": _cmd_stats,
    "reproduce": _cmd_reproduce,
    "crosscheck": _cmd_crosscheck,
    "export": _cmd_export,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
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
    except KeyboardInterrupt:
        print("error: interrupted; no output was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
