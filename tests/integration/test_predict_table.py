"""Prediction on tables: ``predict_table`` (what ``sbmlcrn predict`` prints) and
``TrainingRun.predict`` share the choice of input columns and agree with each other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.training.predictions import Predictions, predict_table
from sbmlcrn.training.store import load_model, load_run
from tests.helpers import tiny_training


def _write(path: Path, header: list[str], rows: np.ndarray) -> Path:
    lines = [",".join(header)] + [",".join(repr(float(v)) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("circuit", ["linear-regression", "nonlinear-classification"])
def test_predict_table_keeps_the_columns_and_matches_run_predict(
    tmp_path: Path, tiny_run, circuit: str
) -> None:
    run_dir = tiny_run(circuit)
    run = load_run(run_dir)
    x = tiny_training(circuit)[0].x[:6]  # inputs in the range the model was trained on
    # the inputs in another order, with an extra column the model ignores
    table = np.column_stack([x[:, 1], np.arange(len(x), dtype=float), x[:, 0]])
    path = _write(tmp_path / "new.csv", ["x2", "extra", "x1"], table)
    result = predict_table(load_model(run_dir), path)
    assert isinstance(result, Predictions) and len(result) == len(x)
    assert result.columns == ("x2", "extra", "x1")
    np.testing.assert_array_equal(result.values, table)
    np.testing.assert_array_equal(result.predictions, run.predict(x))
    assert result.integer is (circuit.endswith("classification"))
    lines = result.to_csv().splitlines()
    assert lines[0] == "x2,extra,x1,prediction"
    if result.integer:
        assert {line.rsplit(",", 1)[1] for line in lines[1:]} <= {"0", "1"}
    # a Dataset predicts the same, and TrainingRun.predict accepts one too
    data = Dataset(("x2", "extra", "x1"), table, name="mem")
    np.testing.assert_array_equal(predict_table(run.model, data).predictions, result.predictions)
    np.testing.assert_array_equal(run.predict(data), result.predictions)
    written = result.write(tmp_path / "out" / "p.csv")
    assert written.read_text(encoding="utf-8") == result.to_csv()


def test_missing_columns_messages(tmp_path: Path, linear_regression_run: Path) -> None:
    pd = pytest.importorskip("pandas")
    run = load_run(linear_regression_run)
    path = _write(tmp_path / "x1.csv", ["x1", "y"], np.ones((2, 2)))
    with pytest.raises(InputError) as info:
        predict_table(run.model, path)
    assert str(info.value) == f"{path}: lacks the input columns ['x2'] the model was trained on."
    with pytest.raises(InputError, match=r"^mem: lacks the input columns \['x2'\]"):
        predict_table(run.model, Dataset(("x1",), np.ones((2, 1)), name="mem"))
    with pytest.raises(DataError) as info:
        run.predict(pd.DataFrame({"x1": [1.0]}))
    assert str(info.value) == (
        "The x parameter of predict must hold the columns ['x1', 'x2']. "
        "Got a DataFrame without ['x2']."
    )
    frame = pd.DataFrame({"x2": [1.0, 2.0], "label": ["a", "b"], "x1": [0.5, 0.0]})
    np.testing.assert_array_equal(run.predict(frame), run.predict([[0.5, 1.0], [0.0, 2.0]]))
