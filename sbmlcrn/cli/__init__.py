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
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from sbmlcrn._version import __version__
from sbmlcrn.errors import InputError, SbmlcrnError

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
    t.add_argument(
        "--engine",
        choices=["events", "phases"],
        default="events",
        help="simulate the one SBML model with its events (default), or drive its event-free "
        "network phase by phase on one loaded model (same parameters; faster with many "
        "samples; no --resume)",
    )
    _progress_option(t)
    t.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="continue the interrupted run that was writing to DIR from its last simulated "
        "epoch (alone: 'sbmlcrn train --resume DIR', or with the run's unchanged options)",
    )
    sc = t.add_argument_group("stochastic training and the chemical clock")
    sc.add_argument(
        "--stochastic",
        action="store_true",
        help="Gillespie SSA with --molecules per unit, driven phase by phase to the event times",
    )
    sc.add_argument(
        "--molecules",
        type=_number("--molecules", integer=True),
        help="molecules per unit of concentration (with --stochastic; default 10000)",
    )
    sc.add_argument(
        "--ssa-seed",
        type=_number("--ssa-seed", integer=True),
        default=0,
        help="seed of the Gillespie random stream (default 0)",
    )
    sc.add_argument(
        "--clock",
        choices=["events", "chemical"],
        default="events",
        help="phase gates switched by events (default) or by a chemical oscillator",
    )
    sc.add_argument(
        "--clock-species",
        type=_number("--clock-species", integer=True),
        default=4,
        help="species in the chemical clock's ring (default 4)",
    )
    sc.add_argument(
        "--clock-floor",
        type=_number("--clock-floor"),
        default=1e-4,
        help="chemical clock amplification floor delta/S (default 1e-4)",
    )
    sc.add_argument(
        "--free-running",
        action="store_true",
        help="do not re-arm the chemical clock at each sample load",
    )

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
    r.add_argument(
        "--no-studies",
        action="store_true",
        help="skip the chemistry studies (stochastic noise, rate noise, chemical clock)",
    )
    r.add_argument("--workers", type=_number("--workers", integer=True), help="worker processes")

    sw = sub.add_parser("sweep", help="train every combination of a hyper-parameter grid")
    sw.add_argument("circuit", help=", ".join(_circuits()))
    sw.add_argument("--data", required=True, type=Path, help="training CSV (header row)")
    sw.add_argument("--test", type=Path, help="test CSV: the metric is the test MSE or accuracy")
    sw.add_argument("--target", default="y", help="target column (default: y)")
    sw.add_argument(
        "--grid",
        required=True,
        nargs="+",
        metavar="KEY=VALUES",
        help="config fields and their values, e.g. lr=0.01,0.05 horizon=0.5,1 seed=0..9",
    )
    sw.add_argument("--out", required=True, type=Path, help="directory for the results")
    sw.add_argument(
        "--workers",
        type=_number("--workers", integer=True),
        help="local worker processes (default: the number of CPUs)",
    )
    sw.add_argument("--dask", metavar="ADDRESS", help="run on a Dask scheduler (tcp://host:port)")
    sw.add_argument(
        "--dask-timeout",
        type=_number("--dask-timeout"),
        default=10.0,
        help="seconds to wait for the scheduler (default: 10)",
    )
    _progress_option(sw)

    rb = sub.add_parser(
        "robustness", help="molecular noise, perturbed rate constants, chemical clock studies"
    )
    rb.add_argument("action", choices=["noise", "rates", "clock"], help="the study")
    rb.add_argument("circuit", help=", ".join(_circuits()))
    rb.add_argument("--out", required=True, type=Path, help="directory for report and plots")
    rb.add_argument("--data", type=Path, help="training CSV (default: built-in data)")
    rb.add_argument("--test", type=Path, help="test CSV (needed with --data)")
    rb.add_argument("--target", default="y", help="target column (default: y)")
    rb.add_argument("--epochs", type=_number("--epochs", integer=True), help="passes over the data")
    rb.add_argument(
        "--annihilation", type=_number("--annihilation"), help="annihilation rate (default 1)"
    )
    rb.add_argument(
        "--molecules", default="10,100,1000,10000", help="noise: molecule counts per unit"
    )
    rb.add_argument(
        "--runs", type=_number("--runs", integer=True), default=8, help="runs per setting"
    )
    rb.add_argument(
        "--naive-runs",
        type=_number("--naive-runs", integer=True),
        default=0,
        help="noise: also run the one SBML model with events under Gillespie, this many seeds",
    )
    rb.add_argument("--no-timing", action="store_true", help="noise: skip the event timing")
    rb.add_argument("--sigma", default="0.05,0.1,0.2", help="rates: sigmas of ln(factor)")
    rb.add_argument(
        "--no-sensitivity", action="store_true", help="rates: skip the per-reaction ranking"
    )
    rb.add_argument(
        "--clock",
        choices=["events", "chemical"],
        default="events",
        help="rates: perturb the event-gated or the chemical-clock circuit",
    )
    rb.add_argument("--seed", type=_number("--seed", integer=True), default=0)
    rb.add_argument("--workers", type=_number("--workers", integer=True), help="processes")
    _progress_option(rb)
    return parser


