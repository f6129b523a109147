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
column); metrics: validation ½·MSE in raw units (regression, as the authors report it),
accuracy on a grid over the input square counting only points the task labels (2-D
classification, 40 × 40 as the authors; 60 × 60 for linear classification), validation
accuracy (Iris).

``quick`` runs every row with the same code path but 2 seeds, at most 8 epochs and coarser
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
from sbmlcrn.studies.catalogue import (
    AUTHORS_CLASSIFICATION,
    AUTHORS_REGRESSION,
    EXPERIMENTS,
    GRID_ACCURACY,
    HALF_MSE,
    SLUGS,
    Experiment,
    experiment,
)
from sbmlcrn.studies.parallel import parallel_map
from sbmlcrn.studies.robustness import REPRODUCE_DIRS, reproduce_sections
from sbmlcrn.training.model import predict
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.plots import _pyplot
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.store import check_out_dir, save_run

__all__ = [
    "AUTHORS_CLASSIFICATION",
    "AUTHORS_REGRESSION",
    "EXPERIMENTS",
    "SLUGS",
    "Experiment",
    "ReproRow",
    "check_reproduce_out",
    "format_table",
    "run_reproduce",
]


@dataclass(frozen=True)
class ReproRow:
    """One line of the reproduction table (values over the seeds)."""

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

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values else math.nan

    @property
    def std(self) -> float:
        return float(np.std(self.values)) if len(self.values) > 1 else 0.0

    @property
    def meets(self) -> bool | None:
        """Whether the mean is at least as good as the authors' value (None: no value)."""
        if self.authors is None or not self.values:
            return None
        if self.higher_is_better:
            return self.mean >= self.authors
        return self.mean <= self.authors


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
    return make_task(exp.task, seed)


def _grid_accuracy(run: TrainingRun, task: Task, resolution: int) -> float:
    assert task.label is not None
    g = np.linspace(task.box[0], task.box[1], resolution)
    pts = np.array([[a, b] for b in g for a in g])
    truth = task.label(pts)
    keep = ~np.isnan(truth)
    return float(np.mean(predict(run.model, pts[keep]) == truth[keep]))


def _metric(exp: Experiment, run: TrainingRun, task: Task, quick: bool) -> float:
    if exp.metric == GRID_ACCURACY:
        res = 60 if exp.task == "authors-lincls" else 40
        return _grid_accuracy(run, task, 20 if quick else res)
    assert run.test is not None
    if exp.metric == HALF_MSE:
        return 0.5 * float(run.test["mse"])
    if exp.metric == "val MSE":
        return float(run.test["mse"])
    return float(run.test["accuracy"])


def _job(slug: str, seed: int, quick: bool, save: str | None) -> dict[str, Any]:
    """Train one experiment for one seed (runs in a worker process)."""
    exp = experiment(slug)
    task = _task(exp, seed)
    cfg = exp.config_for(seed, quick)
    test = None if exp.metric == GRID_ACCURACY else task.test
    t0 = time.perf_counter()
    try:
        run = train(exp.circuit, task.train, test=test, config=cfg)
    except SbmlcrnError as exc:  # e.g. SGD diverges for this seed: reported, not hidden
        return {"slug": slug, "seed": seed, "error": str(exc), "seconds": 0.0}
    value = _metric(exp, run, task, quick)
    seconds = time.perf_counter() - t0
    if save is not None:
        save_run(run, save, plots=True)
    return {
        "slug": slug,
        "seed": seed,
        "value": value,
        "deviation": run.max_abs_deviation,
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
        2 seeds, at most 8 epochs, coarse grids (the same code path).
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
        rows.append(
            ReproRow(
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
            )
        )
    extra: list[str] = []
    if target is not None and (studies if studies is not None else only is None):
        say("chemistry studies: stochastic noise, rate perturbation, chemical clock")
        extra = reproduce_sections(target, quick=quick, workers=n_workers, progress=say)
    if target is not None:
        _write_report(target, rows, quick, time.perf_counter() - started, n_workers, extra)
    return rows


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


def format_table(rows: list[ReproRow]) -> str:
    """The table as GitHub-flavoured markdown (readable as plain text too)."""
    head = [
        "experiment",
        "settings",
        "metric",
        "authors",
        "sbmlcrn mean ± std",
        "seeds",
        "meets",
        "max dev CRN vs ref",
        "s / run",
    ]
    body = []
    for r in rows:
        pm = (
            f"{_fmt(r.mean, r.metric)} ± {_fmt(r.std, r.metric).replace(' %', '')}"
            if r.values
            else "diverged"
        )
        if _is_accuracy(r.metric) and r.values:
            pm += " %"
            pm = pm.replace(" % ±", " ±")
        meets = {None: "", True: "yes", False: "no"}[r.meets]
        body.append(
            [
                r.experiment,
                r.settings,
                r.metric,
                _fmt(r.authors, r.metric),
                pm + (f" ({r.note})" if r.note else ""),
                str(len(r.values)),
                meets,
                f"{r.deviation:.1e}",
                f"{r.seconds:.1f}",
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in body
    ]
    return "\n".join(lines)


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
        "# sbmlcrn reproduce" + (" (quick: 2 seeds, ≤ 8 epochs, coarse grids)" if quick else ""),
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
