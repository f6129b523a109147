"""``sbmlcrn reproduce``: the authors' experiments on built-in data, side by side with ours.

Each row trains one circuit by simulating its single SBML model in RoadRunner and reports the
authors' published value, ours, and the largest deviation between the parameters the chemistry
learned and the numpy reference's.

* Linear regression: the authors' own run (their 41 training and 101 validation samples in
  their order, ``T = 0.5``, ``η = 0.1``, 5 epochs, fixed bias ``h = 0.1``, ``θ₀ = (0.3321,
  0.3455)``, raw inputs, no offset), and the same data with sbmlcrn's defaults.
* Linear classification: label ``x1 + 2 x2 > 2`` with ``x ~ U(0, 2)²``, 101 fresh training
  points (the authors' cannot be replayed), their settings (``T = 0.8``, ``η = 0.01``, 10
  epochs, targets 0/4 with threshold 2, raw inputs, no offset), and sbmlcrn's defaults;
  accuracy on a 60 × 60 grid over ``[0, 2]²``, as the authors measured it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .circuits.linear import LinearConfig
from .data import Dataset, authors_linear_classification, authors_linear_regression
from .errors import InputError
from .train import TrainingRun, predict, save_run, train
from .writers import write_atomic

__all__ = [
    "AUTHORS_CLASSIFICATION",
    "AUTHORS_REGRESSION",
    "ReproRow",
    "check_reproduce_out",
    "format_table",
    "run_reproduce",
]

#: The authors' linear-regression run: raw inputs, no offset, their fixed bias and θ₀.
AUTHORS_REGRESSION = LinearConfig(
    horizon=0.5,
    lr=0.1,
    epochs=5,
    augmentation=None,
    bias=0.1,
    standardize=False,
    init=(0.3321, 0.3455),
)
#: The authors' linear-classification settings: raw inputs, no offset, targets 0/4.
AUTHORS_CLASSIFICATION = LinearConfig(
    horizon=0.8,
    lr=0.01,
    epochs=10,
    augmentation=None,
    standardize=False,
    class_values=(0.0, 4.0),
)


@dataclass(frozen=True)
class ReproRow:
    """One line of the reproduction table."""

    experiment: str
    metric: str
    authors: str
    sbmlcrn: str
    deviation: float
    seconds: float


def _grid_accuracy(run: TrainingRun, resolution: int) -> float:
    g = np.linspace(0.0, 2.0, resolution)
    pts = np.array([[a, b] for b in g for a in g])
    truth = (pts[:, 0] + 2.0 * pts[:, 1] > 2.0).astype(float)
    return float(np.mean(predict(run.model, pts) == truth))


def run_reproduce(
    *,
    quick: bool = False,
    out: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[ReproRow]:
    """Run every experiment; with ``out``, also write runs, plots and ``report.md``."""
    say = progress or (lambda _m: None)
    if out is not None:
        check_reproduce_out(out)
    resolution = 20 if quick else 60
    rows: list[ReproRow] = []
    runs: dict[str, TrainingRun] = {}
    train_lr, val_lr = authors_linear_regression()
    cls = authors_linear_classification(n=101, seed=0)

    def run(
        slug: str, circuit: str, data: Dataset, test: Dataset | None, cfg: LinearConfig | None
    ) -> tuple[TrainingRun, float]:
        say(f"{slug}: training")
        t0 = time.perf_counter()
        r = train(circuit, data, test=test, config=cfg)
        runs[slug] = r
        return r, time.perf_counter() - t0

    r, s = run("linreg-authors", "linear-regression", train_lr, val_lr, AUTHORS_REGRESSION)
    assert r.test is not None
    rows.append(
        ReproRow(
            "linear regression, authors' run",
            "val MSE",
            "0.238",
            f"{r.test['mse']:.4f}",
            r.max_abs_deviation,
            s,
        )
    )
    theta = ", ".join(f"{v:.4f}" for v in r.parameters.values())
    rows.append(
        ReproRow(
            "linear regression, authors' run",
            "learned θ",
            "(0.3017, 2.1590)",
            f"({theta})",
            r.max_abs_deviation,
            s,
        )
    )
    r, s = run("linreg-defaults", "linear-regression", train_lr, val_lr, None)
    assert r.test is not None
    rows.append(
        ReproRow(
            "linear regression, sbmlcrn defaults",
            "val MSE (noise floor 0.16)",
            "0.238",
            f"{r.test['mse']:.4f}",
            r.max_abs_deviation,
            s,
        )
    )

    for slug, name, cfg in (
        ("lincls-authors", "linear classification, authors' settings", AUTHORS_CLASSIFICATION),
        ("lincls-defaults", "linear classification, sbmlcrn defaults", None),
    ):
        r, s = run(slug, "linear-classification", cls, None, cfg)
        t0 = time.perf_counter()
        acc = _grid_accuracy(r, resolution)
        s += time.perf_counter() - t0
        rows.append(
            ReproRow(
                name,
                f"accuracy, {resolution}x{resolution} grid",
                "94.4 %",
                f"{100 * acc:.1f} %",
                r.max_abs_deviation,
                s,
            )
        )

    if out is not None:
        _write_report(Path(out), rows, runs, quick)
    return rows


SLUGS = ("linreg-authors", "linreg-defaults", "lincls-authors", "lincls-defaults")


def check_reproduce_out(out: str | Path) -> Path:
    """Refuse an ``--out`` that is not empty, new, or a previous reproduce report."""
    from .train import check_out_dir

    target = Path(out).resolve()
    if target.exists():
        if not target.is_dir():
            raise InputError(f"--out {out}: exists and is not a directory.")
        names = {p.name for p in target.iterdir()}
        if names - {"report.md", "results.json", *SLUGS}:
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
    head = ["experiment", "metric", "authors", "sbmlcrn", "max dev CRN vs ref", "time (s)"]
    body = [
        [r.experiment, r.metric, r.authors, r.sbmlcrn, f"{r.deviation:.1e}", f"{r.seconds:.1f}"]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    lines += [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in body
    ]
    return "\n".join(lines)


def _write_report(
    out: Path, rows: list[ReproRow], runs: dict[str, TrainingRun], quick: bool
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for slug, run in runs.items():
        save_run(run, out / slug, plots=not quick)
    lines = [
        "# sbmlcrn reproduce",
        "",
        "Every number was computed by simulating the circuit's single SBML training model in "
        "libRoadRunner; `max dev CRN vs ref` is the largest difference between the parameters the "
        "chemistry learned and an independent numpy implementation of the same SGD.",
        "",
        format_table(rows),
        "",
    ]
    if not quick:
        lines.append("## Plots")
        for slug in runs:
            lines.append(f"\n### {slug}\n\n![loss]({slug}/loss.png)")
            if (out / slug / "decision.png").exists():
                lines.append(f"\n![decision regions]({slug}/decision.png)")
    write_atomic(out / "report.md", "\n".join(lines) + "\n")
    write_atomic(out / "results.json", json.dumps([asdict(r) for r in rows], indent=2) + "\n")
