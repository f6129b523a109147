"""``sbmlcrn reproduce``: the paper's experiment table on built-in data, side by side with ours.

Every row trains one circuit by simulating its single SBML model in RoadRunner, for several
seeds (fresh data drawn from the authors' distributions and fresh initial parameters per seed:
the authors' Julia random streams cannot be replayed), and reports the authors' published
value, our mean ± standard deviation, and the largest deviation between the parameters the
chemistry learned and the independent numpy/scipy reference's (over all seeds).

Rows (notes §4): linear regression (the authors' own run: their data, order, ``T``, ``η``,
``h`` and ``θ₀``), linear classification, nonlinear regression on ``x₁x₂ + x₂²`` (exact and
first-order gradient) and ``sin(x₁) + x₂²`` (first-order), XOR and rings with the cubic and
the quadratic (bimolecular) circuits, AND, OR and Iris (three classes, one output per class).
Each experiment is run with the authors' settings and with sbmlcrn's settings (``settings``
column; the ``changes`` of every row say what it changes from the authors' circuit, or which
of their settings it cannot match). Metrics are the authors' (:mod:`sbmlcrn.studies.scores`):
validation ½·MSE in raw units (nonlinear regression), validation MSE (linear regression),
accuracy on a grid over the input square (XOR, AND, OR: 40 × 40; linear classification
60 × 60), accuracy on a fresh validation set (rings: 101 points quadratic, 201 cubic; Iris);
every classification row also gives its balanced accuracy and the majority-class baseline,
and every per-rail row the distance to the ideal ``−c·z|z|`` model.

``quick`` runs every row with the same code path but 2 seeds, at most 5 epochs and coarser
grids, so it finishes in minutes; its numbers are not the published comparison.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sbmlcrn.core.data import (
    Task,
    authors_linear_classification,
    authors_linear_regression,
    make_task,
)
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.io.atomic import write_atomic
from sbmlcrn.reference import relative_deviation
from sbmlcrn.studies.catalogue import (
    AUTHORS_CLASSIFICATION,
    AUTHORS_REGRESSION,
    EXPERIMENTS,
    GRID_ACCURACY,
    SLUGS,
    Experiment,
    experiment,
)
from sbmlcrn.studies.parallel import parallel_map
from sbmlcrn.studies.robustness import REPRODUCE_DIRS, reproduce_sections
from sbmlcrn.studies.scores import ideal_scores, score_run
from sbmlcrn.training.pipeline import STIFF_ANNIHILATION, train
from sbmlcrn.training.plots import _pyplot
from sbmlcrn.training.store import check_out_dir, save_run

__all__ = [
    "AUTHORS_CLASSIFICATION",
    "AUTHORS_REGRESSION",
    "EXPERIMENTS",
    "SLUGS",
    "Experiment",
    "ReproRow",
    "check_reproduce_out",
    "format_changes",
    "format_ideal",
    "format_table",
    "run_reproduce",
]


@dataclass(frozen=True)
class ReproRow:
    """One line of the reproduction table (values over the seeds).

    ``balanced`` and ``baseline`` hold, per seed, the balanced accuracy and the majority-class
    baseline of a classification row (empty otherwise); ``ideal_values`` and
    ``ideal_deviation`` the metric of the ideal ``−c·z|z|`` model and its largest parameter
    difference from the chemistry (relative to ``max(1, |θ|)``), for per-rail rows;
    ``relative_deviation`` the largest CRN-vs-reference difference relative to
    ``max(1, |θ|)``.
    """

    slug: str
    experiment: str
    settings: str
    metric: str
    authors: float | None
    values: tuple[float, ...]
    seeds: tuple[int, ...]
    deviation: float
    seconds: float
    higher_is_better: bool
    note: str = ""
    changes: str = ""
    balanced: tuple[float, ...] = ()
    baseline: tuple[float, ...] = ()
    ideal_values: tuple[float, ...] = ()
    ideal_deviation: float | None = None
    relative_deviation: float = math.nan

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def std(self) -> float:
        return float(np.std(self.values)) if len(self.values) > 1 else 0.0

    @property
    def mean_baseline(self) -> float:
        """The majority-class baseline averaged over the seeds (NaN for regression)."""
        return float(np.mean(self.baseline)) if self.baseline else math.nan

    @property
    def meets(self) -> bool | None:
        """Whether the mean is at least as good as the authors' value (None: no value); a
        classifier must also beat its majority-class baseline."""
        if self.authors is None or not self.values:
            return None
        if self.baseline and self.mean <= self.mean_baseline:
            return False
        if self.higher_is_better:
            return self.mean >= self.authors
        return self.mean <= self.authors

    @property
    def within_std(self) -> bool | None:
        """Whether the mean is at least as good as the authors' value or within one standard
        deviation of it (a classifier also above its baseline); None: no value."""
        if self.authors is None or not self.values:
            return None
        above_baseline = not self.baseline or self.mean > self.mean_baseline
        close = abs(self.mean - self.authors) <= self.std
        return bool(self.meets) or (close and above_baseline)


def _is_accuracy(metric: str) -> bool:
    return "accuracy" in metric


def _fmt(value: float | None, metric: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{100 * value:.1f} %" if _is_accuracy(metric) else f"{value:.4f}"


def _task(exp: Experiment, seed: int) -> Task:
    if exp.task == "authors-linreg":
        train_, val = authors_linear_regression()
        return Task(exp.task, train_, val)
    if exp.task == "authors-lincls":
        data = authors_linear_classification(n=101, seed=seed)

        def label(x: np.ndarray) -> np.ndarray:
            return (x[:, 0] + 2.0 * x[:, 1] > 2.0).astype(float)

        return Task(exp.task, data, data, label, (0.0, 2.0))
    if exp.n_test is not None:
        return make_task(exp.task, seed, n_test=exp.n_test)
    return make_task(exp.task, seed)


def _cost(exp: Experiment) -> float:
    """A rough relative cost of one run, to start the longest first: epochs, ten times more
    with fast (stiff) annihilation, which the authors' rows use."""
    stiff = (exp.config.annihilation or 0.0) >= STIFF_ANNIHILATION
    return (exp.config.epochs or 100) * (10.0 if stiff else 1.0)


