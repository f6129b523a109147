"""``sbmlcrn export RUN --format dsd``: a trained run's inference network compiled to DNA.

The run's inference network (the trained parameters as initial concentrations of their
species, :meth:`~sbmlcrn.training.model.TrainedModel.inference_network`) is minimised first
(:func:`sbmlcrn.core.minimise.minimise`, with the input rails ``free``: the user sets them per
sample), then compiled by :func:`sbmlcrn.io.dsd.compile_dsd` (Soloveichik, Seelig & Winfree
2010), enumerated with peppercorn and verified with crnverifier. The output directory holds
``formal.crn``, ``design.pil``, ``implementation.crn``, ``report.json`` and ``report.md`` and is
written atomically (complete or not at all; a previous DSD export is replaced as a whole).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.circuits.registry import family_of
from sbmlcrn.core.minimise import minimise
from sbmlcrn.core.network import Network
from sbmlcrn.io.atomic import atomic_output_dir, check_output_dir, write_atomic
from sbmlcrn.io.dsd_verify import compile_dsd
from sbmlcrn.training.model import TrainedModel
from sbmlcrn.training.store import load_model

__all__ = ["DSD_FILES", "export_dsd", "input_rails", "is_previous_dsd"]

DSD_FILES = frozenset(
    {"formal.crn", "design.pil", "implementation.crn", "report.json", "report.md"}
)


def input_rails(model: TrainedModel, network: Network) -> list[str]:
    """The species of ``network`` that prediction loads per sample (both rails of each load).

    The bias rails (``xb_p`` = 1) are not loaded: they keep their initial concentration.
    """
    d = len(model.features)
    x_tilde = model.feature_map(np.zeros((1, d)))
    loads = family_of(model.config).loads(
        model.task, model.config, x_tilde, d, max(len(model.classes), 2)
    )
    present = set(network.species_ids())
    return [f"{b}_{s}" for b in sorted(loads) for s in "pm" if f"{b}_{s}" in present]


def is_previous_dsd(directory: Path) -> bool:
    """Whether ``directory/report.json`` is a DSD export report that sbmlcrn wrote."""
    try:
        data = json.loads((directory / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and {"scheme", "verified", "counts"} <= data.keys()


def export_dsd(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    method: str = "modular",
    unit_nM: float = 10.0,
    excess: float = 100.0,
) -> tuple[Path, dict[str, Any]]:
    """Compile a trained run's inference network to a verified DNA strand displacement design.

    Parameters
    ----------
    run_dir
        A run directory written by ``sbmlcrn train``.
    out_dir
        The directory to write (new, empty, or a previous DSD export, replaced as a whole).
    method
        ``"modular"`` (per-reaction bisimulation plus a crosstalk check) or ``"whole"``
        (see :func:`sbmlcrn.io.dsd.verify`).
    unit_nM, excess
        nM per formal concentration unit; fuel excess over the largest formal concentration.

    Returns
    -------
    tuple[Path, dict]
        The directory written and the report (``report.json``'s content).

    Raises
    ------
    InputError
        ``run_dir`` is not a run directory, ``out_dir`` holds other files, or the DSD tools
        are not installed (``pip install 'sbmlcrn[dsd]'``).
    """
    target = check_output_dir(
        out_dir, files=DSD_FILES, marker="report.json", what="a previous DSD export",
        is_ours=is_previous_dsd,
    )  # fmt: skip
    model = load_model(run_dir)
    network = model.inference_network()
    free = input_rails(model, network)
    small, shrink = minimise(network, free=free)
    extra = {
        "run": str(Path(run_dir).resolve()),
        "circuit": model.circuit,
        "inputs": free,
        "minimise": {
            "summary": shrink.summary(),
            "before": dict(shrink.before),
            "after": dict(shrink.after),
        },
    }
    texts = compile_dsd(small, method=method, unit_nM=unit_nM, excess=excess, extra=extra)
    with atomic_output_dir(target, files=DSD_FILES, marker="report.json") as tmp:
        for name, text in texts.items():
            write_atomic(tmp / name, text)
    return target, json.loads(texts["report.json"])
