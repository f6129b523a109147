"""COPASI cross-checks of larger runs (slow): 1,000 samples × 20 epochs, the nonlinear circuits.

The helpers and the smaller cross-checks are in tests/integration/test_copasi.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sbmlcrn.core.data import read_csv
from sbmlcrn.io.copasi import crosscheck
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.store import save_run
from tests.helpers import linear_data

pytest.importorskip("basico")

from tests.integration.test_copasi import EXAMPLES, _train, assert_agrees


@pytest.mark.slow
def test_crosscheck_1000_samples_20_epochs(tmp_path: Path) -> None:
    data, _, _ = linear_data(1000, 2, seed=3, noise=0.1)
    report = crosscheck(_train(tmp_path, "linear-regression", data, 20))
    assert_agrees(report)
    assert not report.messages


@pytest.mark.slow
@pytest.mark.parametrize("circuit", ["nonlinear-regression", "nonlinear-classification"])
def test_crosscheck_nonlinear(circuit: str, tmp_path: Path) -> None:
    from sbmlcrn.circuits.registry import CIRCUITS

    if circuit not in CIRCUITS:
        pytest.skip(f"{circuit} is not available")
    name = "linreg_train.csv" if circuit.endswith("regression") else "cls_train.csv"
    run = train(circuit, read_csv(EXAMPLES / name))
    report = crosscheck(save_run(run, tmp_path / "run", plots=False))
    assert report.tolerance == 1e-4
    assert_agrees(report, 1e-4)
