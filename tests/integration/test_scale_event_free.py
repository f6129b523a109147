"""A ``phases`` run too large for its event model: the event-free ``model.xml`` and
``schedule.csv`` re-drive to the learned parameters, round-trip through ``load_run``, validate,
and the OMEX export refuses them clearly. The threshold is lowered so that the runs are small."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import sbmlcrn.training.limits as limits
import sbmlcrn.training.transforms as transforms
from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.cli import main
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import InputError
from sbmlcrn.io.omex import write_omex
from sbmlcrn.simulate import load_roadrunner
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.schedule import schedule
from sbmlcrn.training.store import RUN_FILES, load_run, save_run
from sbmlcrn.training.transforms import FORM_SECTION, SCHEDULE_FILE
from sbmlcrn.validation import validate_file

N = 40


def _data(n: int = N) -> Dataset:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 2))
    y = x @ np.array([1.5, -0.7]) + 0.2 + 0.05 * rng.normal(size=n)
    return Dataset(("x1", "x2"), x, y, "y", name="lean")


@pytest.fixture
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_EVENT_MODEL_DATA_VALUES", 3 * N - 1)
    monkeypatch.setattr(transforms, "MAX_EVENT_MODEL_DATA_VALUES", 3 * N - 1)


@pytest.fixture
def lean_dir(small_threshold: None, tmp_path):
    run = train("linear-regression", _data(), config=LinearConfig(epochs=2), engine="phases")
    out = save_run(run, tmp_path / "run", plots=False)
    return run, out


def _redrive(out) -> dict[str, float]:
    """Train by hand from the run directory alone: model.xml driven with schedule.csv and the
    record's phases (what its notes and ``model_form`` describe)."""
    record = json.loads((out / "result.json").read_text(encoding="utf-8"))
    form, sched = record[FORM_SECTION], record["schedule"]
    with (out / SCHEDULE_FILE).open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [[float(v) for v in row] for row in reader]
    assert header == form["schedule_columns"] and len(rows) == form["schedule_rows"]
    rr = load_roadrunner((out / "model.xml").read_text(encoding="utf-8"), ["time"])
    rr.integrator.relative_tolerance = 1e-12
    rr.integrator.absolute_tolerance = 1e-14
    gates = sorted({g for on in form["phase_gates"].values() for g in on})
    t = 0.0
    for _ in range(sched["epochs"]):
        for row in rows:
            for sid, value in zip(header, row, strict=True):
                rr[f"[{sid}]"] = value
            for phase in sched["phases"]:
                for g in gates:
                    rr[g] = 1.0 if g in form["phase_gates"][phase["name"]] else 0.0
                rr.simulate(t, t + phase["duration"], 2)
                t += phase["duration"]
    return {
        name: rr[f"[{p}]"] - rr[f"[{m}]"] for name, (p, m) in record["parameter_species"].items()
    }


def test_event_free_run_redrives_to_its_parameters(lean_dir) -> None:
    run, out = lean_dir
    assert set(p.name for p in out.iterdir()) <= RUN_FILES
    assert (out / SCHEDULE_FILE).is_file()
    record = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert record[FORM_SECTION]["form"] == "event-free" and record["engine"] == "phases"
    loads = schedule(run.circuit).loads
    table = np.loadtxt(out / SCHEDULE_FILE, delimiter=",", skiprows=1)
    np.testing.assert_array_equal(table, np.column_stack(list(loads.values())))  # exact
    learned = _redrive(out)
    for name, value in run.parameters.items():
        assert learned[name] == pytest.approx(value, rel=1e-7, abs=1e-9)


def test_event_free_run_round_trips_validates_and_refuses_omex(lean_dir, tmp_path) -> None:
    _, out = lean_dir
    loaded = load_run(out)
    again = save_run(loaded, tmp_path / "again", plots=False)
    for name in ("model.xml", "model.ant", SCHEDULE_FILE):
        assert (again / name).read_bytes() == (out / name).read_bytes()
    assert json.loads((again / "result.json").read_text())[FORM_SECTION] == dict(
        loaded.sections[FORM_SECTION]
    )
    report = validate_file(out / "model.xml")
    assert report.ok, report.format_text()
    with pytest.raises(InputError, match=r"event-free training network.*schedule\.csv"):
        write_omex(out, tmp_path / "run.omex")
    assert not (tmp_path / "run.omex").exists()
    from sbmlcrn.io.copasi import crosscheck, export_copasi

    for action in (lambda: crosscheck(out), lambda: export_copasi(out, tmp_path / "m.cps")):
        with pytest.raises(InputError, match=r"event-free training network.*schedule\.csv"):
            action()
    assert not (tmp_path / "m.cps").exists()


def test_a_copy_without_its_schedule_is_not_saved(lean_dir, tmp_path) -> None:
    import dataclasses

    _, out = lean_dir
    copy = dataclasses.replace(load_run(out), sections=dict(load_run(out).sections))
    with pytest.raises(InputError, match=r"schedule\.csv"):
        save_run(copy, tmp_path / "copy", plots=False)


def test_cli_says_which_form_it_wrote(small_threshold: None, tmp_path, capsys) -> None:
    data = _data()
    path = tmp_path / "d.csv"
    pairs = zip(data.x.tolist(), data.y.tolist(), strict=True)
    rows = [f"{a!r},{b!r},{c!r}" for (a, b), c in pairs]
    path.write_text("x1,x2,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    argv = ["train", "linear-regression", "--data", str(path), "--epochs", "1", "--quiet"]
    assert main([*argv, "--engine", "phases", "--out", str(tmp_path / "lean")]) == 0
    said = capsys.readouterr().out
    assert "event-free training network" in said and "schedule.csv" in said
    assert main([*argv, "--out", str(tmp_path / "events")]) == 2  # the events engine: refused
    assert "--engine phases" in capsys.readouterr().err


def test_phases_below_the_threshold_writes_the_event_model(tmp_path) -> None:
    runs = [
        train("linear-regression", _data(), config=LinearConfig(epochs=1), engine=engine)
        for engine in ("events", "phases")
    ]
    assert runs[0].sbml == runs[1].sbml and FORM_SECTION not in runs[1].sections
    out = save_run(runs[1], tmp_path / "run", plots=False)
    assert not (out / SCHEDULE_FILE).exists()
