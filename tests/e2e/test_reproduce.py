"""End to end: the full `sbmlcrn reproduce` (slow: ~63 min on 2 cores for the paper's rows,
plus about 10 for the product units' rows of issue 15)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.studies.catalogue import SLUGS
from sbmlcrn.studies.reproduce import run_reproduce

#: Rows whose mean over 5 seeds is at least as good as the authors' value (and, for a classifier,
#: above its majority-class baseline), measured for issue 14; the README's table gives the rest.
MEETS = {
    "linreg-authors",
    "linreg",
    "lincls-authors",
    "lincls",
    "poly-exact-authors",
    "poly-exact",
    "sin-fo-authors",
    "sin-fo",
    "xor-cubic",
    "rings-cubic-authors",
    "rings-cubic",
    "xor-quad-authors",
    "rings-quad",
}
#: Rows whose mean is within one standard deviation of the authors' value (measured).
WITHIN_STD = {"poly-fo-authors", "poly-fo", "xor-cubic-authors", "xor-quad"}


@pytest.mark.slow
@pytest.mark.timeout(7200)  # 63 min on 2 cores (issue 14: the authors' 65–80-epoch runs) + ~10
def test_full_reproduce(tmp_path: Path) -> None:
    rows = {r.slug: r for r in run_reproduce(out=tmp_path / "rep")}
    authors = rows["linreg-authors"]
    assert authors.values[0] == pytest.approx(0.2376, abs=1e-4)
    for slug, row in rows.items():
        if row.values:
            assert row.deviation <= 1e-4, slug  # chemistry vs the independent reference
            assert row.relative_deviation <= 1e-6, slug
        if slug in MEETS:
            assert row.meets, (slug, row.mean, row.authors)
            assert len(row.values) == (1 if slug == "linreg-authors" else 5), slug
        if slug in WITHIN_STD:
            assert row.within_std, (slug, row.mean, row.std, row.authors)
        if "accuracy" in row.metric:  # every classifier is compared with its baseline
            assert len(row.balanced) == len(row.values) == len(row.baseline), slug
    # issue 14's targets for the authors' circuits
    assert rows["xor-quad-authors"].mean >= 0.78
    fo = rows["poly-fo-authors"]
    assert len(fo.values) == 5 and fo.mean <= 0.09
    for slug in ("poly-exact-authors", "poly-fo-authors", "xor-quad-authors"):
        assert rows[slug].ideal_values, slug  # per-rail rows report the ideal odd square
    # issue 15's targets for the product units (the default design), measured and met
    assert rows["xor-products"].mean >= 0.97
    assert rows["poly-products"].mean <= 0.035 and rows["sin-products"].mean <= 0.0375
    for slug in ("rings-products", "rings-offset-products"):
        assert np.mean(rows[slug].balanced) >= 0.95, slug
    # measured 98.0 % and 91.1 % with seed 0's initial draw; reproduce draws θ₀ per seed
    assert rows["or-products"].mean >= 0.975 and rows["rings3-products"].mean >= 0.89
    for slug in SLUGS:
        if slug.endswith("-products") and rows[slug].baseline:
            assert rows[slug].mean > np.mean(rows[slug].baseline), slug
    report = (tmp_path / "rep" / "report.md").read_text(encoding="utf-8")
    assert "XOR, quadratic" in report and "Iris" in report
    assert "What each row changes" in report and "ideal" in report
    assert (tmp_path / "rep" / "xor-quad" / "decision.png").stat().st_size > 1000
    assert (tmp_path / "rep" / "poly-exact" / "predictions.png").stat().st_size > 1000