_DISPLAYS: list[Any] = []  # progress displays of this command, closed when it ends


def _progress(quiet: bool, mode: str = "auto"):
    """The command's progress display on stderr (:class:`sbmlcrn.training.progress.Progress`): a
    live
    bar on a terminal, status lines only in a log; ``--quiet`` turns it off."""
    from sbmlcrn.training.progress import Progress

    if quiet or mode == "none":
        return None
    display = Progress(mode)
    _DISPLAYS.append(display)
    return display


def _progress_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    p.add_argument(
        "--progress",
        choices=["auto", "bar", "lines", "none"],
        default="auto",
        help="progress display: a live bar (default on a terminal), plain per-epoch lines, "
        "or none; 'auto' writes only status lines when stderr is not a terminal",
    )


def _circuits() -> list[str]:
    from sbmlcrn.training.pipeline import CIRCUITS

    return list(CIRCUITS)


def _train_config(args: argparse.Namespace):
    """The circuit's config from the command line (unset options keep the circuit default)."""
    from sbmlcrn.circuits.linear import LinearConfig
    from sbmlcrn.circuits.nonlinear import NonlinearConfig
    from sbmlcrn.training.pipeline import circuit_kind

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


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C during training, with what was kept (the message of ``error: …``)."""


def _checkpointing(args: argparse.Namespace, read_csv, train, save_run):
    """``read_csv``, ``train`` and ``save_run`` of ``sbmlcrn train``, wrapped for checkpoints.

    The training data are read with the row limit of one model; the simulation stores its
    state after every epoch in ``.<out>.checkpoint`` beside ``--out`` (with the command line,
    for ``--resume DIR`` alone); the checkpoint is removed once the run is saved or has failed
    for good (a simulation or input error), and kept after Ctrl-C or an OS error (a full disk),
    so that ``--resume`` continues the run.
    """
    from sbmlcrn.training.checkpoint import CheckpointStore, checkpoint_dir
    from sbmlcrn.training.pipeline import MAX_DATA_VALUES

    variant = args.stochastic or args.molecules is not None or args.clock != "events"
    if args.resume is not None:
        if variant:
            raise InputError(
                "--resume continues deterministic runs with the event clock; --stochastic, "
                "--molecules and --clock chemical runs cannot be resumed."
            )
        if Path(args.resume).resolve() != Path(args.out).resolve():
            raise InputError(
                f"--resume {args.resume} and --out {args.out} differ; --resume takes the --out "
                "of the interrupted run."
            )
    store = CheckpointStore(checkpoint_dir(args.out), resume=args.resume is not None)
    raw = getattr(args, "raw_argv", None)
    command = _absolute_train_argv(raw) if raw is not None else None

    def read(path, **kw):
        if path == args.data:
            kw.setdefault("max_rows", MAX_DATA_VALUES // 2)
        return read_csv(path, **kw)

    def run_training(*a, **kw):
        if command is not None:
            store.command = command
        if store.resume:
            say = _progress(args.quiet, args.progress)
            if say is not None:
                say(f"resuming from the checkpoint in {store.path}")
        try:
            return train(*a, checkpoint=store, **kw)
        except KeyboardInterrupt:
            if not store.exists():
                store.clear()
                raise _Interrupted("interrupted; no output was written") from None
            raise _Interrupted(
                f"interrupted after epoch {store.completed}/{store.total} was simulated; no "
                f"output was written; continue with: sbmlcrn train --resume {args.out}"
            ) from None
        except SbmlcrnError as exc:
            if not (store.resume and isinstance(exc, InputError)):
                store.clear()  # the same run would fail the same way: nothing to resume
            raise

    def save(run, out, **kw):
        target = save_run(run, out, **kw)
        store.clear()
        return target

    return read, run_training, save


_TRAIN_PATH_OPTIONS = ("--data", "--test", "--out", "--resume")


def _absolute_train_argv(argv: Sequence[str]) -> list[str]:
    """``argv`` with the path options made absolute and ``--resume`` dropped (the command
    line ``--resume DIR`` alone replays)."""
    out: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        a = items[i]
        name, eq, value = a.partition("=")
        if name in _TRAIN_PATH_OPTIONS and eq:
            if name != "--resume":
                out.append(f"{name}={Path(value).resolve()}")
            i += 1
            continue
        if a in _TRAIN_PATH_OPTIONS and i + 1 < len(items):
            if a != "--resume":
                out += [a, str(Path(items[i + 1]).resolve())]
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def _resume_argv(argv: list[str]) -> list[str]:
    """``train --resume DIR`` (optionally with ``--quiet`` or ``--progress``) alone becomes the
    interrupted run's own command line plus ``--resume DIR``; any other command line is
    returned as is."""
    if not argv or argv[0] != "train":
        return argv
    resume = None
    rest: list[str] = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--resume" and i + 1 < len(argv):
            resume, i = argv[i + 1], i + 2
            continue
        if a.startswith("--resume="):
            resume, i = a.partition("=")[2], i + 1
            continue
        if a == "--progress" and i + 1 < len(argv):
            rest += [a, argv[i + 1]]
            i += 2
            continue
        if a == "--quiet" or a.startswith("--progress="):
            rest.append(a)
            i += 1
            continue
        return argv  # any other option or argument: the full command line was given
    if resume is None:
        return argv
    from sbmlcrn.training.checkpoint import CheckpointStore, checkpoint_dir

    store = CheckpointStore(checkpoint_dir(resume))
    try:
        saved = store.read_json("command.json")
        if not (isinstance(saved, list) and saved and all(isinstance(a, str) for a in saved)):
            raise InputError(f"{store.path / 'command.json'}: is not a saved command line.")
    except InputError as exc:
        sys.stderr.write(
            f"error: --resume {resume}: no interrupted run to resume ({exc}); give the run's "
            "full command line with --resume, or run it afresh.\n"
        )
        raise SystemExit(2) from None
    return [*saved, *rest, "--resume", resume]


def _cmd_train(args: argparse.Namespace) -> int:
    from sbmlcrn.core.data import read_csv
    from sbmlcrn.training.pipeline import check_out_dir, circuit_task, save_run, train

    read_csv, train, save_run = _checkpointing(args, read_csv, train, save_run)

    if args.stochastic or args.molecules is not None or args.clock != "events":
        from sbmlcrn.studies.robustness import cmd_train_variant

        if args.engine != "events":
            raise InputError(
                f"--engine {args.engine} drives the deterministic event-clock model; "
                "--stochastic and --clock chemical have their own drivers: leave --engine out."
            )

        return cmd_train_variant(args, _train_config(args), _progress(args.quiet, args.progress))
    circuit_task(args.circuit)
    check_out_dir(args.out)
    config = _train_config(args)
    data = read_csv(args.data, target=args.target, min_rows=2)
    test = read_csv(args.test, target=args.target) if args.test is not None else None
    display = _progress(args.quiet, args.progress)
    run = train(args.circuit, data, test=test, config=config, progress=display, engine=args.engine)
    out = save_run(run, args.out)
    print_training_summary(args.circuit, run, len(data), out)
    return 0


def print_training_summary(
    circuit: str,
    run: Any,
    n_samples: int,
    out: Path,
    *,
    how: str = "",
    deviation: str = "max |CRN - reference|",
) -> None:
    """The lines ``train`` prints on stdout: parameters, deviation, loss, test metric."""
    cfg = run.circuit.config
    trained = f"trained {circuit} {how}" if how else f"trained {circuit}"
    print(f"{trained} on {n_samples} samples x {cfg.epochs} epochs")
    print(f"  learning rate {cfg.lr:.6g}, horizon {cfg.horizon:g}")
    for name, value in run.parameters.items():
        print(f"  theta[{name}] = {value:.10g}")
    print(f"  {deviation} = {run.max_abs_deviation:.3g}")
    print(f"  final epoch training loss = {run.train_loss[-1]:.6g}")
    if run.test is not None:
        for key, value in run.test.items():
            if key != "n":
                print(f"  test {key} = {value:.6g} (n = {int(run.test['n'])})")
    print(f"wrote {out}/ (model.xml, model.ant, result.json, plots)")


def _cmd_predict(args: argparse.Namespace) -> int:
    from sbmlcrn.core.data import read_csv
    from sbmlcrn.training.pipeline import load_model, predict

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
        from sbmlcrn.io.sbml import write_atomic

        write_atomic(args.out, buf.getvalue())
        print(f"wrote {len(preds)} predictions to {args.out}")
    return 0


def _cmd_export_inference(args: argparse.Namespace) -> int:
    from sbmlcrn.io.sbml import write_atomic
    from sbmlcrn.training.pipeline import load_model

    model = load_model(args.run)
    write_atomic(args.output, model.inference_sbml())
    print(
        f"wrote {args.output}: set x<i>_p/x<i>_m to the loaded input's rails, simulate to "
        f"t = {model.config.horizon:g}, read yhat_p - yhat_m"
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    import json

    from sbmlcrn.validation import junit_xml, validate_file

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
        from sbmlcrn.io.sbml import write_atomic

        write_atomic(args.junit, junit_xml(reports))
    return 0 if all(r.ok for r in reports) else 1


def _cmd_crosscheck(args: argparse.Namespace) -> int:
    import json

    from sbmlcrn.io.copasi import crosscheck

    if args.tolerance is not None and args.tolerance <= 0:
        raise InputError(f"--tolerance must be positive. Got {args.tolerance:g}.")
    if args.timeout <= 0:
        raise InputError(f"--timeout must be positive. Got {args.timeout:g}.")
    report = crosscheck(args.run, tolerance=args.tolerance, timeout=args.timeout)
    print(json.dumps(report.to_dict(), indent=2) if args.json else report.format_text())
    return 0 if report.ok else 1


def _cmd_export(args: argparse.Namespace) -> int:
    if args.format == "copasi":
        from sbmlcrn.io.copasi import export_copasi

        out = export_copasi(args.run, args.output)
        print(f"wrote {out}: open it in COPASI and run the Time-Course task")
        return 0
    try:
        from sbmlcrn.io.omex import write_omex
    except ModuleNotFoundError as exc:
        if exc.name != "sbmlcrn.io.omex":
            raise
        raise InputError("--format omex is not available in this version of sbmlcrn.") from None
    out = write_omex(args.run, args.output)
    print(f"wrote {out}")
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    import json

    from sbmlcrn.training.stats import circuit_stats, format_stats

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
    from sbmlcrn.studies.reproduce import format_table, run_reproduce

    rows = run_reproduce(
        quick=args.quick,
        out=args.out,
        progress=_progress(False),
        seeds=args.seeds,
        only=tuple(args.only) if args.only else None,
        workers=args.workers,
        studies=False if args.no_studies else None,
    )
    print(format_table(rows))
    if args.out is not None:
        print(f"wrote {args.out}/report.md")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from sbmlcrn.core.data import read_csv
    from sbmlcrn.studies.sweep import check_sweep_out, parse_grid, run_sweep
    from sbmlcrn.training.pipeline import circuit_task

    circuit_task(args.circuit)
    check_sweep_out(args.out)
    if args.dask is not None and args.workers is not None:
        raise InputError(
            "--workers is for local processes; with --dask the cluster's workers run the grid."
        )
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1. Got {args.workers}.")
    if args.dask_timeout <= 0:
        raise InputError(f"--dask-timeout must be positive. Got {args.dask_timeout:g}.")
    grid = parse_grid(args.circuit, args.grid)
    data = read_csv(args.data, target=args.target, min_rows=2)
    test = read_csv(args.test, target=args.target) if args.test is not None else None
    result = run_sweep(
        args.circuit,
        data,
        grid,
        args.out,
        test=test,
        workers=args.workers,
        dask=args.dask,
        dask_timeout=args.dask_timeout,
        progress=_progress(args.quiet, args.progress),
    )
    failed = len(result.rows) - len(result.ok_rows)
    print(
        f"swept {args.circuit}: {len(result.rows)} runs ({failed} failed) in "
        f"{result.elapsed_s:.1f} s on {result.backend} ({result.workers} workers)"
    )
    best = result.best()
    if best is not None:
        metric = result.metric.replace("_", " ")
        print(f"  best {metric} = {best[result.metric]:.6g} ({result.label(best)})")
    print(f"wrote {result.out}/ (results.csv, results.md, sweep.json, metric.png)")
    return 0


def _cmd_robustness(args: argparse.Namespace) -> int:
    from sbmlcrn.studies.robustness import cmd_robustness

    return cmd_robustness(args, _progress(args.quiet, args.progress))


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


def _check_ranges(args: argparse.Namespace) -> None:
    """Refuse numeric options beyond their upper bounds (:data:`_UPPER_BOUNDS`) and, for
    ``stats``, input counts whose network would not fit in memory."""
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
    if isinstance(epochs, int) and epochs > 1_000_000:
        raise InputError(
            f"--epochs {float(epochs):g} is too large; one model holds at most 1,000,000 "
            "training steps (samples x epochs)."
        )
    if args.command == "stats":
        from sbmlcrn.circuits.nonlinear import NonlinearConfig
        from sbmlcrn.training.pipeline import circuit_kind, default_config, estimated_reactions

        circuit_kind(args.circuit)  # an unknown circuit: did-you-mean
        config = default_config(args.circuit)
        if isinstance(config, NonlinearConfig):
            config = NonlinearConfig(gradient=args.gradient, nonlinearity=args.nonlinearity)
        for d in args.inputs:
            if d > 100_000:
                raise InputError(f"--inputs {float(d):g} is too large; at most 100000.")
            if d >= 1 and estimated_reactions(args.circuit, d, config, args.classes) > 200_000:
                raise InputError(
                    f"--inputs {float(d):g} would make a {args.circuit} network of about "
                    f"{float(estimated_reactions(args.circuit, d, config, args.classes)):.3g} "
                    "reactions; stats builds networks of at most 200,000."
                )


_COMMANDS = {
    "sweep": _cmd_sweep,
    "train": _cmd_train,
    "predict": _cmd_predict,
    "export-inference": _cmd_export_inference,
    "validate": _cmd_validate,
    "stats": _cmd_stats,
    "reproduce": _cmd_reproduce,
    "crosscheck": _cmd_crosscheck,
    "export": _cmd_export,
    "robustness": _cmd_robustness,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = _resume_argv(list(sys.argv[1:] if argv is None else argv))
    parser = _build_parser()
    args = parser.parse_args(argv)
    args.raw_argv = list(argv)
    try:
        try:
            _check_ranges(args)
            return _COMMANDS[args.command](args)
        finally:
            while _DISPLAYS:
                _DISPLAYS.pop().close()
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
    except _Interrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("error: interrupted; no output was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
