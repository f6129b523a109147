"""``sbmlcrn export`` and ``sbmlcrn stats``: a run in other formats, a circuit's size."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sbmlcrn.cli._common import CIRCUIT_HELP, Command, Subparsers, number
from sbmlcrn.errors import InputError

__all__ = ["COMMANDS", "add_export_parser", "add_stats_parser", "run_export", "run_stats"]

#: The ``--format dsd`` options and their defaults (any other value with another format is an
#: error); the defaults are those of :func:`sbmlcrn.training.dsd_export.export_dsd`.
DSD_DEFAULTS = {
    "data": None,
    "leak": 0.0,
    "excess": 100.0,
    "unit_nm": 10.0,
    "scheme": "soloveichik2010",
}


def add_export_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn export`` to ``sub`` and return it."""
    x = sub.add_parser("export", help="write a run as a COPASI file or a COMBINE archive")
    x.add_argument("run", type=Path, help="run directory written by 'sbmlcrn train'")
    x.add_argument(
        "--format",
        required=True,
        choices=["copasi", "omex", "dsd"],
        help="file format (dsd: a DNA strand displacement design, verified; needs sbmlcrn[dsd])",
    )
    x.add_argument(
        "-o", "--output", required=True, type=Path, help="file to write (dsd: a directory)"
    )
    d = x.add_argument_group("DNA strand displacement (--format dsd)")
    d.add_argument(
        "--data",
        type=Path,
        help="CSV with the model's input columns: size the fuels from it and compare dsd.xml "
        "with the formal inference network on every row",
    )
    d.add_argument(
        "--scheme",
        default=DSD_DEFAULTS["scheme"],
        help="translation scheme (default and, so far, only: soloveichik2010)",
    )
    d.add_argument(
        "--excess",
        type=number("--excess"),
        default=DSD_DEFAULTS["excess"],
        help="fuel excess over the largest formal concentration (default: 100)",
    )
    d.add_argument(
        "--unit-nm",
        type=number("--unit-nm"),
        default=DSD_DEFAULTS["unit_nm"],
        help="nM per formal concentration unit (default: 10)",
    )
    d.add_argument(
        "--leak",
        type=number("--leak"),
        default=DSD_DEFAULTS["leak"],
        help="leak rate constant of every gate-translator pair in /M/s (default: 0, off)",
    )
    return x


def add_stats_parser(sub: Subparsers) -> argparse.ArgumentParser:
    """Add the parser of ``sbmlcrn stats`` to ``sub`` and return it."""
    st = sub.add_parser("stats", help="size of a circuit's training network for D inputs")
    st.add_argument("circuit", help=CIRCUIT_HELP)
    st.add_argument(
        "--inputs",
        type=number("--inputs", integer=True),
        nargs="+",
        default=[2],
        help="number(s) of input features D (default: 2)",
    )
    st.add_argument("--classes", type=number("--classes", integer=True), default=3)
    st.add_argument(
        "--design",
        choices=["products", "node"],
        default=None,
        help="nonlinear circuits: product units (default) or the paper's Neural ODE",
    )
    st.add_argument("--gradient", choices=["exact", "first-order", "linapprox"], default="exact")
    st.add_argument("--nonlinearity", choices=["quadratic", "cubic"], default="quadratic")
    st.add_argument(
        "--minimise",
        action="store_true",
        help="also the species and reactions left after removing what can never fire",
    )
    st.add_argument("--json", action="store_true", help="print JSON")
    return st


def run_export(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn export``: write the run as a COPASI file, an OMEX archive or DNA."""
    dsd_only = [o for o, d in DSD_DEFAULTS.items() if getattr(args, o) != d]
    if args.format != "dsd" and dsd_only:
        raise InputError(f"--{dsd_only[0].replace('_', '-')} applies to --format dsd only.")
    if args.format == "copasi":
        from sbmlcrn.io.copasi import export_copasi

        out = export_copasi(args.run, args.output)
        print(f"wrote {out}: open it in COPASI and run the Time-Course task")
        return 0
    if args.format == "dsd":
        return _run_export_dsd(args)
    try:
        from sbmlcrn.io.omex import write_omex
    except ModuleNotFoundError as exc:
        if exc.name != "sbmlcrn.io.omex":
            raise
        raise InputError("--format omex is not available in this version of sbmlcrn.") from None
    out = write_omex(args.run, args.output)
    print(f"wrote {out}")
    return 0


def _run_export_dsd(args: argparse.Namespace) -> int:
    """``--format dsd``: compile the run's inference network to DNA, enumerate and verify it."""
    from sbmlcrn.io.dsd import require_tools

    require_tools("--format dsd")  # at once, not after loading the run
    from sbmlcrn.training.dsd_export import export_dsd

    out, report = export_dsd(
        args.run,
        args.output,
        data=args.data,
        scheme=args.scheme,
        excess=args.excess,
        unit_nM=args.unit_nm,
        leak=args.leak,
    )
    c = report["counts"]
    print(
        f"wrote {out}: verified {str(report['verified']).lower()} ({report['method']}); "
        f"{c['formal_reactions']} formal -> {c['implementation_reactions']} implementation "
        f"reactions, {c['domains']} domains, {c['strands']} strands, "
        f"{c['fuel_complexes']} fuel complexes"
    )
    a = report.get("agreement")
    if a:
        print(
            f"agreement with the formal network on {a['n']} rows: {a['metric']} = "
            f"{a['value']:.4g} (read-out after {a['readout_s'] / 3600:.3g} h)"
        )
    return 0 if report["verified"] else 1


def run_stats(args: argparse.Namespace) -> int:
    """Run ``sbmlcrn stats``: the network sizes as a table or JSON."""
    from sbmlcrn.training.limits import check_stats_inputs
    from sbmlcrn.training.stats import circuit_stats, format_stats

    check_stats_inputs(
        args.circuit,
        args.inputs,
        gradient=args.gradient,
        nonlinearity=args.nonlinearity,
        classes=args.classes,
        design=args.design,
    )

    rows = [
        circuit_stats(
            args.circuit,
            d,
            gradient=args.gradient,
            nonlinearity=args.nonlinearity,
            classes=args.classes,
            design=args.design,
            minimise=args.minimise,
        )
        for d in args.inputs
    ]
    print(json.dumps(rows, indent=2) if args.json else format_stats(rows))
    return 0


COMMANDS = {
    "export": Command(add_export_parser, run_export),
    "stats": Command(add_stats_parser, run_stats),
}
