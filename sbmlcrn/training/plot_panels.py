"""Panels of the run plots, drawn on given matplotlib axes: the confusion matrix, predicted
against measured, residuals, the learned parameters over simulated time, a note; and the
legend rule (at most :data:`MAX_LEGEND` entries inside the axes, else outside them).

Every function takes the numbers to show (see :mod:`sbmlcrn.training.plot_metrics`) and
draws nothing else, so a panel looks the same in every figure that holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sbmlcrn.training.plot_metrics import (
    ParameterSeries,
    balanced_accuracy,
    confusion_matrix,
    majority_baseline,
    regression_text,
)

__all__ = [
    "CLASS_COLORS",
    "ERROR_COLOR",
    "MAX_LEGEND",
    "REGION_COLORS",
    "classification_text",
    "draw_confusion",
    "draw_measured",
    "draw_note",
    "draw_parameters",
    "draw_residuals",
    "legend",
]

#: Class colours (points) and their light versions (regions); red is kept for errors.
CLASS_COLORS = ("#1f5fa8", "#e08214", "#2a9d4b", "#7b3fa0", "#8c564b", "#d6609f", "#5f6b73")
REGION_COLORS = ("#cfe0f3", "#fbe3c6", "#cdebd5", "#e3d3ee", "#e6d5cf", "#f6d5e8", "#dde1e4")
ERROR_COLOR = "#d62728"
#: Grey of the parameters beyond the largest few.
OTHER_COLOR = "#b0b0b0"
#: Legend entries allowed inside the axes; a longer legend goes outside them.
MAX_LEGEND = 8
#: Parameters drawn in colour and named (the largest at the end); the others are grey.
SHOWN_PARAMETERS = 6
#: Characters of a name kept in a legend or on a tick.
_NAME_CHARS = 22


def _short(name: str) -> str:
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1] + "…"


def legend(ax: Any, *, loc: str = "best", outside: bool = False) -> None:
    """The axes' legend: inside (``loc``) with at most :data:`MAX_LEGEND` entries, else (or
    with ``outside``) to the right of the axes, where it covers no data."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    if outside or len(handles) > MAX_LEGEND:
        ax.legend(
            handles,
            labels,
            fontsize="x-small",
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            frameon=False,
        )
    else:
        ax.legend(handles, labels, fontsize="x-small", loc=loc, framealpha=0.8)


