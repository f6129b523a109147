"""The reports of the robustness studies: ``report.md``, ``results.json`` and plots."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import write_atomic
from sbmlcrn.studies.clock import ClockResult
from sbmlcrn.studies.common import StudyData
from sbmlcrn.studies.noise import NoiseResult
from sbmlcrn.studies.plots import plot_clock, plot_noise, plot_rates
from sbmlcrn.studies.rates import RatesResult

__all__ = [
    "STUDY_FILES",
    "check_study_out",
    "write_clock_report",
    "write_noise_report",
    "write_rates_report",
]

#: Files a study directory may hold (a directory holding anything else is not overwritten).
STUDY_FILES = frozenset(
    {
        "report.md",
        "results.json",
        "noise.png",
        "noise_parameters.png",
        "rates.png",
        "sensitivity.png",
        "clock.png",
        "clock_gates.png",
    }
)


def check_study_out(out: str | Path) -> Path:
    """Refuse an ``--out`` that exists and holds anything but a previous study's files."""
    target = Path(out).resolve()
    if target.exists():
        if not target.is_dir():
            raise InputError(f"--out {out}: exists and is not a directory.")
        extra = sorted(p.name for p in target.iterdir() if p.name not in STUDY_FILES)
        if extra:
            raise InputError(
                f"--out {out}: exists and holds other files than a robustness study "
                f"({', '.join(extra[:3])}); choose another path."
            )
    return target


def _fmt(v: float, metric: str = "") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if metric == "accuracy":
        return f"{100 * v:.2f} %"
    return f"{v:.4g}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _write(out: Path, name: str, text: str) -> None:
    write_atomic(out / name, text)


def write_noise_report(
    result: NoiseResult | Mapping[str, Any], out: str | Path, *, plots: bool = True
) -> Path:
    """``report.md``, ``results.json``, ``noise.png`` and ``noise_parameters.png``."""
    result = _as_dict(result)
    target = check_study_out(out)
    target.mkdir(parents=True, exist_ok=True)
    det = result["deterministic"]
    metric = result["metric"]
    names = det["names"]
    rows = []
    for r in result["rows"]:
        std = r["theta_std"] or [0.0] * len(r["theta_mean"])
        th = ", ".join(f"{m:.4f} ± {s:.4f}" for m, s in zip(r["theta_mean"], std, strict=True))
        m = r["metric"]
        rows.append(
            [
                str(r["molecules"]),
                "driver" if r["method"] == "driver" else "events (naive)",
                f"{m['n']}" + (f" ({r['failed']} failed)" if r["failed"] else ""),
                f"{_fmt(m['mean'], metric)} ± {_fmt(m['std'], metric)}",
                f"{r['metric_ratio']:.4f} ± {r['metric_ratio_se']:.4f}",
                f"{100 * r['within_5pct']:.0f} %",
                f"({th})",
                f"{r['theta_rmse_vs_det']:.2e}",
                f"{r['seconds_per_run']:.1f}",
            ]
        )
    lines = [
        f"# Stochastic training: {result['circuit']} ({result['data']})",
        "",
        "Each replica trains the circuit's network with RoadRunner's Gillespie integrator at a "
        "volume where one unit of concentration is N molecules, driven phase by phase to the "
        "exact event times (`sbmlcrn.training.stochastic`); the test metric is the deterministic "
        "inference network's with the learned parameters. Seeds 0 … R−1.",
        "",
        "Deterministic (event-gated, CVODE) run: θ = "
        f"({', '.join(f'{v:.4f}' for v in det['theta'])}) for ({', '.join(names)}), "
        f"test {metric} = {_fmt(det['metric'], metric)}.",
        "",
        _table(
            [
                "N per unit",
                "method",
                "runs",
                f"test {metric} mean ± std",
                "ratio to deterministic (± s.e.)",
                "runs within 5 %",
                "θ mean ± std",
                "θ RMSE vs det",
                "s / run",
            ],
            rows,
        ),
        "",
    ]
    if plots:
        plot_noise(result, target)
        lines += ["![metric vs molecules](noise.png)", "", "![parameters](noise_parameters.png)"]
    if result.get("timing"):
        lines += _timing_section(result)
    lines += ["", f"Wall time {result['seconds']:.0f} s."]
    _write(target, "report.md", "\n".join(lines) + "\n")
    _write(target, "results.json", json.dumps(_jsonable(result), indent=2) + "\n")
    return target


