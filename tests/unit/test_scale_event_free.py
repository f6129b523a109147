"""The event-free form of a large ``phases`` run, without RoadRunner: when it is chosen, what
its model and record hold, and the messages that name ``--engine phases``."""

from __future__ import annotations

import numpy as np
import pytest

import sbmlcrn.training.limits as limits
from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.registry import circuit_spec, family_of
from sbmlcrn.cli.train import _phases_hint
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.io.record import EVENT_FREE_SECTION
from sbmlcrn.io.sbml import to_antimony, to_sbml
from sbmlcrn.training.limits import (
    MAX_DATA_VALUES,
    MAX_EVENT_MODEL_DATA_VALUES,
    MAX_PHASES_DATA_VALUES,
    MAX_TRAINING_ROWS,
    check_size,
    event_model_fits,
)
from sbmlcrn.training.transforms import FORM_SECTION, SCHEDULE_FILE, prepare


def _data(n: int, d: int = 2) -> Dataset:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, d))
    y = x @ rng.uniform(-2.0, 2.0, size=d) + 0.1 * rng.normal(size=n)
    return Dataset(tuple(f"x{i + 1}" for i in range(d)), x, y, "y", name="big")


def _compiled(n: int):
    spec = circuit_spec("linear-regression")
    config = spec.check_config(LinearConfig(epochs=2))
    return family_of(config).compile(spec.task, _data(n), config)


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> int:
    """An event model of at most 30 data values (10 samples of 2 inputs)."""
    import sbmlcrn.training.transforms as transforms

    monkeypatch.setattr(limits, "MAX_EVENT_MODEL_DATA_VALUES", 30)
    monkeypatch.setattr(transforms, "MAX_EVENT_MODEL_DATA_VALUES", 30)
    return 30


def test_threshold_is_the_events_engine_limit() -> None:
    assert MAX_EVENT_MODEL_DATA_VALUES == MAX_DATA_VALUES
    assert event_model_fits(10_000, 2)  # 30,000 values: the event model, as before
    assert not event_model_fits(10_001, 2)
    assert FORM_SECTION == EVENT_FREE_SECTION  # the io layer's copy of the name


def test_below_the_threshold_nothing_changes() -> None:
    compiled = _compiled(10)
    for engine in ("events", "phases"):
        model = prepare(compiled, engine=engine)
        assert model.sbml == to_sbml(compiled.network)
        assert model.antimony == to_antimony(compiled.network)
        assert FORM_SECTION not in model.sections


def test_phases_above_the_threshold_gets_the_event_free_form(small_threshold: int) -> None:
    compiled = _compiled(12)
    model = prepare(compiled, engine="phases")
    assert "<event" not in model.sbml and "listOfEvents" not in model.sbml
    assert "at (" not in model.antimony  # no Antimony events
    for gate in ("g_fwd", "g_bwd"):
        assert gate in model.sbml
    form = model.sections[FORM_SECTION]
    assert form["form"] == "event-free"
    assert form["data_values"] == 36 and form["max_event_model_data_values"] == small_threshold
    assert form["schedule_file"] == SCHEDULE_FILE and form["schedule_rows"] == 12
    assert form["schedule_columns"] == ["x1_p", "x1_m", "x2_p", "x2_m", "e_p", "e_m"]
    assert form["phase_gates"] == {"fwd": ["g_fwd"], "bwd": ["g_bwd"]}
    assert "Event-free form" in model.antimony
    assert len(model.error_times) == 24 and len(model.epoch_times) == 2


@pytest.mark.parametrize(
    ("options", "named"),
    [({"engine": "events"}, "engine='events'"), ({"engine": "gillespie", "molecules": 100}, "")],
)
def test_other_engines_above_the_threshold_are_refused(
    small_threshold: int, options: dict, named: str
) -> None:
    with pytest.raises(InputError, match=r"must be 'phases' \(--engine phases\)") as info:
        prepare(_compiled(12), **options)
    assert named in str(info.value)


def test_check_size_names_the_phases_engine() -> None:
    config = circuit_spec("linear-regression").check_config(LinearConfig(epochs=1))
    big = _data(MAX_DATA_VALUES // 3 + 1)
    with pytest.raises(InputError, match=r"--engine phases.*300,000"):
        check_size("linear-regression", big, config)
    with pytest.raises(InputError) as info:  # gillespie: no hint (phases is deterministic)
        check_size("linear-regression", big, config, engine="gillespie")
    assert "--engine phases" not in str(info.value)
    check_size("linear-regression", big, config, engine="phases")
    huge = _data(MAX_PHASES_DATA_VALUES // 3 + 1)
    with pytest.raises(InputError) as info:  # beyond the phases engine too: no hint
        check_size("linear-regression", huge, config)
    assert "--engine phases" not in str(info.value)


def test_the_cli_row_limit_names_the_phases_engine(tmp_path) -> None:
    from sbmlcrn.core.data import read_csv

    path = tmp_path / "big.csv"
    rows = "\n".join(f"{i},{i % 7},{i % 3}" for i in range(MAX_TRAINING_ROWS + 1))
    path.write_text("x1,x2,y\n" + rows + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_csv(path, target="y", min_rows=2, max_rows=MAX_TRAINING_ROWS)
    hint = _phases_hint(info.value)
    assert hint is not None and "--engine phases" in str(hint)
    assert str(info.value) in str(hint)
    assert _phases_hint(DataError("big.csv: line 3 has 2 cells but the header has 3.")) is None
    assert _phases_hint(KeyboardInterrupt()) is None
