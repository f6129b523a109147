"""The example models in models/ are current and clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbmlcrn.studies.examples import example_models

MODELS = Path(__file__).resolve().parents[2] / "models"


def test_models_are_not_stale() -> None:
    expected = example_models()
    for name, text in expected.items():
        path = MODELS / name
        assert path.exists(), f"models/{name} is missing: run scripts/regenerate_models.py"
        assert path.read_text(encoding="utf-8") == text, (
            f"models/{name} is stale: run scripts/regenerate_models.py"
        )


@pytest.mark.parametrize("name", sorted(n for n in example_models() if n.endswith(".xml")))
def test_models_validate_without_errors_or_warnings(name: str) -> None:
    validate = pytest.importorskip("sbmlcrn.validation")
    report = validate.validate_file(MODELS / name)
    assert report.errors == ()
    assert report.warnings == ()
