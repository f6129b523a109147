"""How reproduce scores a classifier: never fooled by a constant one."""

from __future__ import annotations

import numpy as np
import pytest

from sbmlcrn.studies.reproduce import ReproRow
from sbmlcrn.studies.scores import classification_scores


def test_a_constant_classifier_scores_its_baseline_and_half_balanced() -> None:
    truth = np.array([1.0] * 79 + [0.0] * 21)
    s = classification_scores(np.ones(100), truth)
    assert s.value == pytest.approx(0.79)
    assert s.baseline == pytest.approx(0.79)
    assert s.balanced == pytest.approx(0.5)


def test_balanced_accuracy_is_the_mean_recall() -> None:
    truth = np.array([0, 0, 0, 0, 1, 1], dtype=float)
    pred = np.array([0, 0, 0, 1, 1, 0], dtype=float)
    s = classification_scores(pred, truth)
    assert s.value == pytest.approx(4 / 6)
    assert s.balanced == pytest.approx(0.5 * (3 / 4 + 1 / 2))
    assert s.baseline == pytest.approx(4 / 6)


def _row(values: tuple[float, ...], baseline: tuple[float, ...] = ()) -> ReproRow:
    return ReproRow(
        slug="r", experiment="e", settings="authors'", metric="val accuracy", authors=0.79,
        values=values, seeds=tuple(range(len(values))), deviation=0.0, seconds=0.0,
        higher_is_better=True, baseline=baseline,
    )  # fmt: skip


def test_a_row_at_its_baseline_never_meets_the_authors() -> None:
    assert _row((0.80, 0.80)).meets is True
    assert _row((0.80, 0.80), baseline=(0.80, 0.80)).meets is False
    assert _row((0.80, 0.80), baseline=(0.80, 0.80)).within_std is False


def test_within_one_standard_deviation() -> None:
    row = _row((0.70, 0.80), baseline=(0.5, 0.5))  # mean 0.75 ± 0.05, authors 0.79
    assert row.meets is False and row.within_std is True
    assert _row((0.70, 0.72), baseline=(0.5, 0.5)).within_std is False
