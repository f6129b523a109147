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
    t.add_argument("circuit", help="linear-regression or linear-classification")
    t.add_argument("--data", required=True, type=Path, help="training CSV (header row)")
    t.add_argument("--test", type=Path, help="test CSV with the same columns")
    t.add_argument("--target", default="y", help="target column (default: y)")
    t.add_argument("--epochs", type=_number("--epochs", integer=True), default=20)
    t.add_argument("--lr", type=_number("--lr"), help="learning rate (default: from the data)")
    t.add_argument("--horizon", type=_number("--horizon"), default=1.0, help="forward time T")
    t.add_argument("--seed", type=_number("--seed", integer=True), default=0)
    t.add_argument("--annihilation", type=_number("--annihilation"), default=1.0)
    t.add_argument(
        "--no-standardize", action="store_true", help="load raw inputs (no standardisation)"
    )
    t.add_argument(
        "--no-offset", action="store_true", help="no constant input, so no trainable offset"
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

    r = sub.add_parser("reproduce", help="run the authors' experiments on built-in data")
    r.add_argument("--quick", action="store_true", help="smaller evaluation grids, no plots")
    r.add_argument("--out", type=Path, help="directory for the report, models and plots")
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


def _cmd_train(args: argparse.Namespace) -> int:
    from .circuits.linear import LinearConfig
    from .data import read_csv
    from .train import check_out_dir, circuit_task, save_run, train

    circuit_task(args.circuit)
    check_out_dir(args.out)
    config = LinearConfig(
        horizon=args.horizon,
        lr=args.lr,
        epochs=args.epochs,
        seed=args.seed,
        annihilation=args.annihilation,
        standardize=not args.no_standardize,
        augmentation=None if args.no_offset else 1.0,
    )
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


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import format_table, run_reproduce

    rows = run_reproduce(quick=args.quick, out=args.out, progress=_progress(False))
    print(format_table(rows))
    if args.out is not None:
        print(f"wrote {args.out}/report.md")
    return 0


_COMMANDS = {
    "train": _cmd_train,
    "predict": _cmd_predict,
    "export-inference": _cmd_export_inference,
    "validate": _cmd_validate,
    "reproduce": _cmd_reproduce,
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