def _timing_section(result: Mapping[str, Any]) -> list[str]:
    """The section of the noise report on RoadRunner's Gillespie event timing."""
    lines = [
        "",
        "## Time events under RoadRunner's Gillespie integrator",
        "",
        "The one SBML model (events included) simulated with Gillespie, one epoch, seed 0. "
        "RoadRunner tests triggers only after a reaction fires, so every event is late by the "
        "waiting time to the next reaction, and the reaction that crosses a phase boundary "
        "was drawn with the previous phase's propensities. With few molecules a phase can "
        "pass without any reaction: two triggers then become due at the same reaction, "
        "the order in which RoadRunner applies such simultaneous events is not fixed by the "
        "integrator's seed (repeated runs with the same seed gave different numbers of "
        "loads: these runs are not reproducible), and an event whose "
        "rescheduled trigger time is already past never fires again — the clock loses that "
        "phase for the rest of the run (no more loads, or no more updates). The "
        "phase-by-phase driver has none of this: its boundaries are the exact event times "
        "and it is reproducible for a given seed.",
        "",
    ]
    trows = []
    for t in result["timing"]:
        for p in t["phases"]:
            trows.append(
                [
                    str(t["molecules"]),
                    p["phase"],
                    f"{p['fired']} / {p['scheduled']}",
                    f"{p['mean_delay']:.3g}",
                    f"{p['max_delay']:.3g}",
                    f"{100 * p['mean_delay_fraction']:.2f} %",
                    str(t["reactions_fired"]),
                ]
            )
    lines.append(
        _table(
            [
                "N per unit",
                "event of phase",
                "fired / scheduled",
                "mean delay",
                "max delay",
                "mean delay / phase length",
                "reactions fired",
            ],
            trows,
        )
    )
    msgs = sorted({m for t in result["timing"] for m in t.get("roadrunner_messages", [])})
    if msgs:
        text = re.sub(r"\x1b\[[0-9;]*m|\[[0-9;]*m", "", msgs[0]).strip()
        lines += ["", f"RoadRunner's own warning: `{text[:240]}`"]
    return lines


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_rates_report(
    result: RatesResult | Mapping[str, Any], out: str | Path, *, plots: bool = True
) -> Path:
    """``report.md``, ``results.json``, ``rates.png`` and ``sensitivity.png``."""
    result = _as_dict(result)
    target = check_study_out(out)
    target.mkdir(parents=True, exist_ok=True)
    metric = result["metric"]
    m0 = result["nominal"]["metric"]
    rows = []
    for e in result["ensemble"]:
        m = e["metric"]
        rows.append(
            [
                f"{e['sigma']:g}",
                f"{m['n']}" + (f" ({e['failed']} failed)" if e["failed"] else ""),
                f"{_fmt(m['mean'], metric)} ± {_fmt(m['std'], metric)}",
                f"{_fmt(e['metric_median'], metric)}",
                f"{_fmt(e['metric_q05'], metric)} … {_fmt(e['metric_q95'], metric)}",
                f"{100 * e['within_5pct_of_nominal']:.0f} %",
                f"{_fmt(e['metric_nominal_inference']['mean'], metric)}",
            ]
        )
    lines = [
        f"# Rate-constant perturbation: {result['circuit']} ({result['data']}, "
        f"{result['clock']} clock)",
        "",
        "Every reaction has its own rate constant, multiplied by an independent factor "
        "exp(σ Z), Z ~ N(0, 1), and the circuit trains deterministically (one SBML model, "
        "CVODE). The test metric uses the same perturbed forward reactions for inference; the "
        "last column evaluates the learned parameters with the unperturbed inference network "
        f"instead. Unperturbed: test {metric} = {_fmt(m0, metric)}; {result['reactions']} "
        "reactions.",
        "",
        _table(
            [
                "σ",
                "runs",
                f"test {metric} mean ± std",
                "median",
                "5 % … 95 %",
                "within 5 % of unperturbed",
                "mean with unperturbed inference",
            ],
            rows,
        ),
        "",
    ]
    if result["group_ranking"]:
        lines += [
            f"## Sensitivity (one at a time, central difference, step {result['step']:g} in ln k)",
            "",
            "Per rate-constant group (all reactions sharing the nominal rate constant moved "
            "together):",
            "",
            _table(
                ["group", "reactions", f"∂{metric}/∂ln k", "relative", "max |∂θ/∂ln k|"],
                [
                    [
                        g["group"],
                        str(g["reactions"]),
                        f"{g.get('d_metric_d_lnk', math.nan):+.3g}",
                        f"{g.get('relative', math.nan):+.3g}",
                        f"{g.get('d_theta_d_lnk_max', math.nan):.3g}",
                    ]
                    for g in result["group_ranking"]
                ],
            ),
            "",
            "Per reaction (the 12 largest; `results.json` has all):",
            "",
            _table(
                ["rank", "reaction", "group", f"∂{metric}/∂ln k", "relative", "max |∂θ/∂ln k|"],
                [
                    [
                        str(i + 1),
                        r["reaction"],
                        r["rate_group"],
                        f"{r.get('d_metric_d_lnk', math.nan):+.3g}",
                        f"{r.get('relative', math.nan):+.3g}",
                        f"{r.get('d_theta_d_lnk_max', math.nan):.3g}",
                    ]
                    for i, r in enumerate(result["ranking"][:12])
                ],
            ),
        ]
    if plots:
        plot_rates(result, target)
        lines += ["", "![metric distribution](rates.png)"]
        if result["ranking"]:
            lines += ["", "![sensitivity](sensitivity.png)"]
    lines += ["", f"Wall time {result['seconds']:.0f} s."]
    _write(target, "report.md", "\n".join(lines) + "\n")
    _write(target, "results.json", json.dumps(_jsonable(result), indent=2) + "\n")
    return target


