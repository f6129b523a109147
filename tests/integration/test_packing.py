"""Packed training: K runs simulated as one SBML model learn what each learns alone."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.products import ProductConfig
from sbmlcrn.cli import main
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.simulate import Tolerances
from sbmlcrn.studies.sweep import run_sweep
from sbmlcrn.training.packing import train_packed
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.run import TrainingRun
from tests.helpers import linear_data, xor_data

DATA = linear_data(12, 2, seed=5, noise=0.1)[0]
TEST = linear_data(9, 2, seed=6)[0]


def _same(packed: TrainingRun, alone: TrainingRun, bound: float = 1e-9) -> None:
    """Packed parameters equal the unpacked run's to ``bound`` relative (to max(1, |θ|))."""
    a = np.array(list(alone.parameters.values()))
    b = np.array(list(packed.parameters.values()))
    assert list(packed.parameters) == list(alone.parameters)
    assert float(np.max(np.abs(a - b))) <= bound * max(1.0, float(np.max(np.abs(a))))
    np.testing.assert_allclose(packed.train_loss, alone.train_loss, rtol=1e-8, atol=1e-12)
    assert packed.reference_parameters == alone.reference_parameters
    assert packed.sbml == alone.sbml  # the run's own model is its record


@pytest.mark.parametrize(
    "configs",
    [
        [LinearConfig(epochs=3, seed=s) for s in range(4)],
        [LinearConfig(epochs=3, lr=lr) for lr in (0.01, 0.03, 0.06)],
    ],
    ids=["seeds", "learning-rates"],
)
def test_packed_linear_runs_equal_unpacked(configs: list[LinearConfig]) -> None:
    packed = train_packed("linear-regression", DATA, configs, test=TEST)
    for k, (run, config) in enumerate(zip(packed, configs, strict=True)):
        assert isinstance(run, TrainingRun)
        alone = train("linear-regression", DATA, config=config, test=TEST)
        _same(run, alone)
        assert run.sections["packed"]["runs"] == len(configs)
        assert run.sections["packed"]["index"] == k
        assert run.sections["packed"]["predicted_packed"] is True
        assert run.test is not None and alone.test is not None
        assert run.test["mse"] == pytest.approx(alone.test["mse"], rel=1e-8)
        assert "packed" not in alone.sections


def test_packed_product_units_equal_unpacked() -> None:
    data = xor_data(8, seed=4)
    configs = [ProductConfig(epochs=2, seed=s) for s in range(3)]
    # Decision: at the product units' default rtol 1e-8 the copies agree to ~1.5e-9 (CVODE's
    # shared steps), both within 4e-8 of the reference; at rtol 1e-10 they agree to ~2e-11.
    tol = Tolerances(relative=1e-10, absolute=1e-12, stiff=True)
    packed = train_packed("nonlinear-classification", data, configs, tolerances=tol)
    for run, config in zip(packed, configs, strict=True):
        assert isinstance(run, TrainingRun)
        _same(run, train("nonlinear-classification", data, config=config, tolerances=tol))


def test_runs_with_different_clocks_or_errors_keep_their_slots() -> None:
    configs = [
        LinearConfig(epochs=2, seed=0),
        LinearConfig(epochs=2, lr=1e6),  # diverges: refused before simulating
        LinearConfig(epochs=3, seed=1),  # another clock: simulated alone
        LinearConfig(epochs=2, seed=2),
    ]
    out = train_packed("linear-regression", DATA, configs)
    assert isinstance(out[1], InputError) and "diverges" in str(out[1])
    assert [r.sections["packed"]["runs"] for r in (out[0], out[3])] == [2, 2]  # type: ignore[union-attr]
    assert isinstance(out[2], TrainingRun) and "packed" not in out[2].sections
    _same(out[2], train("linear-regression", DATA, config=configs[2]), bound=0.0)
    with pytest.raises(InputError, match="The max_pack parameter of train_packed"):
        train_packed("linear-regression", DATA, configs, max_pack=0)
    assert all(isinstance(r, TrainingRun | SbmlcrnError) for r in out)


def test_sweep_packed_and_unpacked_tables_have_one_form(tmp_path: Path) -> None:
    grid = {"seed": (0, 1, 2), "lr": (0.03, 1e6), "epochs": (2,)}
    unpacked = run_sweep("linear-regression", DATA, grid, tmp_path / "one", workers=1, pack=1)
    packed = run_sweep("linear-regression", DATA, grid, tmp_path / "auto", workers=1)
    assert (unpacked.pack, packed.pack) == (1, 6)
    for a, b in zip(unpacked.rows, packed.rows, strict=True):
        assert set(a) == set(b) and a["status"] == b["status"]
        if a["status"] == "ok":
            assert b["parameters"] == pytest.approx(a["parameters"], rel=1e-9, abs=1e-12)
        else:
            assert "diverges" in b["error"] and b["error"] == a["error"]
    tables = []
    for name in ("one", "auto"):
        with (tmp_path / name / "results.csv").open() as fh:
            tables.append(list(csv.reader(fh)))
    assert tables[0][0] == tables[1][0]  # the same columns
    assert [len(r) for r in tables[0]] == [len(r) for r in tables[1]]
    docs = [json.loads((tmp_path / n / "sweep.json").read_text()) for n in ("one", "auto")]
    assert (docs[0]["pack"], docs[1]["pack"]) == (1, 6)
    assert set(docs[0]["runs"][0]) == set(docs[1]["runs"][0])
    assert "runs per packed model" in (tmp_path / "auto" / "results.md").read_text()


def test_cli_sweep_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "train.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*DATA.features, "y"])
        writer.writerows(
            [*map(float, row), float(y)] for row, y in zip(DATA.x, DATA.y, strict=True)
        )
    out = tmp_path / "out"
    argv = ["sweep", "linear-regression", "--data", str(path), "--grid", "seed=0..3", "epochs=2"]
    code = main([*argv, "--out", str(out), "--workers", "1", "--pack", "2", "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "swept linear-regression: 4 runs (0 failed)" in captured.out
    assert "up to 2 runs per packed model" in captured.out
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["pack"] == 2 and len(doc["runs"]) == 4


def test_copies_of_other_shapes_and_data_scalings_pack() -> None:
    configs = [
        LinearConfig(epochs=2, augmentation=None),  # one parameter fewer
        LinearConfig(epochs=2, standardize=False),  # inputs loaded unscaled: not shared
        LinearConfig(epochs=2, bias=0.1, seed=3),
    ]
    packed = train_packed("linear-regression", DATA, configs, test=TEST)
    for run, config in zip(packed, configs, strict=True):
        assert isinstance(run, TrainingRun) and run.sections["packed"]["runs"] == 3
        assert run.sections["packed"]["predicted_packed"] is True
        alone = train("linear-regression", DATA, config=config, test=TEST)
        _same(run, alone)
        assert run.test["mse"] == pytest.approx(alone.test["mse"], rel=1e-8)  # type: ignore[index]
