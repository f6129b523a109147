"""Does the DNA implementation predict what the formal inference network predicts? (issue 19)

For every row of a table the inputs are loaded into ``dsd.xml`` in nM (the formal load times
the formal unit; a split square's copy gets the same value as its species), the implementation
is simulated in RoadRunner to the read-out time mapped to seconds (the model's horizon times
the formal time unit) and each formal output is read as the sum of the implementation species
that are it (``formal_X`` of ``dsd.xml``). The formal inference network
(:func:`~sbmlcrn.training.model.predict`) gives the reference. Classifiers report the
fraction of equal class predictions, regression the relative MSE
``mean((ŷ_DSD − ŷ_formal)²) / var(ŷ_formal)`` in the target's units; with a target column
both models' accuracy or MSE on the data are reported too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network
from sbmlcrn.io.dsd_sbml import implementation_sbml
from sbmlcrn.io.dsd_verify import DsdBuild
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import Tolerances, simulate_batch
from sbmlcrn.training.model import (
    TrainedModel,
    evaluate,
    load_values,
    output_values,
    outputs_to_predictions,
)

__all__ = ["agreement_summary", "dsd_agreement", "formal_scale", "plot_agreement"]

#: CVODE settings for dsd.xml: stiff (toehold exchange at ~1/s beside hours of read-out time),
#: concentrations in nM (absolute 1e-6 nM is far below one molecule in a microlitre).
DSD_TOLERANCES = Tolerances(relative=1e-8, absolute=1e-6, max_steps=1_000_000, stiff=True)


def _with_copies(
    loads: Mapping[str, np.ndarray], copies: Mapping[str, str]
) -> dict[str, np.ndarray]:
    out = dict(loads)
    for sid, copy in copies.items():
        if sid in loads:
            out[copy] = loads[sid]
    return out


def formal_scale(
    model: TrainedModel, network: Network, x: np.ndarray, copies: Mapping[str, str]
) -> float:
    """The largest formal concentration of ``network`` at the read-out time over the rows ``x``.

    The exported inference networks only produce (their catalysts are never used up), so the
    concentrations at the read-out time are their largest; loads and initial values count too.
    """
    present = {s.id for s in network.species}
    loads = {k: v for k, v in _with_copies(load_values(model, x), copies).items() if k in present}
    out = simulate_batch(
        to_sbml(network), model.config.horizon, loads, sorted(present), tolerances=Tolerances()
    )
    values = [np.max(v) for v in out.values()] + [np.max(v) for v in loads.values()]
    return float(max([1.0, *values, *(s.initial for s in network.species)]))


def dsd_agreement(
    model: TrainedModel,
    build: DsdBuild,
    data: Dataset,
    copies: Mapping[str, str],
    *,
    leak: float = 0.0,
) -> dict[str, Any]:
    """Compare the DSD implementation's predictions with the formal inference network's.

    Parameters
    ----------
    model
        The trained model.
    build
        The compiled design (:func:`~sbmlcrn.io.dsd_verify.build_dsd`).
    data
        The rows to predict (inputs in the model's order; a target is optional).
    copies
        Species → its copy (:func:`~sbmlcrn.core.rewrite.split_squares`), loaded alike.
    leak
        The leak rate constant in M⁻¹ s⁻¹.

    Returns
    -------
    dict
        ``n``, ``metric`` (``class_agreement`` or ``relative_mse``) and its ``value``, the
        formal and DSD outputs and predictions (lists), the read-out time in seconds, the
        smallest fraction of any fuel left at read-out (``fuel_left_min``) and, with a
        target, ``formal_<metric>`` and ``dsd_<metric>`` (accuracy or MSE).
    """
    net = build.implementation(leak=leak)
    present = {s.id for s in net.species}
    formal_loads = load_values(model, data.x)
    loads = _with_copies(formal_loads, copies)
    unit = build.design.unit_nM
    initial = {f"S_{k}": v * unit for k, v in loads.items() if f"S_{k}" in present}
    fuels = {c.name: c.conc_nM for c in build.design.fuels() if c.name in present and c.conc_nM}
    inference = model.inference_network()
    readouts = list(inference.readouts)
    wanted = {s for parts in build.forms.values() for s in parts}
    t_end = model.config.horizon * build.time_unit_s
    out = simulate_batch(
        implementation_sbml(net), t_end, initial, sorted(wanted | set(fuels)),
        tolerances=DSD_TOLERANCES,
    )  # fmt: skip
    dsd_values = np.column_stack(
        [build.readout(out, ro.plus) - build.readout(out, ro.minus) for ro in readouts]
    )
    formal_values = output_values(model, inference, formal_loads)
    dsd_pred = outputs_to_predictions(model, dsd_values)
    formal_pred = outputs_to_predictions(model, formal_values)
    result: dict[str, Any] = {"n": len(data), "readout_s": t_end, "leak_per_M_per_s": leak}
    if model.task == "regression":
        var = float(np.var(formal_pred))
        mse = float(np.mean((dsd_pred - formal_pred) ** 2))
        result |= {"metric": "relative_mse", "value": mse / var if var > 0 else mse}
    else:
        result |= {"metric": "class_agreement", "value": float(np.mean(dsd_pred == formal_pred))}
    if model.task == "classification":  # the output at which the predicted class changes
        lo, hi = model.config.class_values
        at0, at1 = model.feature_map.decode_output(np.array([0.0, 1.0]))
        if at1 != at0:
            result["threshold"] = float((0.5 * (lo + hi) - at0) / (at1 - at0))
    if data.y is not None:
        for name, pred in (("formal", formal_pred), ("dsd", dsd_pred)):
            scores = evaluate(model.task, pred, data, model.config)
            key = "mse" if model.task == "regression" else "accuracy"
            result[f"{name}_{key}"] = scores[key]
    left = min((np.min(out[f]) / c for f, c in fuels.items()), default=1.0)
    result["fuel_left_min"] = max(0.0, float(left))  # CVODE may end a hair below 0
    result["formal_outputs"] = formal_values.tolist()
    result["dsd_outputs"] = dsd_values.tolist()
    result["formal_predictions"] = formal_pred.tolist()
    result["dsd_predictions"] = dsd_pred.tolist()
    return result


def agreement_summary(result: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`dsd_agreement`'s result without its per-row lists (``report.json``'s agreement)."""
    return {k: v for k, v in result.items() if not k.endswith(("_outputs", "_predictions"))}


def plot_agreement(path: Path, result: Mapping[str, Any], *, title: str) -> None:
    """``agreement.png``: DSD vs formal network outputs, one point per row (and per output).

    The diagonal is perfect agreement; classifiers' points are coloured by whether the two
    predicted the same class, and dotted lines mark the output at which the class changes.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = np.asarray(result["formal_outputs"], dtype=float)
    d = np.asarray(result["dsd_outputs"], dtype=float)
    fig, ax = plt.subplots(figsize=(4.8, 4.4), dpi=110)
    if result["metric"] == "class_agreement":
        same = np.asarray(result["formal_predictions"]) == np.asarray(result["dsd_predictions"])
        for mask, label, colour in ((same, "same class", "tab:blue"), (~same, "differs", "red")):
            if mask.any():
                ax.scatter(f[mask].ravel(), d[mask].ravel(), s=12, c=colour, label=label)
        ax.legend(loc="upper left", fontsize=8)
        what = f"class agreement {result['value']:.3f}"
    else:
        ax.scatter(f.ravel(), d.ravel(), s=12, c="tab:blue")
        what = f"relative MSE {result['value']:.2e}"
    lo, hi = float(min(f.min(), d.min())), float(max(f.max(), d.max()))
    ax.plot([lo, hi], [lo, hi], color="0.5", lw=1, ls="--", label="_nolegend_")
    if "threshold" in result:  # the class boundary on either axis
        ax.axvline(result["threshold"], color="0.3", lw=0.8, ls=":")
        ax.axhline(result["threshold"], color="0.3", lw=0.8, ls=":")
    ax.set_xlabel("formal inference network output (formal units)")
    ax.set_ylabel("DSD implementation output (formal units)")
    ax.set_title(f"{title}\n{what}, n = {result['n']}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
