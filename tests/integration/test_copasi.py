"""COPASI as a second simulator: the cross-check, the .cps export and their command lines.

Everything runs the real COPASI (through ``copasi-basico``) in its child process. The runs are
small (a few epochs; the 1,000-sample run has one), so the module takes ~20 s.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import antimony
import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.core.data import read_csv
from sbmlcrn.errors import CopasiError, InputError
from sbmlcrn.io import copasi as copasi_mod
from sbmlcrn.io.copasi import CrosscheckReport, crosscheck, default_tolerance, export_copasi
from sbmlcrn.io.record import RunRecord, write_record
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.store import save_run
from tests.helpers import linear_data, run_cli

pytest.importorskip("basico")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _train(tmp: Path, circuit: str, data, epochs: int) -> Path:
    run = train(circuit, data, config=LinearConfig(epochs=epochs))
    return save_run(run, tmp / "run", plots=False)


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's example data (41 samples), 5 epochs."""
    data = read_csv(EXAMPLES / "linreg_train.csv")
    return _train(tmp_path_factory.mktemp("copasi-lr"), "linear-regression", data, 5)


@pytest.fixture(scope="module")
def classification_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example classification data (101 samples), 3 epochs."""
    data = read_csv(EXAMPLES / "cls_train.csv")
    return _train(tmp_path_factory.mktemp("copasi-cls"), "linear-classification", data, 3)


def one_error_line(err: str, *patterns: str) -> None:
    assert "Traceback" not in err, err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for pattern in patterns:
        assert re.search(pattern, lines[0]), f"{pattern!r} not in {lines[0]!r}"


def fake_run(tmp: Path, antimony_text: str, parameter: float, species: tuple[str, str]) -> Path:
    """A run directory with a hand-written model and the parameter RoadRunner 'learned'."""
    antimony.clearPreviousLoads()
    assert antimony.loadAntimonyString(antimony_text) >= 0, antimony.getLastError()
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "model.xml").write_text(antimony.getSBMLString(antimony.getMainModuleName()))
    record = RunRecord(
        circuit="linear-regression",
        task="regression",
        inputs=("x1",),
        target="y",
        parameters={"w": parameter},
        parameter_species={"w": species},
        training_end_time=2.0,
        reference_parameters={"w": parameter},
        max_abs_deviation=0.0,
        train_loss=(0.0,),
        reference_train_loss=(0.0,),
        test=None,
        effective_model=None,
        config={"augmentation": None},  # one input, no offset: the one parameter w
        feature_map={
            "mean": None,
            "scale": None,
            "augmentation": None,
            "target_mean": 0.0,
            "target_scale": 1.0,
        },
        network={},
        schedule={
            "samples": 1,
            "epochs": 1,
            "period": 2.0,
            "phases": [{"name": "fwd", "duration": 1.0}, {"name": "bwd", "duration": 1.0}],
        },
        timings={},
        software={},
    )
    write_record(record, tmp)
    return tmp


def flat_piecewise_model(branches: int) -> str:
    """An event loads ``w_p`` from a flat piecewise over ``idx`` (= 5, so the value is 6).

    No reaction: COPASI then treats ``w_m`` as constant and keeps no column for it.
    """
    pieces = ", ".join(f"{i + 1}, idx == {i}" for i in range(branches))
    return f"""model flat
  compartment C = 1
  species w_p in C = 0; species w_m in C = 0.5
  idx = 5
  at time >= 1, t0 = false: w_p = piecewise({pieces}, 0)
