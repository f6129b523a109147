"""Property-based tests at scale (slow): the properties of tests/integration/test_properties.py
run hundreds to thousands of times each (``python -m pytest -m slow tests/e2e/test_properties.py
-s`` prints how many cases each ran). The strategies and the properties themselves live in the
integration module; the default set runs a few dozen examples of each there.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.integration.test_properties import (
    CASES,
    _prop_cli_train,
    _prop_cli_validate,
    _prop_config,
    _prop_csv,
    _prop_linear_any,
    _prop_linear_trains,
    _prop_nonlinear_trains,
    _prop_xml,
    classification_sets,
    cli_train_cases,
    config_cases,
    csv_texts,
    linear_configs,
    many,
    regression_sets,
    xml_inputs,
)


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    before = Counter(CASES)
    yield
    ran = CASES - before
    if ran:
        print("\nproperty-based cases run:", dict(ran), "total", sum(ran.values()))


test_linear_any_config_many = pytest.mark.slow(
    many(600)(given(regression_sets(12, 4), linear_configs(valid=False))(_prop_linear_any))
)


test_linear_trains_many = pytest.mark.slow(
    many(600)(given(regression_sets(12, 4), linear_configs(), st.just("regression"))(
        _prop_linear_trains
    ))
)  # fmt: skip


test_classification_trains_many = pytest.mark.slow(
    many(200)(given(classification_sets(12, 3), linear_configs(), st.just("classification"))(
        _prop_linear_trains
    ))
)  # fmt: skip


test_nonlinear_trains_many = pytest.mark.slow(
    many(60)(
        given(
            classification_sets(8, 2),
            st.integers(1, 2),
            st.integers(0, 1000),
            st.sampled_from(["exact", "first-order"]),
        )(_prop_nonlinear_trains)
    )
)


test_csv_text_many = pytest.mark.slow(many(2000)(given(csv_texts)(_prop_csv)))


test_config_values_many = pytest.mark.slow(many(800)(config_cases(_prop_config)))


test_xml_bytes_many = pytest.mark.slow(many(2000)(given(xml_inputs())(_prop_xml)))


test_cli_train_options_many = pytest.mark.slow(many(300)(cli_train_cases(_prop_cli_train)))


test_cli_validate_fuzz_many = pytest.mark.slow(many(300)(given(xml_inputs())(_prop_cli_validate)))
