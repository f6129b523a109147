"""The run record (``result.json``): round trip, stable bytes, versions and every refusal.

Records are built by hand here (no training, no RoadRunner).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sbmlcrn.errors import InputError
from sbmlcrn.io import record as record_mod
from sbmlcrn.io.record import (
    RECORD_VERSION,
    RunRecord,
    read_record,
    read_record_bytes,
    record_from_json,
    record_to_json,
    write_record,
)

#: The keys of ``result.json`` in the order the training run has always written them.
KEYS = [
    "circuit", "task", "inputs", "target", "parameters", "parameter_species",
    "training_end_time", "reference_parameters", "max_abs_deviation", "train_loss",
    "reference_train_loss", "test", "effective_model", "classes", "config", "feature_map",
    "network", "schedule", "engine", "timings", "software",
]  # fmt: skip


def result(**changes: Any) -> dict[str, Any]:
    """A linear-regression ``result.json`` as the training run writes it (no version)."""
    data: dict[str, Any] = {
        "circuit": "linear-regression",
        "task": "regression",
        "inputs": ["x1", "x2"],
        "target": "y",
        "parameters": {"x1": -0.5877680632870026, "x2": -0.0671033495433167, "offset": 0.1},
        "parameter_species": {
            "x1": ["p1_p", "p1_m"],
            "x2": ["p2_p", "p2_m"],
            "offset": ["pb_p", "pb_m"],
        },
        "training_end_time": 246.0,
        "reference_parameters": {"x1": -0.58776806328717, "x2": -0.06710334954, "offset": 0.1},
        "max_abs_deviation": 3.5227376571356217e-13,
        "train_loss": [0.2950863302210157, 0.03068731301830561],
        "reference_train_loss": [0.2950863302210513, 0.030687313018338006],
        "test": {"mse": 0.01, "n": 41},
        "effective_model": {"coef": {"x1": 1.1, "x2": 2.0}, "intercept": 0.47},
        "classes": [],
        "config": {"horizon": 1.0, "lr": 0.03, "epochs": 2, "init": [0.01, -0.01, 0.06]},
        "feature_map": {
            "mean": [3.36, 3.15],
            "scale": [1.01, 1.24],
            "augmentation": 1.0,
            "target_mean": 10.57,
            "target_scale": 2.71,
        },
        "network": {"species": 14, "reactions": 34, "events": 3, "parameters": 12},
        "schedule": {
            "samples": 41,
            "epochs": 2,
            "period": 2.0,
            "phases": [{"name": "fwd", "duration": 1.0}, {"name": "bwd", "duration": 1.0}],
        },
        "engine": "events",
        "timings": {"build_s": 0.038, "simulate_s": 0.18},
        "software": {"sbmlcrn": "0.1.0", "python": "3.11.7"},
    }
    data.update(changes)
    return data


def dumped(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2) + "\n"


# --------------------------------------------------------------------------- round trip


def test_round_trip_keeps_order_and_values() -> None:
    data = result()
    record = RunRecord.from_dict(data)
    out = record.to_dict()
    assert list(out) == ["record_version", *KEYS]
    assert out == {"record_version": RECORD_VERSION} | data
    assert RunRecord.from_dict(out) == record
    assert record.inputs == ("x1", "x2")
    assert record.parameter_species["x1"] == ("p1_p", "p1_m")
    assert isinstance(out["test"]["n"], int)  # an int stays an int


def test_json_text_is_todays_format_and_byte_stable(tmp_path: Path) -> None:
    data = result()
    record = RunRecord.from_dict(data)
    text = record_to_json(record)
    assert text == dumped({"record_version": 1} | data)
    path = write_record(record, tmp_path)
    assert path == tmp_path / "result.json"
    first = path.read_bytes()
    assert write_record(read_record(tmp_path), tmp_path / "again.json").read_bytes() == first
    again, raw = read_record_bytes(path)
    assert again == record and raw == first
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_numpy_values_become_plain_numbers() -> None:
    record = RunRecord.from_dict(
        result(
            parameters={"x1": np.float64(0.5), "x2": np.float32(0.25), "offset": 1.0},
            train_loss=np.array([0.5, 0.25]),
            network={"species": np.int64(14)},
        )
    )
    out = record.to_dict()
    assert type(out["parameters"]["x2"]) is float and out["parameters"]["x2"] == 0.25
    assert out["train_loss"] == [0.5, 0.25] and type(out["network"]["species"]) is int
    direct = RunRecord(**{**vars(record), "train_loss": np.array([np.float64(1.5)])})
    assert direct.to_dict()["train_loss"] == [1.5]
    json.dumps(direct.to_dict(), allow_nan=False)


def test_non_finite_numbers_as_json_dumps_writes_them() -> None:
    record = RunRecord.from_dict(result(max_abs_deviation=math.nan, train_loss=[math.inf, 1.0]))
    text = record_to_json(record)
    assert '"max_abs_deviation": NaN' in text and "Infinity" in text
    back = record_from_json(text)
    assert math.isnan(back.max_abs_deviation) and back.train_loss[0] == math.inf


def test_sections_and_optional_entries() -> None:
    data = result(error_species=[["e_p", "e_m"]], created="2024-05-06T07:08:09Z")
    data["stochastic"] = {"molecules": 1000, "seed": 3}
    data["clock"] = {"species": "c"}
    record = RunRecord.from_dict(data)
    assert record.sections == {
        "stochastic": {"molecules": 1000, "seed": 3},
        "clock": {"species": "c"},
    }
    assert record.error_species == (("e_p", "e_m"),) and record.created == "2024-05-06T07:08:09Z"
    keys = list(record.to_dict())
    assert keys[keys.index("parameter_species") + 1] == "error_species"
    assert keys[-3:] == ["created", "stochastic", "clock"]
    assert RunRecord.from_dict(record.to_dict()) == record


def test_old_record_without_version_classes_or_engine() -> None:
    data = {k: v for k, v in result().items() if k not in ("classes", "engine")}
    record = RunRecord.from_dict(data)
    assert record.classes == () and record.engine == "events"
    assert RunRecord.from_dict(result(record_version=1)) == RunRecord.from_dict(result())


def multiclass_result(**changes: Any) -> dict[str, Any]:
    """A nonlinear-multiclass record: 2 inputs and the offset, 3 classes, 9 parameters."""
    names = [f"c{k}_{j}" for k in range(1, 4) for j in ("1", "2", "b")]
    data = result(
        circuit="nonlinear-multiclass",
        task="multiclass",
        parameters=dict.fromkeys(names, 0.25),
        reference_parameters=dict.fromkeys(names, 0.25),
        parameter_species={n: [f"{n}_p", f"{n}_m"] for n in names},
        effective_model=None,
        classes=[0.0, 1.0, 2.0],
        config={"horizon": 0.5, "epochs": 2, "gradient": "exact"},
    )
    data.update(changes)
    return data


def test_loss_species() -> None:
    assert RunRecord.from_dict(result()).loss_species() == (("e_p", "e_m"),)
    multi = RunRecord.from_dict(multiclass_result())
    assert multi.loss_species() == (("e1_p", "e1_m"), ("e2_p", "e2_m"), ("e3_p", "e3_m"))
    recorded = RunRecord.from_dict(multiclass_result(error_species=[["a", "b"]]))
    assert recorded.loss_species() == (("a", "b"),)


# --------------------------------------------------------------------------- refusals


def test_newer_version_is_refused() -> None:
    with pytest.raises(
        InputError,
        match=r"/x/result\.json is not a valid run record \(it has version 2, newer than",
    ):
        RunRecord.from_dict(result(record_version=RECORD_VERSION + 1), "/x/result.json")


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None])
def test_bad_version_is_refused(version: object) -> None:
    with pytest.raises(
        InputError,
        match=r"^/x/r\.json is not a valid run record \(the 'record_version' entry must be",
    ):
        RunRecord.from_dict(result(record_version=version), "/x/r.json")


def test_the_example_message() -> None:
    with pytest.raises(InputError) as info:
        RunRecord.from_dict(result(parameters=[1.0]), "/x/result.json")
    assert str(info.value) == (
        "/x/result.json is not a valid run record (the 'parameters' entry must be a mapping of "
        "names to numbers; got list instead)"
    )


@pytest.mark.parametrize("key", [k for k in KEYS if k not in ("classes", "engine")])
def test_every_required_entry_is_required(key: str) -> None:
    data = {k: v for k, v in result().items() if k != key}
    pattern = (
        rf"^/r\.json is not a valid run record \(the '{key}' entry is missing; it must be .*\)$"
    )
    with pytest.raises(InputError, match=pattern):
        RunRecord.from_dict(data, "/r.json")


BAD: list[tuple[str, object, str]] = [
    ("circuit", 3, "Got int instead"),
    ("task", None, "Got null instead"),
    ("inputs", "x1", "Got str instead"),
    ("inputs", ["x1", 2], "Got int at position 1 instead"),
    ("target", 1.0, "Got float instead"),
    ("parameters", {"x1": "0.5", "x2": 0.0, "offset": 0.0}, "Got str for 'x1' instead"),
    ("parameters", {"x1": True, "x2": 0.0, "offset": 0.0}, "Got bool for 'x1' instead"),
    ("parameter_species", [], "Got list instead"),
    (
        "parameter_species",
        {"x1": ["a"], "x2": ["b", "c"], "offset": ["d", "e"]},
        "Got a list of 1 for 'x1' instead",
    ),
    (
        "parameter_species",
        {"x1": "ab", "x2": ["b", "c"], "offset": ["d", "e"]},
        "Got str for 'x1' instead",
    ),
    ("error_species", [["e_p", 1]], "Got 1, not a species id, at position 0 instead"),
    ("error_species", [["e_p", "a b"]], "Got 'a b', not a species id, at position 0 instead"),
    ("training_end_time", "246", "Got str instead"),
    ("reference_parameters", None, "Got null instead"),
    ("max_abs_deviation", [0.0], "Got list instead"),
    ("train_loss", [0.1, None], "Got null at position 1 instead"),
    ("reference_train_loss", {}, "Got dict instead"),
    ("test", {"mse": "low"}, "Got str for 'mse' instead"),
    ("effective_model", {"coef": {"x1": 1.0}}, "Got no 'intercept' entry instead"),
    ("effective_model", [], "Got list instead"),
    ("classes", ["a"], "Got str at position 0 instead"),
    ("config", [1], "Got list instead"),
    ("feature_map", {"mean": [1.0, "x"]}, "Got str at position 1 for 'mean' instead"),
    ("feature_map", "none", "Got str instead"),
    ("network", {"species": 1.5}, "Got 1.5 for 'species' instead"),
    ("network", {"species": -1}, "Got -1 for 'species' instead"),
    ("schedule", {"samples": 1, "epochs": 1, "period": 2.0}, "Got no 'phases' entry instead"),
    (
        "schedule",
        {"samples": 1, "epochs": 1, "period": 2.0, "phases": [{"name": "fwd"}]},
        "Got no 'duration' entry at position 0 for 'phases' instead",
    ),
    ("engine", ["events"], "Got list instead"),
    ("timings", {"build_s": "fast"}, "Got str for 'build_s' instead"),
    ("software", {"sbmlcrn": 1}, "Got int for 'sbmlcrn' instead"),
    ("created", "", "Got '' instead"),
    ("created", 2024, "Got 2024 instead"),
    ("created", "yesterday", "Got 'yesterday' instead"),
    ("circuit", "linear-magic", "Got 'linear-magic', not one of"),
    ("parameters", {"x1": 10**400, "x2": 0.0, "offset": 0.0}, "too large for a float, for 'x1'"),
    ("parameters", {"x1": math.nan, "x2": 0.0, "offset": 0.0}, "Got nan for 'x1' instead"),
    ("training_end_time", 0, "Got 0 instead"),
    ("inputs", ["x1", "x1"], "Got 'x1' twice instead"),
    ("inputs", [], "Got a list of 0 (from 1 to 200000 items) instead"),
    ("feature_map", {"mean": None, "scale": None}, "Got no 'augmentation' entry instead"),
    ("schedule", {"samples": 1, "epochs": 1, "period": 2.0, "phases": []}, "a list of 0"),
    ("network", {"species": 2**64}, "Got 18446744073709551616 for 'species' instead"),
    ("classes", [0.0, 0.0], "Got 0.0 twice instead"),
]


@pytest.mark.parametrize(
    ("key", "value", "got"), BAD, ids=[f"{k}-{i}" for i, (k, *_) in enumerate(BAD)]
)
def test_every_entry_is_type_checked(key: str, value: object, got: str) -> None:
    with pytest.raises(InputError) as info:
        RunRecord.from_dict(result(**{key: value}), "/x/result.json")
    message = str(info.value)
    prefix = f"/x/result.json is not a valid run record (the {key!r} entry must be "
    assert message.startswith(prefix), message
    got = got[0].lower() + got[1:]
    assert (got in message) if not got.endswith("instead") else message.endswith(f"; {got})")


def test_non_string_keys_are_refused() -> None:
    with pytest.raises(InputError, match="got a non-text key 1 instead"):
        RunRecord.from_dict(result(timings={1: 0.5}))


@pytest.mark.parametrize("key", ["parameter_species", "reference_parameters"])
def test_parameter_names_must_agree(key: str) -> None:
    data = result()
    data[key] = {k: v for k, v in data[key].items() if k != "offset"}
    with pytest.raises(
        InputError, match=rf"the '{key}' entry must name the same parameters.*'offset'"
    ):
        RunRecord.from_dict(data, "/x/result.json")


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(InputError, match=r"must be a JSON object; got list instead"):
        RunRecord.from_dict([1, 2])  # type: ignore[arg-type]


# --------------------------------------------------------------------------- files


def test_reading_refuses_bad_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not a training run directory \(no result\.json\)"):
        read_record(tmp_path)
    path = tmp_path / "result.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(
        InputError, match=rf"^{path} is not a valid run record \(it is not valid JSON"
    ):
        read_record(tmp_path)
    path.write_bytes(b'{"a": "\xff"}')
    with pytest.raises(InputError, match="is not valid JSON"):
        read_record(tmp_path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match=r"must be a JSON object; got list instead"):
        read_record(path)
    path.write_text(dumped(result(engine=1)), encoding="utf-8")
    with pytest.raises(InputError, match=rf"{path} is not a valid run record \(the 'engine' entry"):
        read_record(tmp_path)


def test_reading_refuses_oversized_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "result.json"
    path.write_text(dumped(result()), encoding="utf-8")
    monkeypatch.setattr(record_mod, "MAX_RECORD_BYTES", 100)
    with pytest.raises(InputError, match=r"must be at most 100 bytes; got \d+ instead"):
        read_record(tmp_path)
    with pytest.raises(InputError, match="must be at most 100 bytes"):
        record_from_json(path.read_text(encoding="utf-8"))
    assert record_mod.MAX_RECORD_BYTES == 100
    monkeypatch.undo()
    assert record_mod.MAX_RECORD_BYTES == 64 * 1024 * 1024


def test_write_record_to_a_file_path(tmp_path: Path) -> None:
    record = RunRecord.from_dict(result())
    path = write_record(record, tmp_path / "sub" / "run.json")
    assert path == tmp_path / "sub" / "run.json"
    assert read_record(path) == record


# --------------------------------------------------------------------------- hostile records


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("[" * 100_000 + "]" * 100_000, "it nests deeper than 64 levels"),
        ('{"a": ' + "[" * 70 + "]" * 70 + "}", "it nests deeper than 64 levels"),
        ('{"circuit": "a", "circuit": "b"}', "it has the key 'circuit' twice in one object"),
        ("NaN", "it must be a JSON object; got float instead"),
    ],
)
def test_parse_guards(text: str, what: str) -> None:
    with pytest.raises(InputError) as info:
        record_from_json(text, "/x/result.json")
    assert str(info.value) == f"/x/result.json is not a valid run record ({what})"


def test_deep_dict_is_refused_without_recursion() -> None:
    deep: Any = []
    for _ in range(5_000):
        deep = [deep]
    with pytest.raises(InputError, match="nests deeper than 64 levels"):
        RunRecord.from_dict(result(stochastic=deep))


@pytest.mark.parametrize(
    ("config", "what"),
    [
        ({"horizon": "1.0"}, "the 'config' entry's 'horizon' must be float; got str instead"),
        ({"epochs": 2.5}, "the 'config' entry's 'epochs' must be int; got 2.5 instead"),
        ({"epochs": 10**400}, "an integer of 401 digits, too large for a float"),
        ({"seed": -1}, "the 'config' entry is refused: The seed (--seed) must be an integer"),
        ({"standardize": 1}, "the 'config' entry's 'standardize' must be bool; got 1 instead"),
        ({"class_values": [1.0]}, "'class_values' must be tuple[float, float]; got a list of 1"),
        ({"init": ["a"]}, "'init' must be tuple[float, ...] | None; got str instead"),
        ({"horizon": math.nan}, "the 'config' entry is refused: "),
        ({"gradient": "exact"}, "the 'config' entry has the option 'gradient', which Linear"),
    ],
)
def test_config_is_checked_by_its_class(config: dict[str, Any], what: str) -> None:
    with pytest.raises(InputError) as info:
        RunRecord.from_dict(result(config=config), "/x/result.json")
    message = str(info.value)
    assert message.startswith("/x/result.json is not a valid run record ("), message
    assert what in message, message


def test_record_config_builds_the_class() -> None:
    from sbmlcrn.circuits.linear import LinearConfig
    from sbmlcrn.io.record import record_config

    config = record_config(RunRecord.from_dict(result()))
    assert isinstance(config, LinearConfig) and config.init == (0.01, -0.01, 0.06)
    assert config.epochs == 2 and config.class_values == (-1.0, 1.0)  # a default


def test_parameters_must_be_as_many_as_the_circuit_has() -> None:
    data = result()
    for key in ("parameters", "reference_parameters"):
        data[key] = data[key] | {"x3": 0.0}
    data["parameter_species"] = data["parameter_species"] | {"x3": ["p3_p", "p3_m"]}
    with pytest.raises(InputError, match=r"with 2 inputs has 3 parameters; .* names 4\)$"):
        RunRecord.from_dict(data)
    with pytest.raises(InputError, match=r"with 2 inputs and 2 classes has 6 parameters"):
        RunRecord.from_dict(multiclass_result(classes=[0.0, 1.0]))
    with pytest.raises(InputError, match="a multiclass run must hold at least 2 classes"):
        RunRecord.from_dict(multiclass_result(classes=[]))


def test_feature_map_width_and_task_must_agree() -> None:
    fmap = result()["feature_map"] | {"mean": [0.0]}
    with pytest.raises(InputError, match=r"'mean' must hold one number per input \(2\)"):
        RunRecord.from_dict(result(feature_map=fmap))
    fmap = result()["feature_map"] | {"scale": None}
    with pytest.raises(InputError, match="'scale' must hold one number per input"):
        RunRecord.from_dict(result(feature_map=fmap))
    with pytest.raises(InputError, match="the 'task' entry must be 'regression' for circuit"):
        RunRecord.from_dict(result(task="classification"))


def test_huge_numbers_are_not_echoed() -> None:
    with pytest.raises(InputError) as info:
        RunRecord.from_dict(result(record_version=10**400))
    assert "version an integer of 401 digits" in str(info.value) and len(str(info.value)) < 200
    with pytest.raises(InputError) as info:
        RunRecord.from_dict(result(circuit="x" * 100_000))
    assert "a text of 100000 characters" in str(info.value) and len(str(info.value)) < 300


@pytest.mark.parametrize("circuit", ["nonlinear-regression", "nonlinear-classification",
                                     "nonlinear-multiclass"])  # fmt: skip
def test_parameter_count_is_the_topology_s(circuit: str) -> None:
    from sbmlcrn.circuits.nonlinear import NonlinearConfig
    from sbmlcrn.circuits.nonlinear_model import topology
    from sbmlcrn.circuits.registry import circuit_spec, circuit_task

    for augmentation in (None, 1.0):
        config = NonlinearConfig(augmentation=augmentation)
        for n_inputs in (1, 2, 5):
            for n_classes in (0, 2, 3, 7):
                channels = n_inputs + int(augmentation is not None)
                top = topology(circuit_task(circuit), channels, augmentation is not None,
                               max(n_classes, 2))  # fmt: skip
                got = circuit_spec(circuit).parameter_count(config, n_inputs, n_classes)
                assert got == len(top.connections), (augmentation, n_inputs, n_classes)
