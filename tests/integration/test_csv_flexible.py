"""Flexible CSV input (issue 17, friction 5): ``--features`` / ``--drop``, a non-numeric column
refused with a ``--drop`` hint, text class labels (mapped in sorted order, recorded in
``result.json``, predicted back as text) and test files with extra columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.core.data import read_csv, read_table, read_test
from sbmlcrn.errors import DataError, InputError
from sbmlcrn.io.record import RunRecord
from sbmlcrn.training.store import load_run
from tests.helpers import run_cli

#: Entries of a record that differ between two trainings of the same data (clock, machine).
_VOLATILE = {"timings", "software", "created"}


def _samples(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Separable points: class 1 where x1 + 2 x2 > 3 (x ~ U(0, 2)²), both classes present."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 2.0, size=(n, 2))
    y = (x[:, 0] + 2.0 * x[:, 1] > 3.0).astype(int)
    y[:2] = [0, 1]
    x[0], x[1] = [0.2, 0.3], [1.8, 1.7]
    return x, y


def _write(path: Path, n: int, seed: int, *, labels: tuple[str, str] | None, extra: bool = False):
    """A CSV with a sample-ID column, x1, x2, the target (``labels`` text or 0/1) and
    optionally a text column the model never reads."""
    x, y = _samples(n, seed)
    head = ["id", "x1", "x2", "status"] + (["note"] if extra else [])
    lines = [",".join(head)]
    for i in range(n):
        target = labels[y[i]] if labels else str(y[i])
        row = [f"S{i:03d}", repr(float(x[i, 0])), repr(float(x[i, 1])), target]
        lines.append(",".join(row + (["seen twice"] if extra else [])))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _train(capsys, tmp_path: Path, data: Path, out: str, *extra: object) -> tuple[int, str, str]:
    return run_cli(
        capsys,
        "train",
        "linear-classification",
        "--data",
        data,
        "--target",
        "status",
        "--epochs",
        "2",
        "--out",
        tmp_path / out,
        "--quiet",
        *extra,
    )


def test_an_id_column_is_refused_with_the_drop_hint_then_dropped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = _write(tmp_path / "train.csv", 10, 0, labels=None)
    code, _, err = _train(capsys, tmp_path, data, "run")
    assert code == 2
    assert err.strip() == (
        f"error: {data}: column 'id' is not numeric ('S000' on line 2); drop it with --drop id "
        "(drop=['id'] in Python)."
    )
    assert not (tmp_path / "run").exists()
    code, _, err = _train(capsys, tmp_path, data, "run", "--drop", "id")
    assert code == 0, err
    assert json.loads((tmp_path / "run" / "result.json").read_text())["inputs"] == ["x1", "x2"]


def test_features_pick_the_inputs_and_options_are_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = _write(tmp_path / "train.csv", 10, 0, labels=None)
    code, _, err = _train(capsys, tmp_path, data, "run", "--features", "x2")
    assert code == 0, err
    record = json.loads((tmp_path / "run" / "result.json").read_text())
    assert record["inputs"] == ["x2"] and record["target"] == "status"
    cases = [
        (["--features", "x1", "--drop", "id"], r"not allowed with"),
        (
            ["--features", "x1", "zz"],
            r"'zz', which is not a column \(columns: id, x1, x2, status\)",
        ),
        (["--drop", "nope"], r"--drop names 'nope'"),
        (["--features", "x1", "status"], r"target is never an input"),
        (["--features", "x1", "id"], r"column 'id' is not numeric.*leave it out of --features"),
    ]
    for options, pattern in cases:
        code, _, err = _train(capsys, tmp_path, data, "bad", *options)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert re.search(pattern, err), err
    assert not (tmp_path / "bad").exists()


def test_text_labels_train_record_predict_and_load(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = _write(tmp_path / "train.csv", 12, 0, labels=("normal", "tumor"))
    test = _write(tmp_path / "test.csv", 6, 1, labels=("normal", "tumor"), extra=True)
    code, out, err = _train(capsys, tmp_path, data, "run", "--drop", "id", "--test", test)
    assert code == 0, err
    assert "0 = normal, 1 = tumor" in out
    record = json.loads((tmp_path / "run" / "result.json").read_text())
    assert record["class_labels"] == ["normal", "tumor"]
    assert record["test"]["n"] == 6
    run = load_run(tmp_path / "run")
    assert run.class_labels == ("normal", "tumor") == run.model.class_labels
    assert run.model.class_name(1.0) == "tumor"
    # predict: the text columns come back as they were, the prediction as a label
    code, out, err = run_cli(capsys, "predict", tmp_path / "run", "--data", test)
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["id", "x1", "x2", "status", "note", "prediction"]
    assert [r[0] for r in rows[1:]] == [f"S{i:03d}" for i in range(6)]
    assert {r[5] for r in rows[1:]} <= {"normal", "tumor"}
    as_text = run.predict(np.array([[float(r[1]), float(r[2])] for r in rows[1:]]))
    assert [r[5] for r in rows[1:]] == list(as_text)  # run.predict answers in the labels too
    code, out, err = run_cli(
        capsys, "predict", tmp_path / "run", "--data", test, "--drop", "note", "x1"
    )
    assert code == 0, err
    assert out.splitlines()[0] == "id,x2,status,prediction"
    # the record round-trips, and a label the training data lacks is refused in a test file
    again = RunRecord.from_dict(record, "result.json").to_dict()
    assert again["class_labels"] == ["normal", "tumor"]
    odd = tmp_path / "odd.csv"
    odd.write_text("x1,x2,status\n1,1,benign\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"'benign' .* not one of the training labels"):
        read_test(odd, read_csv(data, target="status", drop=["id"], labels=True))


def test_numeric_labels_keep_the_record_and_text_labels_only_add_their_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    numeric = _write(tmp_path / "numeric.csv", 10, 2, labels=None)
    text = _write(tmp_path / "text.csv", 10, 2, labels=("a-neg", "b-pos"))  # sorted as 0, 1
    for data, out in ((numeric, "num"), (text, "txt")):
        code, _, err = _train(capsys, tmp_path, data, out, "--drop", "id")
        assert code == 0, err
    num = json.loads((tmp_path / "num" / "result.json").read_text())
    txt = json.loads((tmp_path / "txt" / "result.json").read_text())
    assert "class_labels" not in num
    keys = list(txt)
    keys.remove("class_labels")
    assert keys == list(num)
    assert list(txt).index("class_labels") == list(txt).index("classes") + 1
    for key in set(num) - _VOLATILE:
        assert txt[key] == num[key], key
    # the numeric record re-serialises to the same dict (no key added by reading it)
    assert RunRecord.from_dict(num, "num").to_dict() == num
    assert load_run(tmp_path / "num").class_labels == ()


def test_regression_refuses_a_text_target(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    data = _write(tmp_path / "train.csv", 6, 0, labels=("no", "yes"))
    code, _, err = run_cli(
        capsys, "train", "linear-regression", "--data", data, "--target", "status",
        "--drop", "id", "--out", tmp_path / "run", "--quiet",
    )  # fmt: skip
    assert code == 2
    assert "target column 'status' is not numeric ('no' on line 2)" in err
    assert "classification circuits only" in err


def test_test_file_with_extra_columns_is_read_by_name(tmp_path: Path) -> None:
    train = read_csv(_write(tmp_path / "train.csv", 6, 0, labels=None), target="status",
                     drop=["id"])  # fmt: skip
    test = tmp_path / "test.csv"
    test.write_text("status,extra,x2,id,x1\n1,text,2.0,S1,0.5\n0,more,0.1,S2,1.5\n")
    got = read_test(test, train)
    assert got.features == ("x1", "x2")
    np.testing.assert_array_equal(got.x, [[0.5, 2.0], [1.5, 0.1]])
    np.testing.assert_array_equal(got.y, [1.0, 0.0])
    short = tmp_path / "short.csv"
    short.write_text("status,x1\n1,0.5\n")
    with pytest.raises(DataError, match=r"lacks the input columns \['x2'\] the model is trained"):
        read_test(short, train)
    table = read_table(test, required=("x1", "x2"))
    assert table.columns == ("status", "extra", "x2", "id", "x1") and len(table) == 2
    assert table.text == {"extra": ("text", "more"), "id": ("S1", "S2")}


def test_multiclass_text_labels_are_sorted_and_records_check_their_count(tmp_path: Path) -> None:
    path = tmp_path / "rings.csv"
    path.write_text("a,b,ring\n0.1,0.2,outer\n0.5,0.5,core\n0.3,0.4,middle\n0.9,0.9,outer\n")
    data = read_csv(path, target="ring", labels=True)
    assert data.class_labels == ("core", "middle", "outer")
    np.testing.assert_array_equal(data.y, [2.0, 0.0, 1.0, 2.0])
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("a,y\n1,2\n2,0\n")
    plain = read_csv(numbers, labels=True)  # numeric labels: read as before
    assert plain.class_labels == () and list(plain.y) == [2.0, 0.0]


def test_records_check_the_class_labels(
    linear_regression_run: Path, linear_classification_run: Path
) -> None:
    classifier = json.loads((linear_classification_run / "result.json").read_text())
    ok = RunRecord.from_dict({**classifier, "class_labels": ["no", "yes"]}, "r.json")
    assert ok.class_labels == ("no", "yes")
    with pytest.raises(InputError, match=r"'class_labels' entry must name the 2 classes"):
        RunRecord.from_dict({**classifier, "class_labels": ["a", "b", "c"]}, "r.json")
    with pytest.raises(InputError, match=r"'class_labels' entry must be a list of distinct"):
        RunRecord.from_dict({**classifier, "class_labels": ["a", "a"]}, "r.json")
    regression = json.loads((linear_regression_run / "result.json").read_text())
    with pytest.raises(InputError, match=r"belongs to classifiers"):
        RunRecord.from_dict({**regression, "class_labels": ["a", "b"]}, "r.json")


def test_predict_output_of_a_numeric_table_is_unchanged_and_text_kept_verbatim(
    tmp_path: Path, linear_regression_run: Path
) -> None:
    from sbmlcrn.io.predictions import predictions_csv
    from sbmlcrn.training.predictions import predict_table
    from sbmlcrn.training.store import load_model

    model = load_model(linear_regression_run)
    path = tmp_path / "new.csv"
    path.write_text("x2,y,x1\n1,2.50,0.5\n1e-3,7,-1\n")
    got = predict_table(model, path)
    table = read_csv(path, target=None, require_target=False)  # what predict read before
    assert got.to_csv() == predictions_csv(table.features, table.x, got.predictions)
    ids = tmp_path / "ids.csv"
    ids.write_text("id,x2,x1\n001,1,0.5\nA03,1e-3,-1\n")
    lines = predict_table(model, ids).to_csv().splitlines()
    assert [line.split(",")[0] for line in lines] == ["id", "001", "A03"]


def test_python_train_maps_text_labels_and_predicts_text(tmp_path) -> None:
    """``sbmlcrn.train`` reads text labels as the CLI does; ``run.predict`` answers in them."""
    import sbmlcrn

    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    labels = np.where(x[:, 0] + x[:, 1] > 0, "tumor", "normal")
    path = tmp_path / "t.csv"
    rows = ["a,b,diagnosis", *(f"{u},{v},{t}" for (u, v), t in zip(x, labels, strict=True))]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = sbmlcrn.train("linear-classification", path, target="diagnosis", epochs=3, test=path)
    assert run.model.class_labels == ("normal", "tumor")
    predicted = run.predict(x)
    assert set(predicted) <= {"normal", "tumor"}
    assert run.test is not None and np.mean(predicted == labels) == run.test["accuracy"]