def draw_note(ax: Any, text: str) -> None:
    """A panel holding only ``text`` (no axes)."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize="small", wrap=True)


def classification_text(
    train_labels: np.ndarray, labels: np.ndarray, predicted: np.ndarray, name_of: Any
) -> str:
    """Two lines: accuracy and balanced accuracy, then the majority-class baseline (always
    predicting the training data's most frequent class, ``name_of(value)`` naming it)."""
    y = np.asarray(labels, dtype=float)
    acc = float(np.mean(y == np.asarray(predicted, dtype=float))) if y.size else float("nan")
    bal = balanced_accuracy(y, predicted)
    majority, base = majority_baseline(train_labels, y)
    return (
        f"accuracy {acc:.1%}, balanced {bal:.1%}\n"
        f"majority-class baseline ({name_of(majority)}) {base:.1%}"
    )


def draw_confusion(
    ax: Any,
    labels: np.ndarray,
    predicted: np.ndarray,
    classes: Sequence[float],
    *,
    names: Sequence[str],
    target: str,
    title: str,
) -> np.ndarray:
    """Counts of true (rows) against predicted (columns) classes, named on both axes.

    Returns
    -------
    np.ndarray
        The confusion matrix drawn.
    """
    matrix = confusion_matrix(labels, predicted, classes)
    k = len(classes)
    ax.imshow(matrix, cmap="Blues", vmin=0, vmax=max(int(matrix.max()), 1), aspect="auto")
    top = max(int(matrix.max()), 1)
    for i in range(k):
        for j in range(k):
            count = int(matrix[i, j])
            color = "white" if count > 0.6 * top else "#222222"
            if i != j and count and color != "white":
                color = ERROR_COLOR
            ax.text(
                j,
                i,
                str(count),
                ha="center",
                va="center",
                fontsize="small" if k <= 6 else "x-small",
                color=color,
                fontweight="bold" if i != j and count else "normal",
            )
    ticks = [_short(n) for n in names]
    ax.set_xticks(range(k), ticks, rotation=30 if max(map(len, ticks)) > 6 else 0, ha="right")
    ax.set_yticks(range(k), ticks)
    if max(map(len, ticks)) <= 6:
        for label in ax.get_xticklabels():
            label.set_ha("center")
    ax.set_xlabel(f"predicted {target}")
    ax.set_ylabel(f"true {target}")
    ax.set_title(title, fontsize="small")
    return matrix


def draw_measured(
    ax: Any, measured: np.ndarray, predicted: np.ndarray, *, target: str, title: str, label: str
) -> None:
    """Predicted against measured with the identity line; ``title`` first, then ``R²`` and
    the MSE in the target's units."""
    y = np.asarray(measured, dtype=float)
    p = np.asarray(predicted, dtype=float)
    ax.scatter(y, p, s=14, c=CLASS_COLORS[0], label=label)
    lo = float(min(y.min(), p.min())) if y.size else 0.0
    hi = float(max(y.max(), p.max())) if y.size else 1.0
    ax.plot([lo, hi], [lo, hi], "k--", lw=1, label="predicted = measured")
    ax.set_xlabel(f"{target} (measured)")
    ax.set_ylabel(f"{target} (predicted)")
    ax.set_title(f"{title}\n{regression_text(target, y, p)}", fontsize="small")
    legend(ax, loc="upper left")


def draw_residuals(
    ax: Any, measured: np.ndarray, predicted: np.ndarray, *, target: str, title: str
) -> None:
    """Residuals ``measured − predicted`` against the prediction, with 0 and ±RMSE."""
    y = np.asarray(measured, dtype=float)
    p = np.asarray(predicted, dtype=float)
    res = y - p
    rmse = float(np.sqrt(np.mean(res**2))) if res.size else float("nan")
    ax.scatter(p, res, s=14, c=CLASS_COLORS[0])
    ax.axhline(0.0, color="k", lw=1)
    if np.isfinite(rmse) and rmse > 0:
        ax.axhline(rmse, color="0.5", lw=1, ls=":")
        ax.axhline(-rmse, color="0.5", lw=1, ls=":")
    ax.set_xlabel(f"{target} (predicted)")
    ax.set_ylabel(f"residual: measured − predicted {target}")
    ax.set_title(f"{title}\nresiduals (dotted: ±RMSE = {rmse:.4g})", fontsize="small")


def draw_parameters(ax: Any, series: ParameterSeries, *, epochs: int) -> None:
    """The parameters over simulated time: the :data:`SHOWN_PARAMETERS` largest (final
    magnitude) in colour and named outside the axes, the others grey and counted."""
    from matplotlib.ticker import MaxNLocator

    n = len(series.names)
    shown = series.largest(SHOWN_PARAMETERS) if n > MAX_LEGEND else list(range(n))
    others = [j for j in range(n) if j not in shown]
    for j in others:
        ax.plot(series.time, series.values[:, j], "-", lw=0.8, color=OTHER_COLOR, zorder=1)
    if others:
        ax.plot([], [], "-", lw=0.8, color=OTHER_COLOR, label=f"{len(others)} smaller (grey)")
    markers = len(series.time) <= 41
    for rank, j in enumerate(shown):
        ax.plot(
            series.time,
            series.values[:, j],
            "o-" if markers else "-",
            ms=3,
            lw=1.4,
            color=f"C{rank % 10}",
            label=_short(series.names[j]),
            zorder=2,
        )
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.set_xlabel(f"simulated time (training model; {epochs} epochs)")
    ax.set_ylabel(series.unit, fontsize="small")
    what = "learned coefficients, raw units" if series.raw else "learned parameters θ"
    count = f"largest {len(shown)} of {n} named" if others else f"{n}"
    ax.set_title(f"{what} ({count})", fontsize="small")
    legend(ax, outside=True)
