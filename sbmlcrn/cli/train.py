"""``sbmlcrn train``: its options, its handler, and the command line of ``--resume``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sbmlcrn.cli._common import (
    CIRCUIT_HELP,
    Command,
    Interrupted,
    Subparsers,
    check_labels,
    column_options,
    number,
    progress,
    progress_option,
)
from sbmlcrn.cli.summary import print_training_summary
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.io.atomic import resolve_path

if TYPE_CHECKING:
    from sbmlcrn.training.resume import TrainingInterrupted

__all__ = ["COMMANDS", "add_train_parser", "resume_argv", "run_train", "train_config"]


#: Options of the paper's Neural ODE circuits (``--design node``) and their defaults.
_NODE_OPTIONS = {
    "gradient": "exact",
    "nonlinearity": "quadratic",
    "square": "signed",
    "degradation": None,
    "init_scale": 0.1,
    "init_dist": "normal",
    "class_values": None,
    "augmentation": None,
    "no_offset": False,
}
#: Options of the product-unit circuits (the default design of the nonlinear circuits).
_PRODUCT_OPTIONS = ("loss", "degree")


def _add_nonlinear_options(t: argparse.ArgumentParser) -> None:
    p = t.add_argument_group("nonlinear circuits: product units (the default design)")
    p.add_argument(
        "--design",
        choices=["products", "node"],
        default=None,
        help="product units with a trained readout (products, the default) or the paper's "
        "Neural ODE circuits (node; the options of the next group)",
    )
    p.add_argument(
        "--loss",
        choices=["squared", "squared-hinge"],
        default=None,
        help="training loss (default: squared for regression, squared-hinge for classes)",
    )
    p.add_argument(
        "--degree",
        type=number("--degree", integer=True),
        default=None,
        help="2: products of every pair of inputs (default); 1: the inputs alone",
    )
    n = t.add_argument_group("nonlinear circuits: the paper's Neural ODE (--design node)")
    n.add_argument(
        "--gradient",
        choices=["exact", "first-order", "linapprox"],
        default="exact",
        help="chemical adjoint (exact), the paper's first-order approximation, or the "
        "authors' quadratic-classifier backward (linapprox: z reversed linearly, the adjoint "
        "run for --backward time units)",
    )
    n.add_argument(
        "--nonlinearity",
        choices=["quadratic", "cubic"],
        default="quadratic",
        help="-c z^2 (bimolecular, default) or -c z^3 (needs trimolecular reactions)",
    )
    n.add_argument(
        "--degradation",
        type=number("--degradation"),
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
        type=number("--init-scale"),
        default=0.1,
        help="standard deviation of the random initial parameters",
    )
    n.add_argument(
        "--init-dist",
        choices=["normal", "half-normal"],
        default="normal",
        help="initial parameters drawn from N(0, s^2) or |N(0, s^2)| (the authors')",
    )
    n.add_argument(
        "--class-values",
        type=number("--class-values"),
        nargs=2,
        metavar=("LO", "HI"),
        help="targets of labels 0 and 1 (default: -1 1 linear, 0 1 nonlinear)",
    )


def _add_variant_options(t: argparse.ArgumentParser) -> None:
    sc = t.add_argument_group("stochastic training and the chemical clock")
    sc.add_argument(
        "--stochastic",
        action="store_true",
        help="Gillespie SSA with --molecules per unit, driven phase by phase to the event times",
    )
    sc.add_argument(
        "--molecules",
        type=number("--molecules", integer=True),
        help="molecules per unit of concentration (with --stochastic; default 10000)",
    )
    sc.add_argument(
        "--ssa-seed",
        type=number("--ssa-seed", integer=True),
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
        type=number("--clock-species", integer=True),
        default=4,
        help="species in the chemical clock's ring (default 4)",
    )
    sc.add_argument(
        "--clock-floor",
        type=number("--clock-floor"),
        default=1e-4,
        help="chemical clock amplification floor delta/S (default 1e-4)",
    )
    sc.add_argument(
        "--free-running",
        action="store_true",
        help="do not re-arm the chemical clock at each sample load",
    )


def add_train_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn train`` to ``sub`` and return it."""
    t = sub.add_parser("train", help="compile a circuit for the data, train it by simulation")
    t.add_argument("circuit", help=CIRCUIT_HELP)
    t.add_argument("--data", required=True, type=Path, help="training CSV (header row)")
    t.add_argument("--test", type=Path, help="test CSV with the same columns")
    t.add_argument("--target", default="y", help="target column (default: y)")
    column_options(t)
    t.add_argument(
        "--epochs",
        type=number("--epochs", integer=True),
        help="passes over the data (default: 20 linear, 30 node; product units: about 10,000 "
        "updates, 30 to 100 epochs)",
    )
    t.add_argument("--lr", type=number("--lr"), help="learning rate (default: from the data)")
    t.add_argument(
        "--horizon",
        type=number("--horizon"),
        help="forward time T (default: 1; 0.5 node)",
    )
    t.add_argument(
        "--backward",
        type=number("--backward"),
        help="backward-phase time (default: T); with --gradient linapprox, how long the "
        "backward ODE runs",
    )
    t.add_argument("--seed", type=number("--seed", integer=True), default=0)
    t.add_argument(
        "--batch-size",
        type=number("--batch-size", integer=True),
        default=None,
        help="samples per SGD step, run side by side in one forward phase (default 1; linear "
        "circuits and product units)",
    )
    t.add_argument(
        "--annihilation",
        type=number("--annihilation"),
        default=None,
        help="rate of v_p + v_m -> 0 (default: 1; 100 for the product units' margin)",
    )
    t.add_argument(
        "--annihilate",
        choices=("always", "forward"),
        default=None,
        help="when the linear circuits' rails annihilate: always (the authors' circuit, the "
        "default at batch size 1) or in the forward phase only (the default of mini-batches)",
    )
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
        type=number("--augmentation"),
        default=None,
        help="value of the constant input (default: 1)",
    )
    _add_nonlinear_options(t)
    t.add_argument("--out", required=True, type=Path, help="run directory to write")
    t.add_argument(
        "--engine",
        choices=["events", "phases"],
        default="events",
        help="simulate the one SBML model with its events (default), or drive its event-free "
        "network phase by phase on one loaded model (same parameters; faster with many "
        "samples; no --resume)",
    )
    progress_option(t)
    t.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="continue the interrupted run that was writing to DIR from its last simulated "
        "epoch (alone: 'sbmlcrn train --resume DIR', or with the run's unchanged options)",
    )
    _add_variant_options(t)
    return t


