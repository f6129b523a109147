"""End to end: the full `sbmlcrn reproduce` (slow: ~10 min on 2 cores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbmlcrn.studies.reproduce import run_reproduce

#: Rows whose mean over 5 seeds is at least as good as the authors' value (measured; the
#: closing note of issue 3 lists the rows that fall short and by how much).
MEETS = {
    "linreg-authors",
    "linreg",
    "lincls-authors",
    "lincls",
    "poly-exact",
    "sin-fo-authors",
    "sin-fo",
    "xor-cubic",
    "rings-quad",
}


@pytest.mark.slow
@pytest.mark.timeout(2400)  # ~10 min on 2 idle cores; the default 600 s is too tight
def test_full_reproduce(tmp_path: Path) -> None:
    rows = {r.slug: r for r in run_reproduce(out=tmp_path / "rep")}
    authors = rows["linreg-authors"]
    assert authors.values[0] == pytest.approx(0.2376, abs=1e-4)
    for slug, row in rows.items():
        if row.values:
            assert row.deviation <= 1e-4, slug  # chemistry vs the independent reference
        if slug in MEETS:
            assert row.meets, (slug, row.mean, row.authors)
            assert len(row.values) == (1 if slug == "linreg-authors" else 5), slug
    report = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "XOR, quadratic" in report and "Iris" in report
    assert (tmp_path / "rep" / "xor-quad" / "decision.png").stat().st_size > 1000
    assert (tmp_path / "rep" / "poly-exact" / "predictions.png").stat().st_size > 1000
