"""``sbmlcrn sweep``: grid parsing, local processes, a Dask LocalCluster, failures, output."""

from __future__ import annotations

import csv
import json
import socket
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.cli import main
from sbmlcrn.errors import InputError
from sbmlcrn.studies.sweep import (
    ClusterError,
    SweepError,
    check_sweep_out,
    combinations,
    parse_grid,
    run_sweep,
)
from sbmlcrn.training.pipeline import train
from tests.helpers import linear_data


@pytest.fixture(scope="module")
def data():
    return linear_data(16, 2, seed=3, noise=0.1)[0]


def _write_csv(path: Path, dataset) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*dataset.features, "y"])
        for row, y in zip(dataset.x, dataset.y, strict=True):
            writer.writerow([*map(repr, map(float, row)), repr(float(y))])
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- the grid


def test_parse_grid_types_ranges_and_none() -> None:
    grid = parse_grid(
        "linear-regression",
        [
            "lr=0.01,0.05",
            "horizon=0.5,1",
            "seed=0..3,7",
            "standardize=true,false",
            "augmentation=none,1",
        ],
    )
    assert grid == {
        "lr": (0.01, 0.05),
        "horizon": (0.5, 1.0),
        "seed": (0, 1, 2, 3, 7),
        "standardize": (True, False),
        "augmentation": (None, 1.0),
    }
    assert len(combinations(grid)) == 2 * 2 * 5 * 2 * 2
    nonlinear = parse_grid(
        "nonlinear-regression", ["design=node", "gradient=exact,first-order", "epochs=1..2"]
    )
    assert nonlinear == {
        "design": ("node",),
        "gradient": ("exact", "first-order"),
        "epochs": (1, 2),
    }
    assert parse_grid("nonlinear-regression", ["loss=squared,squared-hinge"]) == {
        "loss": ("squared", "squared-hinge")
    }


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["lrr=0.1"], "unknown parameter 'lrr' for linear-regression"),
        (["gradient=exact"], "unknown parameter 'gradient' for linear-regression"),
        (["lr"], "write KEY=VALUES"),
        (["lr=0.1", "lr=0.2"], "given twice"),
        (["lr=0.1,0.1"], "listed twice"),
        (["horizon=1..3"], "ranges a..b are for integer parameters"),
        (["seed=3..1"], "the range is empty"),
        (["seed=1.5"], "must be an integer"),
        (["lr=fast"], "must be a number"),
        (["init=0.1"], "cannot be swept"),
        (["epochs=none"], "cannot be none"),
        (["lr=0.1,"], "empty value"),
    ],
)
def test_parse_grid_refuses(items: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_grid("linear-regression", items)


def test_bad_key_suggests_and_lists_the_fields() -> None:
    with pytest.raises(InputError) as info:
        parse_grid("linear-regression", ["horizn=1"])
    text = str(info.value)
    assert "'horizn'" in text and "Did you mean 'horizon'?" in text and "annihilation" in text


def test_invalid_combination_is_refused_before_running(data, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="grid combination lr=-1"):
        run_sweep("linear-regression", data, {"lr": (0.1, -1.0)}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- local runs


def test_local_sweep_matches_single_runs(data, tmp_path: Path) -> None:
    grid = parse_grid("linear-regression", ["horizon=0.5,1", "seed=0..1", "epochs=2"])
    result = run_sweep("linear-regression", data, grid, tmp_path / "sweep", workers=2)
    assert result.backend == "local" and result.workers == 2
    assert [{k: r[k] for k in grid} for r in result.rows] == combinations(grid)
    assert all(r["status"] == "ok" for r in result.rows)
    for row in result.rows:
        config = LinearConfig(**{k: row[k] for k in grid})
        single = train("linear-regression", data, config=config)
        np.testing.assert_allclose(
            list(row["parameters"].values()), list(single.parameters.values()), rtol=0, atol=1e-9
        )
        assert row["train_loss"] == pytest.approx(single.train_loss[-1])
    out = tmp_path / "sweep"
    assert {p.name for p in out.iterdir()} == {
        "results.csv",
        "results.md",
        "sweep.json",
        "metric.png",
    }
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp dir left
    with (out / "results.csv").open() as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 4
    assert {"horizon", "seed", "epochs", "status", "train_loss", "theta_x1", "theta_offset"} <= set(
        table[0]
    )
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["metric"] == "train_loss" and len(doc["runs"]) == 4
    md = (out / "results.md").read_text()
    assert "best:" in md and md.count("| ok |") == 4


def test_failed_run_is_a_row_and_test_metric(data, tmp_path: Path) -> None:
    test = linear_data(10, 2, seed=4)[0]
    grid = {"lr": (0.05, 1e6), "epochs": (2,)}
    result = run_sweep("linear-regression", data, grid, None, test=test, workers=1)
    ok, bad = result.rows
    assert ok["status"] == "ok" and ok["test_mse"] >= 0
    assert bad["status"] == "failed" and "diverges" in bad["error"]
    assert result.metric == "test_mse" and result.best() is ok


def test_every_run_failed_is_an_error(data, tmp_path: Path) -> None:
    with pytest.raises(SweepError, match=r"every run of the sweep failed; the first: .*diverges"):
        run_sweep("linear-regression", data, {"lr": (1e6,)}, tmp_path / "x", workers=1)
    assert not (tmp_path / "x").exists()


def test_refuses_foreign_directory_and_replaces_previous_sweep(data, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="other files than a previous sweep"):
        run_sweep("linear-regression", data, {"epochs": (1,)}, foreign)
    assert (foreign / "notes.txt").read_text() == "mine"
    out = tmp_path / "again"
    run_sweep("linear-regression", data, {"epochs": (1,)}, out, workers=1, plot=False)
    run_sweep("linear-regression", data, {"epochs": (1, 2)}, out, workers=1, plot=False)
    assert check_sweep_out(out) == out.resolve()
    assert (out / "results.csv").read_text().count("\n") == 3
    assert not (out / "metric.png").exists()


# --------------------------------------------------------------------------- command line


def test_cli_sweep(data, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_csv(tmp_path / "train.csv", data)
    out = tmp_path / "cli"
    code = main(
        [
            "sweep",
            "linear-regression",
            "--data",
            str(path),
            "--test",
            str(path),
            "--grid",
            "lr=0.02,0.05",
            "epochs=2",
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "swept linear-regression: 2 runs (0 failed)" in captured.out
    assert "best test mse" in captured.out
    assert captured.err == ""
    assert (out / "results.md").is_file()


def test_cli_bad_key_exit_2(data, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write_csv(tmp_path / "train.csv", data)
    out = tmp_path / "never"
    code = main(
        ["sweep", "linear-regression", "--data", str(path), "--grid", "rate=1", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: --grid: unknown parameter 'rate'") and err.count("\n") == 1
    assert not out.exists()


def test_cli_unreachable_scheduler_exit_1(
    data, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    path = _write_csv(tmp_path / "train.csv", data)
    out = tmp_path / "never"
    address = f"tcp://127.0.0.1:{_free_port()}"
    code = main(
        [
            "sweep",
            "linear-regression",
            "--data",
            str(path),
            "--grid",
            "epochs=1",
            "--out",
            str(out),
            "--dask",
            address,
            "--dask-timeout",
            "1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"error: cannot reach the Dask scheduler at {address}" in err
    assert not out.exists()
    assert not list(tmp_path.glob(".never*"))


def test_unreachable_scheduler_raises(data, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"):
        run_sweep(
            "linear-regression",
            data,
            {"epochs": (1,)},
            tmp_path / "never",
            dask=f"tcp://127.0.0.1:{_free_port()}",
            dask_timeout=0.5,
        )
    with pytest.raises(InputError, match="not a scheduler address"):
        run_sweep("linear-regression", data, {"epochs": (1,)}, None, dask="nonsense")
    assert not (tmp_path / "never").exists()


# --------------------------------------------------------------------------- Dask


def test_dask_local_cluster_matches_local(data, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    grid = {"seed": (0, 1, 2), "epochs": (2,)}
    local = run_sweep("linear-regression", data, grid, None, workers=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        result = run_sweep(
            "linear-regression", data, grid, tmp_path / "dask", dask=cluster.scheduler_address
        )
    assert result.backend == cluster.scheduler_address and result.workers == 2
    assert [r["status"] for r in result.rows] == ["ok"] * 3
    for a, b in zip(local.rows, result.rows, strict=True):
        assert a["seed"] == b["seed"]
        assert a["parameters"] == pytest.approx(b["parameters"], abs=1e-12)
    assert (tmp_path / "dask" / "results.csv").is_file()
