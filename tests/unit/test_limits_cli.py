"""The guard rails and checkpoint lifecycle the command line calls, without RoadRunner.

``training.limits`` (``--epochs``, ``stats --inputs``, the training CSV's row limit),
``studies.common.check_study_options``, the predictions CSV writer (``io.predictions``),
``training.predictions.select_inputs``, and ``training.resume.CheckpointedRun`` with a fake
training function standing in for the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sbmlcrn.training.resume as resume_module
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import DataError, InputError, SimulationError
from sbmlcrn.io.predictions import predictions_csv, write_predictions
from sbmlcrn.studies.common import check_study_options
from sbmlcrn.training.checkpoint import CheckpointStore, checkpoint_dir, saved_command
from sbmlcrn.training.limits import (
    MAX_DATA_VALUES,
    MAX_EPOCHS,
    MAX_STATS_INPUTS,
    MAX_TRAINING_ROWS,
    check_epochs,
    check_stats_inputs,
)
from sbmlcrn.training.predictions import MissingInputsError, select_inputs
from sbmlcrn.training.resume import CheckpointedRun, TrainingInterrupted

# --------------------------------------------------------------------------- limits


def test_epochs_limit() -> None:
    check_epochs(None)
    check_epochs(MAX_EPOCHS)
    with pytest.raises(InputError) as info:
        check_epochs(MAX_EPOCHS + 1)
    assert str(info.value) == (
        "--epochs 1e+06 is too large; one model holds at most 1,000,000 training steps "
        "(samples x epochs)."
    )


def test_stats_inputs_limits() -> None:
    check_stats_inputs("linear-regression", [1, 2, 1000])
    check_stats_inputs("nonlinear-classification", [90], design="node")
    check_stats_inputs("nonlinear-classification", [1000])  # product units: degree 1 beyond 3
    with pytest.raises(InputError, match=r"^--inputs 100001 is too large; at most 100000\.$"):
        check_stats_inputs("linear-regression", [2, MAX_STATS_INPUTS + 1])
    with pytest.raises(InputError) as info:
        check_stats_inputs("nonlinear-classification", [100], design="node")
    assert str(info.value) == (
        "--inputs 100 would make a nonlinear-classification network of about 2.45e+05 "
        "reactions; stats builds networks of at most 200,000."
    )
    # the gradient changes the estimate: first-order needs half the reactions
    check_stats_inputs("nonlinear-classification", [100], gradient="first-order", design="node")
    with pytest.raises(InputError, match="Did you mean 'linear-regression'"):
        check_stats_inputs("linear-regresion", [2])


def test_training_rows_limit(tmp_path: Path) -> None:
    assert MAX_TRAINING_ROWS == MAX_DATA_VALUES // 2
    path = tmp_path / "big.csv"
    lines = ["x1,y"] + [f"{i},{i}" for i in range(MAX_TRAINING_ROWS + 1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"has more than 15,000 data rows"):
        CheckpointedRun(tmp_path / "out").read_data(path)
    # runs without checkpoint (stochastic, chemical clock) read without the limit
    data = CheckpointedRun(tmp_path / "out", checkpoint=False).read_data(path)
    assert len(data) == MAX_TRAINING_ROWS + 1


def test_study_options() -> None:
    check_study_options(workers=None, runs=1)
    with pytest.raises(InputError, match=r"^--workers must be at least 1\. Got 0\.$"):
        check_study_options(workers=0, runs=0)
    with pytest.raises(InputError, match=r"^--runs must be at least 1\. Got 0\.$"):
        check_study_options(workers=2, runs=0)


# --------------------------------------------------------------------------- predictions


def test_predictions_csv_format(tmp_path: Path) -> None:
    values = np.array([[0.1, 2.0], [1e-20, -3.5]])
    text = predictions_csv(("a", "b"), values, np.array([0.30000000000000004, 2.0]))
    assert text == "a,b,prediction\n0.1,2.0,0.30000000000000004\n1e-20,-3.5,2.0\n"
    labels = predictions_csv(["a", "b"], values, np.array([1.0, 0.0]), integer=True)
    assert labels.splitlines()[1:] == ["0.1,2.0,1", "1e-20,-3.5,0"]
    out = write_predictions(tmp_path / "p.csv", ["a", "b"], values, np.zeros(2), integer=True)
    assert out.read_text(encoding="utf-8") == "a,b,prediction\n0.1,2.0,0\n1e-20,-3.5,0\n"


def test_select_inputs_by_name() -> None:
    table = Dataset(("y", "x2", "x1"), np.array([[9.0, 2.0, 1.0], [8.0, 4.0, 3.0]]))
    np.testing.assert_array_equal(select_inputs(("x1", "x2"), table), [[1.0, 2.0], [3.0, 4.0]])
    array = np.ones((2, 2))
    assert select_inputs(("x1", "x2"), array) is array  # an array is already in model order
    with pytest.raises(MissingInputsError) as info:
        select_inputs(("x1", "x3", "x4"), table)
    assert info.value.missing == ["x3", "x4"]
    assert isinstance(info.value, DataError)
    assert str(info.value) == (
        "The x parameter of predict must hold the columns ['x1', 'x3', 'x4']. "
        "Got a DataFrame without ['x3', 'x4']."
    )


def test_select_inputs_from_a_dataframe() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"name": ["a", "b"], "x2": [2, 4], "x1": [1.0, 3.0]})
    got = select_inputs(("x1", "x2"), frame)
    assert got.dtype == float
    np.testing.assert_array_equal(got, [[1.0, 2.0], [3.0, 4.0]])


# --------------------------------------------------------------------------- checkpoints


def test_resume_refusals(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^--resume continues deterministic runs"):
        CheckpointedRun(tmp_path / "out", resume=tmp_path / "out", checkpoint=False)
    with pytest.raises(InputError) as info:
        CheckpointedRun("out", resume="elsewhere")
    assert str(info.value) == (
        "--resume elsewhere and --out out differ; --resume takes the --out of the interrupted run."
    )
    run = CheckpointedRun(tmp_path / "out", resume=tmp_path / "sub" / ".." / "out")
    assert run.resuming and run.path == checkpoint_dir(tmp_path / "out")
    assert not CheckpointedRun(tmp_path / "out").resuming


def test_saved_command(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"holds no checkpoint \(command\.json is missing\)"):
        saved_command(out)
    store = CheckpointStore(checkpoint_dir(out))
    store.path.mkdir()
    for bad in ("{", '{"a": 1}', "[]", '["train", 2]'):
        (store.path / "command.json").write_text(bad, encoding="utf-8")
        with pytest.raises(InputError, match=r"command\.json: is not a"):
            saved_command(out)
    store.write_json("command.json", ["train", "linear-regression"])
    assert saved_command(out) == ["train", "linear-regression"]


def _fake_train(store_state: bool, error: BaseException | None) -> Any:
    """A stand-in for the pipeline's train: stores a checkpoint state, then fails or returns."""

    def train(circuit: str, data: Any, *, checkpoint: CheckpointStore, **options: Any) -> Any:
        assert checkpoint.command == ["train", circuit]
        if store_state:
            checkpoint.path.mkdir(parents=True, exist_ok=True)
            (checkpoint.path / "state.npz").write_bytes(b"state")
            checkpoint.completed, checkpoint.total = 1, 3
        if error is not None:
            raise error
        return "run"

    return train


