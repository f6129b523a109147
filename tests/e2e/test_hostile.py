"""Hostile inputs at scale (slow): 1,000 random mutations of our model through the validator.

The fuzzer and the quick version are in tests/integration/test_hostile.py.
"""

from __future__ import annotations

import pytest

from tests.integration.test_hostile import _fuzz_validate


@pytest.mark.slow
def test_random_mutations_many() -> None:
    outcomes = _fuzz_validate(1000, seed=7)
    print(outcomes)
    assert sum(outcomes.values()) == 1000