def _grid(exp: Experiment, quick: bool) -> int | None:
    """The grid resolution of a grid-accuracy row (None for other metrics)."""
    if exp.metric != GRID_ACCURACY:
        return None
    return 20 if quick else (60 if exp.task == "authors-lincls" else 40)


def _job(slug: str, seed: int, quick: bool, save: str | None) -> dict[str, Any]:
    """Train one experiment for one seed (runs in a worker process)."""
    exp = experiment(slug)
    task = _task(exp, seed)
    cfg = exp.config_for(seed, quick)
    grid = _grid(exp, quick)
    test = None if grid is not None else task.test
    t0 = time.perf_counter()
    try:
        run = train(exp.circuit, task.train, test=test, config=cfg)
    except SbmlcrnError as exc:  # e.g. SGD diverges for this seed: reported, not hidden
        return {"slug": slug, "seed": seed, "error": str(exc), "seconds": 0.0}
    scores, points = score_run(run, task, exp.metric, grid=grid)
    seconds = time.perf_counter() - t0
    ideal = ideal_scores(run, task, exp.metric, points)
    if save is not None:
        save_run(run, save, plots=True)
    assert run.reference is not None  # deterministic event-gated runs keep their reference
    return {
        "slug": slug,
        "seed": seed,
        "value": scores.value,
        "balanced": scores.balanced,
        "baseline": scores.baseline,
        "ideal": ideal,
        "deviation": run.max_abs_deviation,
        "relative_deviation": relative_deviation(run.model.theta(), run.reference.theta),
        "seconds": seconds,
    }


