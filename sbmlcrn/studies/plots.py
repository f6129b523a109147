"""The plots of the robustness studies' reports (matplotlib, through
:func:`sbmlcrn.training.plots._pyplot`). The test metric is named as the run plots name it
(:func:`metric_label`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.circuits.chemclock import ChemicalClockConfig, calibrate
from sbmlcrn.circuits.registry import compile_circuit
from sbmlcrn.studies.common import StudyData
from sbmlcrn.training.plots import _pyplot

__all__ = ["metric_label", "plot_clock", "plot_noise", "plot_rates"]


def metric_label(metric: str) -> str:
    """The axis name of a study's test metric, as ``sbmlcrn train`` and the run plots name it:
    ``test MSE (target units²)`` (the mean of ``(ŷ − y)²`` in raw units), ``test accuracy``."""
    if metric == "mse":
        return "test MSE (target units²)"
    return f"test {metric.replace('_', ' ')}"


def plot_noise(result: Mapping[str, Any], out: Path) -> None:
    """``noise.png`` (test metric vs molecules) and ``noise_parameters.png`` into ``out``."""
    plt = _pyplot()
    det = result["deterministic"]
    metric = result["metric"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), constrained_layout=True)
    detail = [r for r in result.get("runs_detail", []) if "metric" in r]
    for k, (method, style, label) in enumerate(
        (
            ("driver", "o-", "Gillespie, phase-by-phase driver"),
            ("events", "s--", "Gillespie on the one SBML model (events)"),
        )
    ):
        rows = [r for r in result["rows"] if r["method"] == method and r["metric"]["n"]]
        if not rows:
            continue
        shift = 1.0 + 0.06 * (k - 0.5)
        x = [r["molecules"] * shift for r in rows]
        line = ax.plot(
            x, [r["metric"]["mean"] for r in rows], style, label=f"{label}: mean of runs"
        )[0]
        runs = [r for r in detail if r["method"] == method]
        ax.scatter(
            [r["molecules"] * shift for r in runs],
            [r["metric"] for r in runs],
            s=10,
            alpha=0.5,
            color=line.get_color(),
        )
    ax.axhline(det["metric"], color="k", lw=1, label="deterministic")
    if metric == "mse":
        ax.axhspan(det["metric"] * 0.95, det["metric"] * 1.05, color="0.85", label="± 5 %")
    ax.set_xscale("log")
    if metric == "mse":
        ax.set_yscale("log")
    ax.set_xlabel("molecules per unit of concentration (dots: single runs)")
    ax.set_ylabel(metric_label(metric))
    ax.set_title(f"{result['circuit']}: learning with few molecules")
    ax.legend(fontsize="small")
    fig.savefig(out / "noise.png", dpi=110)
    plt.close(fig)
    names = det["names"]
    rows = [r for r in result["rows"] if r["method"] == "driver" and r["theta_mean"]]
    fig, axes = plt.subplots(
        1, len(names), figsize=(3.2 * len(names), 3.2), constrained_layout=True, squeeze=False
    )
    for j, (ax, name) in enumerate(zip(axes[0], names, strict=True)):
        x = [r["molecules"] for r in rows]
        ax.errorbar(
            x,
            [r["theta_mean"][j] for r in rows],
            yerr=[(r["theta_std"] or [0.0] * len(names))[j] for r in rows],
            fmt="o-",
            capsize=3,
        )
        ax.axhline(det["theta"][j], color="k", lw=1)
        ax.set_xscale("log")
        ax.set_title(f"θ[{name}]")
        ax.set_xlabel("molecules per unit")
    fig.savefig(out / "noise_parameters.png", dpi=110)
    plt.close(fig)


def plot_rates(result: Mapping[str, Any], out: Path) -> None:
    """``rates.png`` (metric per σ) and, with a ranking, ``sensitivity.png`` into ``out``."""
    plt = _pyplot()
    metric = result["metric"]
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    data = [e["metric_values"] for e in result["ensemble"]]
    ax.boxplot(data, tick_labels=[f"{e['sigma']:g}" for e in result["ensemble"]])
    for i, vals in enumerate(data, start=1):
        ax.scatter(np.full(len(vals), i) + np.linspace(-0.15, 0.15, len(vals)), vals, s=8)
    ax.axhline(result["nominal"]["metric"], color="k", lw=1, label="unperturbed")
    ax.set_xlabel("σ of ln(rate factor)")
    ax.set_ylabel(metric_label(metric))
    ax.set_title(f"{result['circuit']}: perturbed rate constants")
    ax.legend(fontsize="small")
    fig.savefig(out / "rates.png", dpi=110)
    plt.close(fig)
    ranking = [r for r in result["ranking"] if "d_metric_d_lnk" in r][:20]
    if not ranking:
        return
    fig, ax = plt.subplots(figsize=(7, 0.28 * len(ranking) + 1.2), constrained_layout=True)
    ax.barh(
        [r["reaction"] for r in ranking][::-1],
        [r["d_metric_d_lnk"] for r in ranking][::-1],
        color="#1f5fa8",
    )
    ax.set_xlabel(f"∂ {metric_label(metric)} / ∂ ln k (one at a time)")
    ax.set_title("most influential reactions")
    fig.savefig(out / "sensitivity.png", dpi=110)
    plt.close(fig)


def plot_clock(result: Mapping[str, Any], out: Path, sd: StudyData | None) -> None:
    """``clock.png`` (deviation vs floor) and, with ``sd``, ``clock_gates.png`` into ``out``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    for n in sorted({r["config"]["species"] for r in result["rows"]}):
        for rearm, style in ((True, "o-"), (False, "s--")):
            rows = [
                r
                for r in result["rows"]
                if r["config"]["species"] == n and r["config"]["rearm"] == rearm and "theta" in r
            ]
            if rows:
                ax.plot(
                    [r["config"]["floor"] for r in rows],
                    [max(r["max_rel_deviation"], 1e-16) for r in rows],
                    style,
                    label=f"{n}-species ring, {'re-armed' if rearm else 'free-running'}",
                )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("clock floor δ/S (smaller: squarer gates)")
    ax.set_ylabel("max relative deviation of θ from event gates")
    ax.set_title(f"{result['circuit']}: chemical clock vs events")
    ax.legend(fontsize="small")
    fig.savefig(out / "clock.png", dpi=110)
    plt.close(fig)
    if sd is None:
        return
    compiled = compile_circuit(sd.circuit, sd.train, sd.config)
    period = compiled.clock.period
    fig, axes = plt.subplots(2, 1, figsize=(7, 5), constrained_layout=True, sharex=True)
    for ax, n in zip(axes, (4, 3), strict=True):
        ck = calibrate(ChemicalClockConfig(species=n), period)
        t = np.concatenate([ck.times, ck.times + period])
        for i in range(n):
            y = np.concatenate([ck.trajectory[:, i], ck.trajectory[:, i]])
            role = {
                ck.phase_species[0]: " (forward gate)",
                ck.phase_species[-1]: " (backward gate)",
            }
            ax.plot(t, y, label=f"clk{i + 1}{role.get(i, '')}")
        T = compiled.clock.phases[0].duration
        for c in range(2):
            ax.axvspan(c * period, c * period + T, color="#d8e6f5", zorder=0)
            ax.axvline(c * period, color="k", lw=0.8, ls=":")
        ax.set_ylabel("concentration")
        ax.set_title(f"{n}-species ring, floor 1e-4 (shaded: event-gated forward phase)")
        ax.legend(fontsize="x-small", loc="upper right")
    axes[-1].set_xlabel("time (two cycles; dotted: load events)")
    fig.savefig(out / "clock_gates.png", dpi=110)
    plt.close(fig)