def write_clock_report(
    result: ClockResult | Mapping[str, Any],
    out: str | Path,
    sd: StudyData | None = None,
    *,
    plots: bool = True,
) -> Path:
    """``report.md``, ``results.json``, ``clock.png`` and ``clock_gates.png``."""
    result = _as_dict(result)
    target = check_study_out(out)
    target.mkdir(parents=True, exist_ok=True)
    metric = result["metric"]
    rows = []
    for r in result["rows"]:
        c = r["config"]
        if "error" in r:
            rows.append(
                [
                    str(c["species"]),
                    f"{c['floor']:g}",
                    "yes" if c["rearm"] else "no",
                    "failed",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        info = r["info"]
        rows.append(
            [
                str(c["species"]),
                f"{c['floor']:g}",
                "yes" if c["rearm"] else "no",
                f"{r['max_rel_deviation']:.2e}",
                _fmt(r["metric"], metric),
                f"{r['metric_change']:+.2e}",
                f"{info['gate_overlap']:.1e}",
                f"+{info['extra_species']} / +{info['extra_reactions']}",
                f"{info['chemical_network']['max_molecularity']}",
            ]
        )
    ev = result["events"]
    net = next((r["info"] for r in result["rows"] if "info" in r), None)
    lines = [
        f"# Chemical clock vs event gates: {result['circuit']} ({result['data']})",
        "",
        "The gates of the forward and backward phases are clock species of a rock-paper-"
        "scissors ring inside the network (`sbmlcrn.circuits.chemclock`); events only load "
        "the samples (and, when re-armed, reset the clock species to the cycle-start state). "
        "Deviation: max |θ_clock − θ_events| / max(1, |θ|) after the whole run.",
        "",
        f"Event-gated: test {metric} = {_fmt(ev['metric'], metric)}"
        + (
            f"; {net['event_gated_network']['species']} species, "
            f"{net['event_gated_network']['reactions']} reactions, "
            f"{net['event_gated_network']['events']} events, molecularity "
            f"{net['event_gated_network']['max_molecularity']} (chemical clock: "
            f"{net['chemical_network']['events']} events)."
            if net
            else "."
        ),
        "",
        _table(
            [
                "ring",
                "floor δ/S",
                "re-armed",
                "max rel. deviation",
                f"test {metric}",
                "change",
                "gate overlap",
                "extra species / reactions",
                "molecularity",
            ],
            rows,
        ),
    ]
    if plots:
        plot_clock(result, target, sd)
        lines += ["", "![deviation](clock.png)"]
        if sd is not None:
            lines += ["", "![gates](clock_gates.png)"]
    lines += ["", f"Wall time {result['seconds']:.0f} s."]
    _write(target, "report.md", "\n".join(lines) + "\n")
    _write(target, "results.json", json.dumps(_jsonable(result), indent=2) + "\n")
    return target


def _as_dict(
    result: NoiseResult | RatesResult | ClockResult | Mapping[str, Any],
) -> Mapping[str, Any]:
    """A study's result as the dict of its ``results.json``."""
    if isinstance(result, NoiseResult | RatesResult | ClockResult):
        return result.to_dict()
    return result
