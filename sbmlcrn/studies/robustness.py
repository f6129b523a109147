"""Robustness studies: molecular noise, perturbed rate constants, and the chemical clock.

This module gathers them (:mod:`~sbmlcrn.studies.noise`, :mod:`~sbmlcrn.studies.rates`,
:mod:`~sbmlcrn.studies.clock`) and runs all three for ``sbmlcrn reproduce``
(:func:`reproduce_sections`).

``sbmlcrn robustness noise CIRCUIT --molecules 10,100,1000,10000 --runs R``
    Trains ``R`` stochastic replicas per molecule count (:mod:`sbmlcrn.training.stochastic`:
    Gillespie,
    phase by phase, seeds ``0 … R−1``) in parallel processes and reports mean ± standard
    deviation of the learned parameters and of the test metric against the deterministic run;
    the report also measures how late RoadRunner's Gillespie integrator fires the one SBML
    model's time events (the problem the phase-by-phase driver removes) and, with
    ``--naive-runs``, what the naive event-driven Gillespie run learns.
``sbmlcrn robustness rates CIRCUIT --sigma 0.05,0.1,0.2 --runs R``
    Every reaction gets its own rate constant, multiplied by an independent log-normal factor
    ``exp(σ Z)`` (median 1), and the circuit trains deterministically; the test metric is
    computed with the *same* perturbed forward reactions (the inference network is the
    forward phase of the same chemistry). A one-at-a-time central difference
    ``∂ metric / ∂ ln k`` (step 0.1) per reaction and per rate-constant group ranks the
    reactions by how much they matter.
``sbmlcrn robustness clock CIRCUIT``
    The event-free chemical clock (:mod:`sbmlcrn.circuits.chemclock`) against the
    event-gated circuit for several clock shapes: parameter deviation, test metric, and the
    extra species, reactions and molecularity.

Each writes ``report.md``, ``results.json`` and plots into ``--out``
(:mod:`sbmlcrn.studies.reports`). Default data: the
authors' linear-regression run (41 / 101 samples), the authors' linear-classification task
(101 training samples, seed 0; 400 test samples, seed 1), and for the nonlinear circuits the
``sbmlcrn reproduce`` tasks and settings (``poly-exact``, ``xor-quad``, ``iris``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from sbmlcrn.circuits.chemclock import ChemicalClockConfig
from sbmlcrn.studies.clock import ClockResult, clock_study
from sbmlcrn.studies.common import StudyData, default_study_data, per_reaction_network
from sbmlcrn.studies.noise import NoiseResult, noise_study
from sbmlcrn.studies.rates import RatesResult, rates_study
from sbmlcrn.studies.reports import (
    STUDY_FILES,
    check_study_out,
    write_clock_report,
    write_noise_report,
    write_rates_report,
)

__all__ = [
    "REPRODUCE_DIRS",
    "STUDY_FILES",
    "ClockResult",
    "NoiseResult",
    "RatesResult",
    "StudyData",
    "check_study_out",
    "clock_study",
    "default_study_data",
    "noise_study",
    "per_reaction_network",
    "rates_study",
    "reproduce_sections",
    "write_clock_report",
    "write_noise_report",
    "write_rates_report",
]

#: Sub-directories :func:`reproduce_sections` writes into a ``sbmlcrn reproduce --out``.
REPRODUCE_DIRS = ("robustness-noise", "robustness-rates", "robustness-clock")


def reproduce_sections(
    out: str | Path,
    *,
    quick: bool = False,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Run the three studies on the linear-regression row into ``out/robustness-*`` and
    return the markdown section that links them (for ``sbmlcrn reproduce --out``).

    Full: molecules 10 … 10,000 with 4 seeds, σ = 0.05, 0.1, 0.2 with 10 runs, every clock
    shape (about 10 minutes on 2 cores). ``quick``: 5 epochs, molecules 100 and 1,000 with 2
    seeds, 2 runs per σ without the sensitivity ranking, two clock shapes.
    """
    target = Path(out)
    sd = default_study_data("linear-regression")
    if quick:
        sd = dataclasses.replace(sd, config=dataclasses.replace(sd.config, epochs=5))
    noise = noise_study(
        sd,
        (100, 1000) if quick else (10, 100, 1000, 10_000),
        2 if quick else 4,
        timing=True,
        workers=workers,
        progress=progress,
    )
    write_noise_report(noise, target / REPRODUCE_DIRS[0])
    rates = rates_study(
        sd,
        (0.05, 0.1, 0.2),
        2 if quick else 10,
        sensitivity=not quick,
        workers=workers,
        progress=progress,
    )
    write_rates_report(rates, target / REPRODUCE_DIRS[1])
    shapes = [ChemicalClockConfig(species=4), ChemicalClockConfig(species=3)] if quick else None
    clock = clock_study(sd, shapes=shapes, workers=workers, progress=progress)
    write_clock_report(clock, target / REPRODUCE_DIRS[2], sd)
    det = noise.deterministic["metric"]
    lines = ["", "## Chemistry as it really is (linear regression)", ""]
    for r in noise.rows:
        if r["method"] == "driver":
            m = r["metric"]
            lines.append(
                f"- {r['molecules']} molecules per unit: test MSE {m['mean']:.4f} ± "
                f"{m['std']:.4f} ({m['n']} runs; deterministic {det:.4f}, ratio "
                f"{r['metric_ratio']:.3f})"
            )
    for e in rates.ensemble:
        m = e["metric"]
        lines.append(
            f"- rate constants × exp(σZ), σ = {e['sigma']:g}: test MSE "
            f"{m['mean']:.4f} ± {m['std']:.4f} ({m['n']} runs)"
        )
    best = min(
        (r for r in clock.rows if "max_rel_deviation" in r),
        key=lambda r: r["max_rel_deviation"],
        default=None,
    )
    if best is not None:
        c = best["config"]
        lines.append(
            f"- chemical clock ({c['species']}-species ring, floor {c['floor']:g}): parameters "
            f"within {best['max_rel_deviation']:.1e} of the event-gated run, "
            f"+{best['info']['extra_species']} species, +{best['info']['extra_reactions']} "
            "reactions"
        )
    lines += [
        "",
        f"Reports: [noise]({REPRODUCE_DIRS[0]}/report.md), "
        f"[rates]({REPRODUCE_DIRS[1]}/report.md), [clock]({REPRODUCE_DIRS[2]}/report.md).",
        "",
        f"![noise]({REPRODUCE_DIRS[0]}/noise.png)",
        "",
        f"![rates]({REPRODUCE_DIRS[1]}/rates.png)",
        "",
        f"![clock]({REPRODUCE_DIRS[2]}/clock.png)",
    ]
    return lines