def run_reproduce(
    *,
    quick: bool = False,
    out: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    seeds: int | None = None,
    only: tuple[str, ...] | None = None,
    workers: int | None = None,
    studies: bool | None = None,
) -> list[ReproRow]:
    """Run every experiment for every seed; with ``out``, also write runs, plots, the report.

    Parameters
    ----------
    quick
        2 seeds, at most 5 epochs, coarse grids (the same code path).
    out
        Directory for ``report.md``, ``results.json``, a summary plot and, per experiment,
        the seed-0 run directory (model, result, loss and decision/prediction plots).
    progress
        Called with a status line per finished run.
    seeds
        Number of seeds (default 5, or 2 with ``quick``).
    only
        Slugs of the experiments to run (default: all).
    workers
        Worker processes (default: the CPUs available, at most 8).
    studies
        Also run the chemistry studies (stochastic noise, rate perturbation, chemical clock;
        :func:`sbmlcrn.studies.robustness.reproduce_sections`) into ``out``; default: when
        ``out`` is given and every row is run.
    """
    say = progress or (lambda _m: None)
    target = check_reproduce_out(out) if out is not None else None
    n_seeds = seeds if seeds is not None else (2 if quick else 5)
    if n_seeds < 1:
        raise InputError(f"The seeds parameter must be >= 1. Got {n_seeds}.")
    exps = [e for e in EXPERIMENTS if only is None or e.slug in only]
    if only is not None and len(exps) != len(set(only)):
        unknown = sorted(set(only) - set(SLUGS))
        raise InputError(f"Unknown experiments {unknown}; known: {', '.join(SLUGS)}.")
    staging = None
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
        staging = target
    jobs = []
    for exp in exps:
        for seed in range(n_seeds if exp.seeded else 1):
            save = str(staging / exp.slug) if staging is not None and seed == 0 else None
            jobs.append((exp.slug, seed, quick, save))
    jobs.sort(key=lambda job: -_cost(experiment(job[0])))  # longest first: shorter wall time
    n_workers = workers or min(8, len(os.sched_getaffinity(0)))
    started = time.perf_counter()
    if getattr(say, "advance", None) is not None:
        say.start(len(jobs), "run")  # type: ignore[attr-defined]  # a live bar of runs

    def report(i: int, result: dict[str, Any]) -> None:
        _report(say, result, i + 1, len(jobs), started)

    results = parallel_map(_job, jobs, n_workers, on_result=report)
    rows = []
    for exp in exps:
        mine = [r for r in results if r["slug"] == exp.slug]
        ok = [r for r in mine if "value" in r]
        failed = [r for r in mine if "error" in r]
        note = ""
        if failed:
            note = f"{len(failed)} of {len(mine)} seeds failed: diverged or not integrable"
        rows.append(_row(exp, ok, note))
    extra: list[str] = []
    if target is not None and (studies if studies is not None else only is None):
        say("chemistry studies: stochastic noise, rate perturbation, chemical clock")
        extra = reproduce_sections(target, quick=quick, workers=n_workers, progress=say)
    if target is not None:
        _write_report(target, rows, quick, time.perf_counter() - started, n_workers, extra)
    return rows


def _row(exp: Experiment, ok: list[dict[str, Any]], note: str) -> ReproRow:
    """The table row of an experiment from its successful runs ``ok``."""
    ideal = [r["ideal"] for r in ok if r.get("ideal") is not None]
    return ReproRow(
        slug=exp.slug,
        experiment=exp.label,
        settings=exp.settings,
        metric=exp.metric,
        authors=exp.authors,
        values=tuple(float(r["value"]) for r in ok),
        seeds=tuple(int(r["seed"]) for r in ok),
        deviation=max((float(r["deviation"]) for r in ok), default=math.nan),
        seconds=float(np.mean([r["seconds"] for r in ok])) if ok else math.nan,
        higher_is_better=exp.higher_is_better,
        note=note,
        changes=exp.changes,
        balanced=tuple(float(r["balanced"]) for r in ok if r.get("balanced") is not None),
        baseline=tuple(float(r["baseline"]) for r in ok if r.get("baseline") is not None),
        ideal_values=tuple(float(i["value"]) for i in ideal),
        ideal_deviation=max((float(i["deviation"]) for i in ideal), default=None),
        relative_deviation=max((float(r["relative_deviation"]) for r in ok), default=math.nan),
    )


