"""Sweep grids: exact integers, capped sizes, linear-time parsing."""

from __future__ import annotations

import pytest

from sbmlcrn.errors import InputError
from sbmlcrn.studies.grid import MAX_GRID_RUNS, parse_grid


def test_integers_are_exact_beyond_float_precision() -> None:
    grid = parse_grid("linear-regression", ["seed=9007199254740993"])
    assert grid["seed"] == (9007199254740993,)
    assert parse_grid("linear-regression", ["epochs=1e3"])["epochs"] == (1000,)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("seed=0..100000", "100,001 values"),
        ("epochs=1e308", "must be at most"),
        ("seed=1,2,1", "listed twice"),
        ("epochs=inf", "must be an integer"),
    ],
)
def test_bad_grids_are_refused_with_a_clear_message(item: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_grid("linear-regression", [item])


def test_the_number_of_combinations_is_capped_before_they_are_built() -> None:
    lrs = ",".join(f"{0.001 * i:g}" for i in range(1, 201))
    with pytest.raises(InputError, match=f"combinations; a sweep runs at most {MAX_GRID_RUNS:,}"):
        parse_grid("linear-regression", ["seed=0..99", f"lr={lrs}"])


def test_a_grid_at_the_cap_is_accepted() -> None:
    grid = parse_grid("linear-regression", [f"seed=0..{MAX_GRID_RUNS - 1}"])
    assert grid["seed"] == tuple(range(MAX_GRID_RUNS))
