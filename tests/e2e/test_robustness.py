"""Robustness studies at full size (slow): noise with 10,000 molecules, the sensitivity ranking
on the authors' data, and the quick reproduce sections. The small studies are in
tests/integration/test_robustness.py."""

from __future__ import annotations

import pytest

from sbmlcrn.studies import robustness as rb


@pytest.mark.slow
def test_ten_thousand_molecules_learn_within_five_percent_of_deterministic() -> None:
    # the issue's target on the authors' linear-regression run; seeds 0-3 (≈ 6 min on 2 cores).
    # Measured with 8 seeds: ratio 0.998 ± 0.013 (s.e.), run-to-run std of the MSE 3.7 %; the
    # mean of seeds 0-3 is 1.008. With 4 runs the standard error is ≈ 1.9 %, so another random
    # stream fails the 5 % margin (2.6 standard errors) with probability ≈ 1 %.
    sd_ = rb.default_study_data("linear-regression")
    res = rb.noise_study(sd_, [10_000], 4, timing=False, workers=2)
    (row,) = res.rows
    assert abs(row["metric_ratio"] - 1.0) < 0.05


@pytest.mark.slow
def test_sensitivity_ranking_on_the_authors_data() -> None:
    sd_ = rb.default_study_data("linear-regression")
    res = rb.rates_study(sd_, [0.05], 4, workers=2)
    groups = {g["group"]: g for g in res.group_ranking}
    # annihilation changes no signed value, and a common error of the z(0) reactions is
    # absorbed by θ exactly: no effect at all (measured ~1e-12); k_fw and k_bw set the
    # effective learning rate (measured +0.0087 each)
    assert abs(groups["k_ann"]["d_metric_d_lnk"]) < 1e-6
    assert abs(groups["k_fx"]["d_metric_d_lnk"]) < 1e-6
    assert groups["k_bw"]["d_metric_d_lnk"] > 1e-3 and groups["k_fw"]["d_metric_d_lnk"] > 1e-3
    # the most influential single reactions are rail-asymmetric backward (update) reactions
    assert res.ranking[0]["rate_group"] == "k_bw"


@pytest.mark.slow
def test_reproduce_sections_quick(tmp_path) -> None:
    lines = rb.reproduce_sections(tmp_path, quick=True, workers=2)
    text = "\n".join(lines)
    assert "molecules per unit" in text and "chemical clock" in text
    for name in rb.REPRODUCE_DIRS:
        assert (tmp_path / name / "report.md").exists()
