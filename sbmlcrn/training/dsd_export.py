"""``sbmlcrn export RUN --format dsd``: a trained run's inference network compiled to DNA.

The run's inference network (the trained parameters as initial concentrations of their
species, :meth:`~sbmlcrn.training.model.TrainedModel.inference_network`) goes through:

1. :func:`sbmlcrn.core.minimise.minimise` with the input rails ``free`` (the user sets them per
   sample): reactions that can never fire are dropped;
2. the exact rewrites of :mod:`sbmlcrn.core.rewrite`: catalytic squares ``X + X`` of inputs
   and constants are split (their copies loaded alike), and unimolecular reactions get the
   constant species ``one`` so every gate is bimolecular with fuels in excess;
3. :func:`sbmlcrn.io.dsd_verify.build_dsd`: the Soloveichik-Seelig-Winfree 2010 translation,
   enumerated with peppercorn and verified with crnverifier;
4. with ``data``: the fuels are sized from the largest formal concentration on the data, and
   :func:`sbmlcrn.training.dsd_agreement.dsd_agreement` compares ``dsd.xml`` with the formal
   inference network row by row.

The output directory is written atomically (complete or not at all; a previous DSD export is
replaced as a whole).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.core.data import Dataset, read_csv
from sbmlcrn.core.minimise import MinimiseReport, minimise
from sbmlcrn.core.network import Network
from sbmlcrn.core.rewrite import pair_unimolecular, split_squares
from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import atomic_output_dir, check_output_dir, write_atomic
from sbmlcrn.io.dsd import SCHEME
from sbmlcrn.io.dsd_sbml import check_leak
from sbmlcrn.io.dsd_verify import build_dsd
from sbmlcrn.io.record import read_record
from sbmlcrn.training.dsd_agreement import (
    agreement_summary,
    dsd_agreement,
    formal_scale,
    plot_agreement,
)
from sbmlcrn.training.model import TrainedModel, input_rails
from sbmlcrn.training.store import load_model

__all__ = [
    "DSD_FILES",
    "SCHEMES",
    "DsdNetworks",
    "dsd_networks",
    "export_dsd",
    "is_previous_dsd",
    "read_dsd_data",
]

DSD_FILES = frozenset(
    {
        "formal.crn",
        "design.pil",
        "implementation.crn",
        "dsd.xml",
        "report.json",
        "report.md",
        "agreement.csv",
        "agreement.png",
    }
)
#: Translation schemes by name (one so far: see docs/design.md for why not a second yet).
SCHEMES = (SCHEME,)
#: The paper's size figure (notes, v2 abstract): its minimal linear regression *training*
#: circuit. The paper gives no DNA-level counts.
PAPER_MINIMAL_CIRCUIT = {"reactions": 13, "species": 15}


def is_previous_dsd(directory: Path) -> bool:
    """Whether ``directory/report.json`` is a DSD export report that sbmlcrn wrote."""
    try:
        data = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and {"scheme", "verified", "counts"} <= data.keys()


@dataclass(frozen=True)
class DsdNetworks:
    """The networks on the way from a run to DNA (:func:`dsd_networks`)."""

    inference: Network
    minimised: Network
    formal: Network
    free: tuple[str, ...]
    copies: dict[str, str]
    one: str | None
    minimise_report: MinimiseReport


def dsd_networks(model: TrainedModel) -> DsdNetworks:
    """The inference network, minimised (input rails free) and rewritten for the gates."""
    network = model.inference_network()
    free = input_rails(model, network)
    small, shrink = minimise(network, free=free)
    split, copies = split_squares(small)
    formal, one = pair_unimolecular(split)
    return DsdNetworks(network, small, formal, tuple(free), copies, one, shrink)


def read_dsd_data(model: TrainedModel, run_dir: str | os.PathLike[str], data: Any) -> Dataset:
    """Rows for the agreement: the model's inputs, and its target if the file has one."""
    return read_csv(
        data,
        target=read_record(run_dir).target,
        require_target=False,
        features=model.features,
        labels=list(model.class_labels) if model.class_labels else model.task != "regression",
    )


def _size(network: Network) -> dict[str, int]:
    return {"reactions": len(network.reactions), "species": len(network.species)}