@pytest.mark.parametrize(
    ("stored", "error", "resume", "raised", "kept"),
    [
        pytest.param(True, KeyboardInterrupt(), False, TrainingInterrupted, True, id="ctrl-c"),
        pytest.param(False, KeyboardInterrupt(), False, TrainingInterrupted, False, id="ctrl-c-0"),
        pytest.param(True, SimulationError("x"), False, SimulationError, False, id="failed"),
        pytest.param(True, InputError("x"), False, InputError, False, id="input-error"),
        pytest.param(True, InputError("x"), True, InputError, True, id="resume-input-error"),
        pytest.param(True, OSError(28, "full"), False, OSError, True, id="full-disk"),
    ],
)
def test_checkpoint_lifecycle(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    stored: bool,
    error: BaseException,
    resume: bool,
    raised: type[BaseException],
    kept: bool,
) -> None:
    out = tmp_path / "out"
    monkeypatch.setattr(resume_module, "train", _fake_train(stored, error))
    run = CheckpointedRun(out, resume=out if resume else None, command=["train", "c"])
    with pytest.raises(raised) as info:
        run.train("c", None)
    assert run.store.exists() is kept
    if isinstance(info.value, TrainingInterrupted):
        assert info.value.resumable is kept
        assert (info.value.completed, info.value.total) == ((1, 3) if kept else (None, None))
        assert isinstance(info.value, KeyboardInterrupt)


def test_checkpoint_removed_once_saved(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "out"
    saved: list[tuple[Any, ...]] = []
    monkeypatch.setattr(resume_module, "train", _fake_train(True, None))
    monkeypatch.setattr(resume_module, "save_run", lambda *a, **k: saved.append(a) or out)
    run = CheckpointedRun(out, command=["train", "c"])
    assert run.train("c", None) == "run"
    assert run.store.exists()
    assert run.save("run") == out
    assert saved == [("run", out)] and not run.store.exists()


def test_without_checkpoint_train_is_plain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def train(circuit: str, data: Any, **options: Any) -> Any:
        calls.append(options)
        raise KeyboardInterrupt

    monkeypatch.setattr(resume_module, "train", train)
    run = CheckpointedRun(tmp_path / "out", checkpoint=False)
    with pytest.raises(KeyboardInterrupt) as info:
        run.train("c", None, seed=3)
    assert not isinstance(info.value, TrainingInterrupted)
    assert calls == [{"seed": 3}]  # no checkpoint option
