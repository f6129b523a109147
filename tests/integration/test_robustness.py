"""Robustness studies: per-reaction rate constants, the noise / rates / clock studies and their
reports, and the ``sbmlcrn robustness`` command. The full-size studies are in
tests/e2e/test_robustness.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sbmlcrn.circuits.chemclock import ChemicalClockConfig
from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.registry import compile_circuit
from sbmlcrn.cli import main
from sbmlcrn.errors import InputError
from sbmlcrn.studies import rates
from sbmlcrn.studies import robustness as rb
from tests.helpers import linear_data


@pytest.fixture(scope="module")
def sd() -> rb.StudyData:
    train, _, _ = linear_data(8, 2, seed=6, noise=0.2)
    test, _, _ = linear_data(12, 2, seed=6, noise=0.2)
    return rb.StudyData("linear-regression", train, test, LinearConfig(epochs=2), "tiny")


def test_one_rate_constant_per_reaction_changes_nothing(sd) -> None:
    compiled = compile_circuit(sd.circuit, sd.train, sd.config)
    net = rb.per_reaction_network(compiled.network)
    assert len({r.rate for r in net.reactions}) == len(net.reactions)
    a = rates._train_perturbed(sd, compiled, {})
    from sbmlcrn.training.stochastic import one_sbml_theta

    assert np.max(np.abs(a - one_sbml_theta(compiled))) < 1e-9
    with pytest.raises(InputError):
        rb.per_reaction_network(compiled.network, {"no_such_reaction": 2.0})


def test_annihilation_rates_do_not_matter_rail_asymmetry_does(sd) -> None:
    base = rates._rates_job(sd, "nominal", {})
    ann = rates._rates_job(sd, "ann", {"ann_e": 2.0, "ann_p1": 0.5})
    bw = rates._rates_job(sd, "bw", {"bw1_pp": 1.1})
    same = rates._rates_job(sd, "group", dict.fromkeys(["fx1_p", "fx1_m", "fx2_p", "fx2_m"], 1.1))
    assert np.max(np.abs(np.subtract(ann["theta"], base["theta"]))) < 1e-8
    assert np.max(np.abs(np.subtract(bw["theta"], base["theta"]))) > 1e-3
    # the z(0) reactions moved together: training adapts θ, inference uses the same chemistry
    assert same["metric"] != base["metric"]
    assert same["metric_nominal_inference"] != same["metric"]


def test_rates_study_reports_a_distribution(sd, tmp_path) -> None:
    res = rb.rates_study(sd, [0.1], 3, sensitivity=False, workers=1)
    (e,) = res.ensemble
    assert e["metric"]["n"] == 3 and len(e["metric_values"]) == 3
    assert res.nominal["metric"] > 0 and res.ranking == []
    out = rb.write_rates_report(res, tmp_path / "rates")
    assert (out / "rates.png").read_bytes()[:4] == b"\x89PNG"
    assert "σ" in (out / "report.md").read_text(encoding="utf-8")
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["study"] == "rates"


def test_noise_study_and_report(sd, tmp_path) -> None:
    res = rb.noise_study(sd, [300], 2, naive_runs=1, workers=1)
    methods = {r["method"]: r for r in res.rows}
    assert methods["driver"]["metric"]["n"] == 2 and methods["events"]["metric"]["n"] == 1
    assert res.timing[0]["phases"][0]["scheduled"] == 8
    out = rb.write_noise_report(res, tmp_path / "noise")
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "Gillespie" in text and "fired / scheduled" in text
    for name in ("noise.png", "noise_parameters.png", "results.json"):
        assert (out / name).exists()


def test_clock_study_and_report(sd, tmp_path) -> None:
    res = rb.clock_study(sd, shapes=[ChemicalClockConfig()], workers=1)
    (row,) = res.rows
    assert row["max_rel_deviation"] < 1e-4
    assert row["info"]["extra_species"] == 4 and row["info"]["extra_reactions"] == 4
    out = rb.write_clock_report(res, tmp_path / "clock", sd)
    assert (out / "clock_gates.png").exists() and (out / "clock.png").exists()


def test_cli_robustness_rates_and_bad_out(tmp_path, capsys) -> None:
    train, _, _ = linear_data(6, 1, seed=1)
    rows = zip(train.x[:, 0], train.y, strict=True)
    csv = tmp_path / "d.csv"
    csv.write_text("x1,y\n" + "".join(f"{a},{b}\n" for a, b in rows), encoding="utf-8")
    out = tmp_path / "study"
    args = ["robustness", "rates", "linear-regression", "--data", str(csv), "--test", str(csv)]
    args += ["--epochs", "1", "--runs", "2", "--sigma", "0.1", "--no-sensitivity"]
    code = main([*args, "--workers", "1", "--out", str(out), "--quiet"])
    assert code == 0 and (out / "report.md").exists()
    assert "sigma 0.1" in capsys.readouterr().out
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    code = main([*args, "--out", str(tmp_path / "other")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --out")
    code = main(["robustness", "noise", "linear-regression", "--data", str(csv), "--out", "x"])
    assert code == 2 and "--test" in capsys.readouterr().err


def test_cli_robustness_reads_chosen_columns_and_text_labels(tmp_path, capsys) -> None:
    """--drop leaves an ID column out; a classifier's text labels name the classes."""
    train, _, _ = linear_data(8, 1, seed=2)
    label = ["low" if v < np.median(train.y) else "high" for v in train.y]
    rows = zip(range(8), train.x[:, 0], label, strict=True)
    csv = tmp_path / "d.csv"
    csv.write_text("id,x1,y\n" + "".join(f"s{i},{a},{c}\n" for i, a, c in rows), encoding="utf-8")
    args = ["robustness", "rates", "linear-classification", "--data", str(csv), "--test", str(csv)]
    args += ["--drop", "id", "--epochs", "1", "--runs", "2", "--sigma", "0.1", "--no-sensitivity"]
    code = main([*args, "--workers", "1", "--out", str(tmp_path / "study"), "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert (tmp_path / "study" / "report.md").exists()
    without = [a for a in args if a not in ("--drop", "id")]
    code = main([*without, "--out", str(tmp_path / "s2"), "--quiet"])
    assert code == 2 and "id" in capsys.readouterr().err  # without --drop: text in an input