def _agreement_csv(result: dict[str, Any]) -> str:
    f, d = np.asarray(result["formal_outputs"]), np.asarray(result["dsd_outputs"])
    k = f.shape[1]
    head = [f"formal_output_{j + 1}" for j in range(k)] + [f"dsd_output_{j + 1}" for j in range(k)]
    lines = [",".join(["row", *head, "formal_prediction", "dsd_prediction"])]
    for i in range(len(f)):
        cells = [repr(float(v)) for v in (*f[i], *d[i])]
        preds = (result["formal_predictions"][i], result["dsd_predictions"][i])
        lines.append(",".join([str(i + 1), *cells, *(repr(float(p)) for p in preds)]))
    return "\n".join(lines) + "\n"


def export_dsd(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    data: str | os.PathLike[str] | None = None,
    scheme: str = SCHEME,
    method: str = "modular",
    unit_nM: float = 10.0,
    excess: float = 100.0,
    sequester: float = 0.5,
    leak: float = 0.0,
) -> tuple[Path, dict[str, Any]]:
    """Compile a trained run's inference network to a verified DNA strand displacement design.

    Parameters
    ----------
    run_dir
        A run directory written by ``sbmlcrn train``.
    out_dir
        The directory to write (new, empty, or a previous DSD export, replaced as a whole).
    data
        A CSV file with the model's input columns (a target column is optional): the fuels
        are sized from it and ``dsd.xml`` is compared with the formal network on every row
        (``agreement`` in the report, ``agreement.csv``, ``agreement.png``).
    scheme
        The translation scheme (:data:`SCHEMES`).
    method
        ``"modular"`` (per-reaction bisimulation plus a crosstalk check) or ``"whole"``
        (see :func:`sbmlcrn.io.dsd_verify.verify`).
    unit_nM, excess, sequester
        nM per formal concentration unit; fuel excess over the largest formal concentration;
        the largest gate-to-buffer ratio (:func:`sbmlcrn.io.dsd.translate`).
    leak
        Leak rate constant of every gate-translator pair in M⁻¹ s⁻¹ (0: no leak).

    Returns
    -------
    tuple[Path, dict]
        The directory written and the report (``report.json``'s content).

    Raises
    ------
    InputError
        ``run_dir`` is not a run directory, ``out_dir`` holds other files, ``data`` lacks
        input columns, ``scheme`` is unknown, ``leak`` is negative, or the DSD tools are not
        installed (``pip install 'sbmlcrn[dsd]'``).
    """
    if scheme not in SCHEMES:
        raise InputError(
            f"The scheme parameter of export_dsd must be one of {', '.join(SCHEMES)}. "
            f"Got {scheme!r} instead."
        )
    check_leak(leak, "export_dsd")  # before minutes of enumeration
    target = check_output_dir(
        out_dir, files=DSD_FILES, marker="report.json", what="a previous DSD export",
        is_ours=is_previous_dsd,
    )  # fmt: skip
    model = load_model(run_dir)
    nets = dsd_networks(model)
    table = read_dsd_data(model, run_dir, data) if data is not None else None
    formal, copies = nets.formal, nets.copies
    scale = formal_scale(model, formal, table.x, copies) if table is not None else 1.0
    build = build_dsd(
        formal, method=method, unit_nM=unit_nM, excess=excess, scale=scale, sequester=sequester
    )
    extra = {
        "run": str(Path(run_dir).resolve()),
        "circuit": model.circuit,
        "inputs": list(nets.free),
        "minimise": {
            "summary": nets.minimise_report.summary(),
            "before": dict(nets.minimise_report.before),
        },
        "rewrites": {"square_copies": copies, "constant_one": nets.one},
        "sizes": {
            "inference_network": _size(nets.inference),
            "minimised": _size(nets.minimised),
            "formal_crn": _size(formal),
            "paper_minimal_training_circuit": PAPER_MINIMAL_CIRCUIT,
        },
        "fuel_scale": {
            "largest_formal_concentration": scale,
            "from": f"the formal network on {data}" if data is not None else "initial values",
        },
    }
    report = build.report(leak=leak, extra=extra)
    result = None
    if table is not None:
        result = dsd_agreement(model, build, table, copies, leak=leak)
        report["agreement"] = agreement_summary(result)
    texts = build.texts(report)
    if result is not None:
        texts["agreement.csv"] = _agreement_csv(result)
    with atomic_output_dir(target, files=DSD_FILES, marker="report.json") as tmp:
        for name, text in texts.items():
            write_atomic(tmp / name, text)
        if result is not None:
            plot_agreement(tmp / "agreement.png", result, title=f"DSD vs formal: {model.circuit}")
    return target, report