def _given(args: argparse.Namespace, names: Any, defaults: dict[str, Any] | None = None) -> list:
    """The options among ``names`` that the command line set (not at their defaults)."""
    defaults = defaults or {}
    given = []
    for n in names:
        value = getattr(args, n, None)
        if value is None or value is False or (n in defaults and value == defaults[n]):
            continue
        given.append("--" + n.replace("_", "-"))
    return given


def train_config(args: argparse.Namespace) -> Any:
    """The circuit's config from the command line (unset options keep the circuit default).

    An option of another design than the one chosen is refused, naming the option and the
    design it belongs to (``--square`` without ``--design node``, ``--loss`` with it).
    """
    from sbmlcrn.circuits.registry import circuit_kind, circuit_spec

    common = {"lr": args.lr, "seed": args.seed, "backward": args.backward}
    common["standardize"] = not args.no_standardize
    for key in ("horizon", "epochs", "annihilation"):
        if getattr(args, key) is not None:
            common[key] = getattr(args, key)
    kind = circuit_kind(args.circuit)
    design = args.design or ("linear" if kind == "linear" else "products")
    if kind == "linear" and args.design is not None:
        raise InputError(f"--design applies to the nonlinear circuits, not {args.circuit}.")
    node_given = _given(args, _NODE_OPTIONS, _NODE_OPTIONS)
    if design == "linear" and args.standardize_target is not None:
        node_given.append(
            "--standardize-target" if args.standardize_target else "--no-standardize-target"
        )
    product_given = _given(args, _PRODUCT_OPTIONS)
    wrong = [o for o in node_given if o not in ("--augmentation", "--no-offset", "--class-values")]
    if design == "products":
        wrong = node_given
    if design in ("linear", "products") and wrong:
        where = "nonlinear circuits" if design == "linear" else "--design node"
        raise InputError(
            f"{', '.join(wrong)} only apply to {where}, not {args.circuit}"
            f"{'' if design == 'linear' else ' with product units'}."
        )
    if args.batch_size is not None and design == "node":
        raise InputError(
            "--batch-size applies to the linear circuits and the product units (so far), "
            f"not {args.circuit} with --design node."
        )
    if design != "products" and product_given:
        raise InputError(
            f"{', '.join(product_given)} only apply to the product units (the default design "
            f"of the nonlinear circuits), not {args.circuit}"
            + ("." if design == "linear" else " with --design node.")
        )
    cls = circuit_spec(args.circuit).family_for(None if kind == "linear" else design).config_class
    options = dict(common)
    if design != "node" and args.batch_size is not None:
        options["batch_size"] = args.batch_size
    if args.annihilate is not None:
        if design != "linear":
            raise InputError(f"--annihilate applies to the linear circuits, not {args.circuit}.")
        options["annihilate"] = args.annihilate
    if design in ("linear", "node"):
        options["augmentation"] = (
            None if args.no_offset else 1.0 if args.augmentation is None else args.augmentation
        )
        if args.class_values is not None:
            options["class_values"] = tuple(args.class_values)
    if design == "products":
        options.update(
            {k: getattr(args, k) for k in _PRODUCT_OPTIONS if getattr(args, k) is not None}
        )
        options["design"] = "products"
        if args.standardize_target is not None:
            options["standardize_target"] = args.standardize_target
    if design == "node":
        options.update({k: getattr(args, k) for k in _NODE_OPTIONS if k not in _NOT_FIELDS})
        options["standardize_target"] = args.standardize_target
        options["design"] = "node"
    return cls(**options)


