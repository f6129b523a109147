"""Plots of training runs (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sbmlcrn.training.model import predict

if TYPE_CHECKING:
    from sbmlcrn.training.run import TrainingRun

__all__ = ["plot_decision", "plot_loss"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_loss(run: TrainingRun, path: str | Path) -> Path:
    """Training loss per epoch: the CRN's (read from the error species) and the reference's."""
    plt = _pyplot()
    epochs = np.arange(1, len(run.train_loss) + 1)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    ax.plot(epochs, run.train_loss, "o-", label="CRN (RoadRunner)")
    ax.plot(epochs, run.reference.train_loss, "x--", label="numpy reference")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean ½(ŷ − t)² during the epoch")
    ax.set_yscale("log")
    ax.set_title(f"{run.circuit_name}: training loss")
    ax.legend()
    traj = run.parameter_trajectory
    for j, name in enumerate(run.parameters):
        bx.plot(np.arange(traj.shape[0]), traj[:, j], "o-", label=f"θ[{name}]")
    bx.set_xlabel("epoch")
    bx.set_ylabel("parameter (p⁺ − p⁻)")
    bx.set_title(f"parameters (max |CRN − ref| = {run.max_abs_deviation:.1e})")
    bx.legend(fontsize="small")
    from matplotlib.ticker import MaxNLocator

    for axis in (ax, bx):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_decision(run: TrainingRun, path: str | Path, *, resolution: int = 60) -> Path:
    """Decision regions of a 2-input classifier (CRN inference network) with the data."""
    plt = _pyplot()
    data = run.train_data
    assert data is not None
    sets = [("train", data)] + ([("test", run.test_data)] if run.test_data is not None else [])
    pts = np.vstack([d.x for _, d in sets])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.05 * (hi - lo + 1e-12)
    g1 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    g2 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    mesh = np.array([[a, b] for b in g2 for a in g1])
    labels = predict(run.model, mesh).reshape(resolution, resolution)
    fig, ax = plt.subplots(figsize=(5, 4.4), constrained_layout=True)
    ax.contourf(g1, g2, labels, levels=[-0.5, 0.5, 1.5], colors=["#cfe0f3", "#f6d2c4"])
    for (name, d), marker in zip(sets, ("o", "^"), strict=False):
        assert d.y is not None
        for label, color in ((0, "#1f5fa8"), (1, "#c0392b")):
            sel = d.y == label
            ax.scatter(
                d.x[sel, 0], d.x[sel, 1], s=14, c=color, marker=marker, label=f"{name} {label}"
            )
    ax.set_xlabel(run.circuit.features[0])
    ax.set_ylabel(run.circuit.features[1])
    ax.set_title("decision regions of the CRN inference network")
    ax.legend(fontsize="small", loc="best")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_predictions(run: TrainingRun, path: str | Path) -> Path:
    """Predicted vs target on the test data (regression; CRN inference network)."""
    plt = _pyplot()
    data = run.test_data
    assert data is not None and data.y is not None and run.test_predictions is not None
    pred = np.asarray(run.test_predictions)
    fig, ax = plt.subplots(figsize=(4.6, 4.4), constrained_layout=True)
    ax.scatter(data.y, pred, s=14, c="#1f5fa8", label="test samples")
    lo = float(min(data.y.min(), pred.min()))
    hi = float(max(data.y.max(), pred.max()))
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="ŷ = y")
    mse = float(np.mean((pred - data.y) ** 2))
    ax.set_xlabel(f"target {data.target}")
    ax.set_ylabel("prediction ŷ (CRN inference network)")
    ax.set_title(f"{run.circuit_name}: test ½MSE = {0.5 * mse:.4f}")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
