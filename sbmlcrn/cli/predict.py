"""``sbmlcrn predict`` and ``sbmlcrn export-inference``: use a trained run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sbmlcrn.cli._common import Command, Subparsers, column_options

__all__ = [
    "COMMANDS",
    "add_export_inference_parser",
    "add_predict_parser",
    "run_export_inference",
    "run_predict",
]


def add_predict_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn predict`` to ``sub`` and return it."""
    p = sub.add_parser("predict", help="predict with a trained run's inference network")
    p.add_argument("run", type=Path, help="run directory written by 'sbmlcrn train'")
    p.add_argument(
        "--data",
        required=True,
        type=Path,
        help="CSV with the run's input columns (found by name; other columns, text too, are "
        "written back as they are)",
    )
    p.add_argument("--out", type=Path, help="CSV to write (default: stdout)")
    column_options(p, what="output")
    return p


def add_export_inference_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn export-inference`` to ``sub`` and return it."""
    e = sub.add_parser("export-inference", help="write a run's forward-only inference network")
    e.add_argument("run", type=Path)
    e.add_argument("-o", "--output", required=True, type=Path, help="SBML file (.xml) to write")
    e.add_argument(
        "--rails",
        action="store_true",
        help="write the bare forward network (inputs and output on standardised rails) instead "
        "of the model that takes inputs and gives the prediction in the data's units",
    )
    e.add_argument(
        "--no-minimise",
        action="store_true",
        help="keep the reactions that can never fire (by default they are left out; "
        "predictions are the same)",
    )
    return e


def run_predict(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn predict``: the predictions as CSV on stdout or in ``--out`` (a classifier
    trained on text labels predicts those labels)."""
    from sbmlcrn.training.predictions import predict_table
    from sbmlcrn.training.store import load_model

    result = predict_table(load_model(args.run), args.data, features=args.features, drop=args.drop)
    if args.out is None:
        sys.stdout.write(result.to_csv())
    else:
        result.write(args.out)
        print(f"wrote {len(result)} predictions to {args.out}")
    return 0


def run_export_inference(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn export-inference``: write the run's inference network as SBML."""
    from sbmlcrn.io.atomic import write_atomic
    from sbmlcrn.training.store import load_model

    model = load_model(args.run)
    if args.rails:
        from sbmlcrn.core.minimise import minimise
        from sbmlcrn.io.sbml import to_sbml
        from sbmlcrn.training.model import input_rails

        net = model.inference_network()
        if not args.no_minimise:
            net = minimise(net, free=input_rails(model, net))[0]
        write_atomic(args.output, to_sbml(net))
        print(
            f"wrote {args.output}: set x<i>_p/x<i>_m to the loaded input's rails, simulate to "
            f"t = {model.config.horizon:g}, read yhat_p - yhat_m"
        )
        return 0
    from sbmlcrn.core.network import Role
    from sbmlcrn.io.record import read_record
    from sbmlcrn.io.sbml import to_sbml
    from sbmlcrn.training.inference_export import raw_inference_network

    target = read_record(args.run).target
    network = raw_inference_network(model, target, minimised=not args.no_minimise)
    write_atomic(args.output, to_sbml(network))
    inputs = [p.id for p in network.parameters if p.role is Role.INPUT]
    what = "in the target's units" if model.task == "regression" else "the class label"
    print(
        f"wrote {args.output}: set the inputs ({', '.join(inputs)}), simulate from 0 to t_end "
        f"= {model.config.horizon:g} and read prediction ({what})"
    )
    return 0


COMMANDS = {
    "predict": Command(add_predict_parser, run_predict),
    "export-inference": Command(add_export_inference_parser, run_export_inference),
}