def _report(say: Callable[[str], None], r: dict[str, Any], done: int, total: int, t0: float):
    what = f"error: {r['error'][:60]}" if "error" in r else f"{r['value']:.4g}"
    say(f"[{done}/{total}, {time.perf_counter() - t0:.0f} s] {r['slug']} seed {r['seed']}: {what}")
    advance = getattr(say, "advance", None)  # a live bar of runs, if the display has one
    if advance is not None:
        advance(done, total, "run")


def check_reproduce_out(out: str | Path) -> Path:
    """Refuse an ``--out`` that is not empty, new, or a previous reproduce report."""
    target = Path(out).resolve()
    if target.exists():
        if not target.is_dir():
            raise InputError(f"--out {out}: exists and is not a directory.")
        names = {p.name for p in target.iterdir()}
        if names - {"report.md", "results.json", "summary.png", *SLUGS, *REPRODUCE_DIRS}:
            raise InputError(
                f"--out {out}: exists and is not a previous 'sbmlcrn reproduce' report; "
                "choose another path."
            )
        for slug in SLUGS:
            check_out_dir(target / slug)
    else:
        check_out_dir(target)
    return target


def _pm(values: tuple[float, ...], metric: str) -> str:
    """``mean ± std`` of ``values`` in the metric's format."""
    if not values:
        return "—"
    mean = float(np.mean(values))
    std = float(np.std(values)) if len(values) > 1 else 0.0
    if _is_accuracy(metric):
        return f"{100 * mean:.1f} ± {100 * std:.1f} %"
    return f"{mean:.4f} ± {std:.4f}"


def _markdown(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in body
    ]
    return "\n".join(lines)


def format_table(rows: list[ReproRow]) -> str:
    """The table as GitHub-flavoured markdown (readable as plain text too).

    ``meets``: ``yes`` (at least the authors' value, and above the majority baseline),
    ``within 1σ`` (the authors' value within one standard deviation of the mean) or ``no``.
    """
    head = [
        "experiment",
        "settings",
        "metric",
        "authors",
        "sbmlcrn mean ± std",
        "balanced acc.",
        "majority baseline",
        "seeds",
        "meets",
        "max dev CRN vs ref (rel.)",
        "s / run",
    ]
    body = []
    for r in rows:
        pm = _pm(r.values, r.metric) if r.values else "diverged"
        meets = {None: "", True: "yes", False: "no"}[r.meets]
        if r.meets is False and r.within_std:
            meets = "within 1σ"
        body.append(
            [
                r.experiment,
                r.settings,
                r.metric,
                _fmt(r.authors, r.metric),
                pm + (f" ({r.note})" if r.note else ""),
                _pm(r.balanced, "accuracy") if r.balanced else "",
                _fmt(r.mean_baseline, r.metric) if r.baseline else "",
                str(len(r.values)),
                meets,
                f"{r.relative_deviation:.1e}",
                f"{r.seconds:.1f}",
            ]
        )
    return _markdown(head, body)


def format_changes(rows: list[ReproRow]) -> str:
    """What every row changes from the authors' circuit and settings (markdown table)."""
    body = [[f"`{r.slug}`", r.settings, r.changes or "—"] for r in rows]
    return _markdown(["row", "settings", "what differs from the authors' circuit"], body)


def format_ideal(rows: list[ReproRow]) -> str:
    """The per-rail rows against the ideal ``−c·z|z|`` model (markdown; empty if none)."""
    body = [
        [
            f"`{r.slug}`",
            _pm(r.values, r.metric),
            _pm(r.ideal_values, r.metric),
            f"{r.ideal_deviation:.2e}" if r.ideal_deviation is not None else "—",
        ]
        for r in rows
        if r.ideal_values
    ]
    if not body:
        return ""
    head = [
        "row",
        "per-rail chemistry",
        "ideal −c·z\\|z\\| model",
        "max \\|Δθ\\| / max(1, \\|θ\\|)",
    ]
    return _markdown(head, body)


