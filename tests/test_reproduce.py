"""End to end: the full `sbmlcrn reproduce` meets the authors' published numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbmlcrn.reproduce import run_reproduce


@pytest.mark.slow
def test_full_reproduce_meets_the_authors_numbers(tmp_path: Path) -> None:
    rows = {(r.experiment, r.metric): r for r in run_reproduce(out=tmp_path / "rep")}
    theta = rows[("linear regression, authors' run", "learned θ")]
    assert theta.sbmlcrn == theta.authors == "(0.3017, 2.1590)"
    mse = rows[("linear regression, authors' run", "val MSE")]
    assert float(mse.sbmlcrn) == pytest.approx(0.238, abs=5e-4)
    for (experiment, metric), row in rows.items():
        assert row.deviation <= 1e-6, experiment
        if metric.startswith("accuracy"):
            assert float(row.sbmlcrn.rstrip(" %")) >= 94.4, experiment
    defaults = rows[("linear regression, sbmlcrn defaults", "val MSE (noise floor 0.16)")]
    assert float(defaults.sbmlcrn) <= 0.238
    report = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "linear regression, authors' run" in report
    assert (tmp_path / "rep" / "lincls-authors" / "decision.png").stat().st_size > 1000