end"""


# --------------------------------------------------------------------------- crosscheck


def assert_agrees(report: CrosscheckReport, tolerance: float = 1e-6) -> None:
    assert report.ok, report.format_text()
    assert report.deviation_roadrunner <= tolerance
    assert report.deviation_reference <= tolerance
    assert not report.error_messages
    assert set(report.copasi) == set(report.roadrunner) == set(report.reference)


def test_crosscheck_linear_regression(regression_run: Path) -> None:
    report = crosscheck(regression_run)
    assert_agrees(report)
    assert report.tolerance == 1e-6
    result = json.loads((regression_run / "result.json").read_text())
    assert report.end_time == result["training_end_time"]
    assert report.copasi_version.startswith("4.")
    doc = report.to_dict()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["ok"] is True and set(doc["parameters"]) == {"x1", "x2", "offset"}
    assert "OK" in report.format_text().splitlines()[-1]


def test_crosscheck_linear_classification(classification_run: Path) -> None:
    assert_agrees(crosscheck(classification_run))


def test_crosscheck_1000_samples(tmp_path: Path) -> None:
    """Balanced lookups over 1,000 samples: COPASI imports every event assignment intact."""
    data, _, _ = linear_data(1000, 2, seed=3, noise=0.1)
    run_dir = _train(tmp_path, "linear-regression", data, 1)
    report = crosscheck(run_dir)
    assert_agrees(report)
    assert not report.messages, [m.text for m in report.messages]


def test_default_tolerance_from_circuit_name() -> None:
    assert default_tolerance("linear-regression") == 1e-6
    assert default_tolerance("linear-classification") == 1e-6
    assert default_tolerance("mlp-regression") == 1e-4


def test_tolerance_exceeded_fails(regression_run: Path) -> None:
    report = crosscheck(regression_run, tolerance=1e-16)
    assert not report.ok
    assert any("RoadRunner" in p for p in report.problems)
    assert report.format_text().splitlines()[-1].strip() == "FAILED"


def test_error_message_fails_check_even_when_numbers_agree(tmp_path: Path) -> None:
    """A flat piecewise of 40 branches: COPASI cannot parse it (an ERROR message), sets 0."""
    run_dir = fake_run(tmp_path / "flat", flat_piecewise_model(40), -0.5, ("w_p", "w_m"))
    report = crosscheck(run_dir)
    assert report.deviation_roadrunner == 0.0  # COPASI's (wrong) value, as claimed
    assert not report.ok
    assert report.error_messages
    assert any("error-level" in p for p in report.problems)


def test_flat_piecewise_of_32_branches_imports(tmp_path: Path) -> None:
    run_dir = fake_run(tmp_path / "flat32", flat_piecewise_model(32), 5.5, ("w_p", "w_m"))
    report = crosscheck(run_dir)
    assert report.ok, report.format_text()
    assert report.copasi["w"] == pytest.approx(5.5, abs=1e-12)


def test_unreadable_model_is_a_copasi_error(regression_run: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "result.json").write_bytes((regression_run / "result.json").read_bytes())
    (bad / "model.xml").write_text("<not-sbml/>\n")
    with pytest.raises(CopasiError, match="could not import"):
        crosscheck(bad)


def test_worker_crash_is_a_copasi_error(
    regression_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = "import os, signal, COPASI; os.kill(os.getpid(), signal.SIGSEGV)"
    monkeypatch.setattr(copasi_mod, "_worker_command", lambda: [sys.executable, "-c", crash])
    with pytest.raises(CopasiError, match=r"crashed.*SIGSEGV"):
        crosscheck(regression_run)


def test_worker_without_answer_is_a_copasi_error(
    regression_run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quit_ = "import sys; print('half', end=''); sys.exit(3)"
    monkeypatch.setattr(copasi_mod, "_worker_command", lambda: [sys.executable, "-c", quit_])
    with pytest.raises(CopasiError, match="exit status 3"):
        crosscheck(regression_run)


def test_timeout_is_a_copasi_error(regression_run: Path) -> None:
    with pytest.raises(CopasiError, match="did not finish"):
        crosscheck(regression_run, timeout=0.05)


def test_bad_run_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such run directory"):
        crosscheck(tmp_path / "missing")
    with pytest.raises(InputError, match=r"no result\.json"):
        crosscheck(tmp_path)


# --------------------------------------------------------------------------- export


def test_export_copasi_loads_back_with_task_and_plots(regression_run: Path, tmp_path: Path) -> None:
    import basico

    out = export_copasi(regression_run, tmp_path / "sub" / "run.cps")
    assert out == tmp_path / "sub" / "run.cps"
    assert [p.name for p in out.parent.iterdir()] == ["run.cps"]  # no temporary file left
    result = json.loads((regression_run / "result.json").read_text())
    dm = basico.load_model(str(out))
    try:
        settings = basico.get_task_settings("Time-Course", model=dm)
        assert settings["scheduled"] is True
        assert settings["problem"]["Duration"] == result["training_end_time"]
        assert settings["method"]["name"] == "Deterministic (LSODA)"
        assert settings["method"]["Relative Tolerance"] == 1e-12
        plots = basico.get_plots(model=dm)
        assert set(plots.index) == {"sbmlcrn learned parameters", "sbmlcrn parameter species"}
        rails = basico.get_plot_dict("sbmlcrn parameter species", model=dm)
        species = {s for pair in result["parameter_species"].values() for s in pair}
        assert {c["name"] for c in rails["curves"]} == {f"[{s}]" for s in species}
        learned = basico.get_plot_dict("sbmlcrn learned parameters", model=dm)
        assert {c["name"] for c in learned["curves"]} == {
            f"theta_{n}" for n in result["parameters"]
        }
        # clicking Run: the task as stored trains the model and the theta_* end at θ
        series = basico.run_time_course(model=dm)
        for name, value in result["parameters"].items():
            assert series[f"Values[theta_{name}]"].iloc[-1] == pytest.approx(value, abs=1e-6)
    finally:
        basico.remove_datamodel(dm)


def test_export_copasi_refuses_a_directory(regression_run: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        export_copasi(regression_run, tmp_path)


def test_failed_export_leaves_no_file(
    regression_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        copasi_mod, "_worker_command", lambda: [sys.executable, "-c", "import os; os.abort()"]
    )
    with pytest.raises(CopasiError, match="SIGABRT"):
        export_copasi(regression_run, tmp_path / "x.cps")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- command line


def test_cli_crosscheck(regression_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "crosscheck", regression_run)
    assert code == 0, err
    assert "COPASI vs RoadRunner" in out and out.rstrip().endswith("OK")
    code, out, _ = run_cli(capsys, "crosscheck", regression_run, "--json")
    assert code == 0
    assert json.loads(out)["ok"] is True


def test_cli_crosscheck_deviation_exit_1(
    regression_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "crosscheck", regression_run, "--tolerance", "1e-16")
    assert code == 1
    assert "FAILED" in out


def test_cli_crosscheck_bad_input_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "crosscheck", tmp_path / "missing")
    assert code == 2 and out == ""
    one_error_line(err, "no such run directory")


def test_cli_crosscheck_without_copasi_exit_2(
    regression_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copasi_mod, "copasi_available", lambda: False)
    code, _, err = run_cli(capsys, "crosscheck", regression_run)
    assert code == 2
    one_error_line(err, re.escape("pip install 'sbmlcrn[copasi]'"))
    code, _, err = run_cli(capsys, "export", regression_run, "--format", "copasi", "-o", "x.cps")
    assert code == 2
    one_error_line(err, re.escape("pip install 'sbmlcrn[copasi]'"))


def test_cli_crosscheck_crash_exit_1(
    regression_run: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    crash = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    monkeypatch.setattr(copasi_mod, "_worker_command", lambda: [sys.executable, "-c", crash])
    code, out, err = run_cli(capsys, "crosscheck", regression_run)
    assert code == 1 and out == ""
    one_error_line(err, "COPASI crashed")


def test_cli_export_copasi(
    regression_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "model.cps"
    code, out, err = run_cli(capsys, "export", regression_run, "--format", "copasi", "-o", target)
    assert code == 0, err
    assert str(target) in out
    assert target.read_text(encoding="utf-8").startswith("<?xml")
    assert "<COPASI" in target.read_text(encoding="utf-8")[:1000]


def test_cli_export_bad_input(
    regression_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "export", tmp_path / "none", "--format", "copasi", "-o", "x")
    assert code == 2
    one_error_line(err, "no such run directory")
    code, _, err = run_cli(capsys, "export", regression_run, "--format", "sbml", "-o", "x")
    assert code == 2
    one_error_line(err, "invalid choice")


def test_cli_export_omex_missing_module_exit_2(
    regression_run: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sbmlcrn.io.omex", None)  # as if the module did not exist
    code, _, err = run_cli(
        capsys, "export", regression_run, "--format", "omex", "-o", tmp_path / "a"
    )
    assert code == 2
    one_error_line(err, "omex is not available")