#: Entries of :data:`_NODE_OPTIONS` that are not config fields (handled above).
_NOT_FIELDS = ("class_values", "augmentation", "no_offset")


def _is_variant(args: argparse.Namespace) -> bool:
    """Whether the run is stochastic or uses the chemical clock (the other drivers)."""
    return bool(args.stochastic or args.molecules is not None or args.clock != "events")


def run_train(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn train``: read the data, train, save the run, print its summary."""
    from sbmlcrn.circuits.registry import circuit_task
    from sbmlcrn.core.data import read_csv, read_test
    from sbmlcrn.training.limits import MAX_TRAINING_ROWS
    from sbmlcrn.training.plots import PlotWorker
    from sbmlcrn.training.resume import CheckpointedRun, TrainingInterrupted
    from sbmlcrn.training.store import check_out_dir

    for option, path in (("--data", args.data), ("--test", args.test), ("--out", args.out)):
        if path is not None:
            resolve_path(path, option=option)  # a link loop is an InputError, not a traceback
    if args.resume is not None:
        resolve_path(args.resume, option="--resume")
    raw = getattr(args, "raw_argv", None)
    checkpointed = CheckpointedRun(
        args.out,
        resume=args.resume,
        command=_absolute_train_argv(raw) if raw is not None else None,
        # stochastic, chemical-clock and phases runs keep none (--resume is for events runs)
        checkpoint=not _is_variant(args) and args.engine == "events",
    )
    options, how, deviation = _engine_options(args)
    task = circuit_task(args.circuit)
    check_out_dir(args.out)
    checkpointed.claim()  # a second run to the same --out is refused now, before any work
    try:
        config = train_config(args)
        data = read_csv(
            args.data,
            target=args.target,
            min_rows=2,
            max_rows=MAX_TRAINING_ROWS if checkpointed.enabled else None,  # one model's rows
            features=args.features,
            drop=args.drop,
            labels=task != "regression",  # text class labels, mapped in sorted order
        )
        check_labels(args.circuit, task, data)
        test = read_test(args.test, data) if args.test is not None else None
    except BaseException as exc:
        checkpointed.release()
        hint = _phases_hint(exc) if checkpointed.enabled else None
        if hint is not None:
            raise hint from None
        raise
    display = progress(args.quiet, args.progress)
    if checkpointed.resuming:
        say = progress(args.quiet, args.progress)
        if say is not None:
            say(f"resuming from the checkpoint in {checkpointed.path}")
    with PlotWorker.start() as plots:  # loads matplotlib in a second process meanwhile
        try:
            run = checkpointed.train(
                args.circuit, data, test=test, config=config, progress=display, **options
            )
        except TrainingInterrupted as exc:
            raise Interrupted(_interrupted(exc, args.out)) from None
        out = checkpointed.save(run, plots=plots)
    if "clock" in run.sections:
        info = run.sections["clock"]
        how += f"; +{info['extra_species']} species, +{info['extra_reactions']} reactions)"
    print_training_summary(args.circuit, run, len(data), out, how=how, deviation=deviation)
    if run.class_labels:
        named = ", ".join(f"{k} = {name}" for k, name in enumerate(run.class_labels))
        print(f"  classes of {run.target}: {named} (class_labels in result.json)")
    form = run.sections.get("model_form")  # sbmlcrn.training.transforms.FORM_SECTION
    if form is not None:
        print(
            f"model.xml is the event-free training network: {form['data_values']:,} data "
            f"values are too many for the event model (at most "
            f"{form['max_event_model_data_values']:,}); the loads of its "
            f"{form['schedule_rows']:,} samples are in {out / form['schedule_file']}"
        )
    return 0


def _phases_hint(exc: BaseException) -> DataError | None:
    """When ``exc`` refused a file of more rows than a checkpointed run reads, its message
    naming ``--engine phases``, which reads more; else None."""
    from sbmlcrn.training.limits import MAX_PHASES_DATA_VALUES, MAX_TRAINING_ROWS

    if not isinstance(exc, DataError) or f"than {MAX_TRAINING_ROWS:,} data rows" not in str(exc):
        return None
    return DataError(
        f"{exc} Or train with --engine phases (no --resume): it holds up to "
        f"{MAX_PHASES_DATA_VALUES:,} data values (samples x (inputs + 1))."
    )


def _interrupted(exc: TrainingInterrupted, out: Path) -> str:
    """The ``error: …`` message of Ctrl-C during training: what was kept, how to resume."""
    if not exc.resumable:
        return "interrupted; no output was written"
    return (
        f"interrupted after epoch {exc.completed}/{exc.total} was simulated; no output was "
        f"written; continue with: sbmlcrn train --resume {out}"
    )


def _engine_options(args: argparse.Namespace) -> tuple[dict[str, Any], str, str]:
    """The pipeline options of ``--engine``, ``--stochastic`` and ``--clock``, and how the
    summary describes them (``how`` and the deviation's label)."""
    if not _is_variant(args):
        return {"engine": args.engine}, "", "max |CRN - reference|"
    if args.engine != "events":
        raise InputError(
            f"--engine {args.engine} drives the deterministic event-clock model; "
            "--stochastic and --clock chemical have their own drivers: leave --engine out."
        )
    if args.molecules is not None and not args.stochastic:
        raise InputError("--molecules applies to stochastic training; add --stochastic.")
    if args.stochastic and args.clock != "events":
        raise InputError(
            "--stochastic drives the event schedule phase by phase; it cannot be combined "
            "with --clock chemical."
        )
    if args.stochastic:
        molecules = 10_000 if args.molecules is None else args.molecules
        if args.ssa_seed < 0:
            raise InputError(f"--ssa-seed must be >= 0. Got {args.ssa_seed}.")
        options = {"engine": "gillespie", "molecules": molecules, "seed": args.ssa_seed}
        how = f"stochastically ({molecules} molecules per unit, SSA seed {args.ssa_seed})"
        return options, how, "max |CRN - deterministic reference| (noise)"
    from sbmlcrn.circuits.chemclock import ChemicalClockConfig

    cc = ChemicalClockConfig(
        species=args.clock_species, floor=args.clock_floor, rearm=not args.free_running
    )
    how = (
        f"with a chemical clock ({cc.species}-species ring, floor {cc.floor:g}, "
        f"{'re-armed at each load' if cc.rearm else 'free-running'}"
    )
    return {"clock": "chemical", "clock_config": cc}, how, "max |CRN - reference|"


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
                out.append(f"{name}={resolve_path(value, option=name)}")
            i += 1
            continue
        if a in _TRAIN_PATH_OPTIONS and i + 1 < len(items):
            if a != "--resume":
                out += [a, str(resolve_path(items[i + 1], option=a))]
            i += 2
            continue
        out.append(a)
        i += 1
    return out


def resume_argv(argv: list[str]) -> list[str]:
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
    from sbmlcrn.training.checkpoint import saved_command

    try:
        resolve_path(resume, option="--resume")
        saved = saved_command(resume)
    except InputError as exc:
        sys.stderr.write(
            f"error: --resume {resume}: no interrupted run to resume ({exc}); give the run's "
            "full command line with --resume, or run it afresh.\n"
        )
        raise SystemExit(2) from None
    return [*saved, *rest, "--resume", resume]


COMMANDS = {"train": Command(add_train_parser, run_train)}