def _summary_plot(rows: list[ReproRow], path: Path) -> None:
    plt = _pyplot()
    acc = [r for r in rows if _is_accuracy(r.metric) and r.values]
    reg = [r for r in rows if not _is_accuracy(r.metric) and r.values]
    fig, axes = plt.subplots(1, 2, figsize=(13, 5), constrained_layout=True)
    for ax, group, ylabel in ((axes[0], acc, "accuracy"), (axes[1], reg, "val (½)MSE")):
        labels = [f"{r.experiment}\n({r.settings})" for r in group]
        x = np.arange(len(group))
        ax.bar(
            x,
            [r.mean for r in group],
            yerr=[r.std for r in group],
            capsize=3,
            color=["#9bbbe0" if r.settings == "authors'" else "#1f5fa8" for r in group],
            label="sbmlcrn (mean ± std over seeds)",
        )
        authors = [(i, r.authors) for i, r in enumerate(group) if r.authors is not None]
        if authors:
            ax.scatter(
                [i for i, _ in authors],
                [a for _, a in authors],
                marker="_",
                s=400,
                c="#c0392b",
                zorder=3,
                label="authors' value",
            )
        ax.set_xticks(x, labels, rotation=60, ha="right", fontsize=7)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize="small")
    axes[0].set_ylim(0.4, 1.02)
    fig.suptitle("sbmlcrn reproduce: light bars = authors' settings, dark = sbmlcrn settings")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _ideal_section(rows: list[ReproRow]) -> list[str]:
    table = format_ideal(rows)
    if not table:
        return []
    return [
        "## The per-rail square against the ideal odd square",
        "",
        "The authors' squares act per rail (2Z⁺ → Z⁺, 2Z⁻ → Z⁻): −c·z|z| only while one rail "
        "of z is 0, which the annihilation approaches but does not reach. The reference of "
        "these rows integrates the rails (the `CRN vs ref` column above); here the ideal "
        "value-level −c·z|z| model is trained on the same data, θ₀ and schedule.",
        "",
        table,
        "",
    ]


def _write_report(
    out: Path,
    rows: list[ReproRow],
    quick: bool,
    seconds: float,
    workers: int,
    extra: list[str] | None = None,
) -> None:
    _summary_plot(rows, out / "summary.png")
    lines = [
        "# sbmlcrn reproduce" + (" (quick: 2 seeds, ≤ 5 epochs, coarse grids)" if quick else ""),
        "",
        "Every number was computed by simulating the circuit's single SBML training model in "
        "libRoadRunner and evaluating the CRN inference network; `max dev CRN vs ref` is the "
        "largest difference between the parameters the chemistry learned and an independent "
        "numpy/scipy implementation of the same learning (over all seeds). Seeds draw fresh "
        "data from the authors' distributions and fresh initial parameters.",
        "",
        f"Wall time {seconds:.0f} s with {workers} worker processes.",
        "",
        format_table(rows),
        "",
        "`meets`: the mean is at least the authors' value (and, for a classifier, above the "
        "majority-class baseline); `within 1σ`: the authors' value lies within one standard "
        "deviation of the mean. `CRN vs ref`: the largest difference between the parameters "
        "the chemistry learned and the reference's, relative to max(1, |θ|).",
        "",
        "## What each row changes",
        "",
        format_changes(rows),
        "",
        *_ideal_section(rows),
        "![summary](summary.png)",
        "",
        "## Per experiment (seed 0)",
    ]
    for r in rows:
        lines.append(f"\n### {r.experiment} — {r.settings} settings (`{r.slug}`)\n")
        lines.append(f"![loss]({r.slug}/loss.png)")
        for fname, what in (("decision.png", "decision regions"), ("predictions.png", "fit")):
            if (out / r.slug / fname).exists():
                lines.append(f"\n![{what}]({r.slug}/{fname})")
    lines += extra or []
    write_atomic(out / "report.md", "\n".join(lines) + "\n")
    payload = [{**asdict(r), "mean": r.mean, "std": r.std, "meets": r.meets} for r in rows]
    write_atomic(out / "results.json", json.dumps(payload, indent=2) + "\n")
