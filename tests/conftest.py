"""Shared fixtures: one tiny trained run per circuit, trained once per test session.

Each run is a handful of samples × 2 epochs (all five train in a few seconds together) and is
saved, without plots, into its own temporary directory: ``model.xml``, ``model.ant`` and
``result.json``. Request a run by its fixture (``linear_regression_run`` …) or, in a test
parametrised over circuits, with ``tiny_run(circuit)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import tiny_training


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``tiny_run(circuit)``: the directory of a tiny trained run of ``circuit`` (cached)."""
    done: dict[str, Path] = {}

    def get(circuit: str) -> Path:
        if circuit not in done:
            from sbmlcrn.training.pipeline import train
            from sbmlcrn.training.store import save_run

            data, config = tiny_training(circuit)
            run = train(circuit.partition("@")[0], data, config=config)
            out = tmp_path_factory.mktemp(circuit.replace("@", "-")) / "run"
            done[circuit] = save_run(run, out, plots=False)
        return done[circuit]

    return get


@pytest.fixture(scope="session")
def linear_regression_run(tiny_run: Callable[[str], Path]) -> Path:
    """A tiny trained linear-regression run directory."""
    return tiny_run("linear-regression")


@pytest.fixture(scope="session")
def linear_classification_run(tiny_run: Callable[[str], Path]) -> Path:
    """A tiny trained linear-classification run directory."""
    return tiny_run("linear-classification")


@pytest.fixture(scope="session")
def nonlinear_regression_run(tiny_run: Callable[[str], Path]) -> Path:
    """A tiny trained nonlinear-regression run directory."""
    return tiny_run("nonlinear-regression")


@pytest.fixture(scope="session")
def nonlinear_classification_run(tiny_run: Callable[[str], Path]) -> Path:
    """A tiny trained nonlinear-classification run directory."""
    return tiny_run("nonlinear-classification")


@pytest.fixture(scope="session")
def nonlinear_multiclass_run(tiny_run: Callable[[str], Path]) -> Path:
    """A tiny trained nonlinear-multiclass run directory."""
    return tiny_run("nonlinear-multiclass")
