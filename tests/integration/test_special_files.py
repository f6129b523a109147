"""Special files and links as output paths of the command line (issue 13, items 1, 5 and 7).

A character device or a FIFO given as an output file is written through, never replaced; a
link to a regular file has its target replaced; dangling links, link loops and FIFOs without a
reader are refused with exit status 2 and one ``error:`` line; a directory that merely holds
files with the names of a run's is never overwritten.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from tests.helpers import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TEST_CSV = EXAMPLES / "linreg_test.csv"


def _train_example(capsys: pytest.CaptureFixture[str], out: object) -> tuple[int, str, str]:
    """``sbmlcrn train linear-regression`` on the example data, 1 epoch, into ``out``."""
    data = EXAMPLES / "linreg_train.csv"
    return run_cli(capsys, "train", "linear-regression", "--data", data, "--epochs", "1",
                   "--out", out, "--quiet")  # fmt: skip


def error_line(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err


def node(path: str | Path) -> tuple[int, int, int, int]:
    st = os.lstat(path)
    return st.st_dev, st.st_ino, st.st_rdev, stat.S_IFMT(st.st_mode)


class FifoReader:
    """A thread holding ``fifo`` open for reading (from construction) and reading it to EOF."""

    def __init__(self, fifo: Path) -> None:
        self.chunks: list[bytes] = []
        opened = threading.Event()

        def read() -> None:
            fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
            opened.set()
            os.set_blocking(fd, True)
            with os.fdopen(fd, "rb") as fh:
                while not (self.chunks and self.chunks[-1] == b""):
                    chunk = fh.read()
                    if chunk or self.chunks:
                        self.chunks.append(chunk)

        self.thread = threading.Thread(target=read, daemon=True)
        self.thread.start()
        assert opened.wait(10)

    def data(self) -> bytes:
        self.thread.join(20)
        assert not self.thread.is_alive()
        return b"".join(self.chunks)


@pytest.fixture
def links(tmp_path: Path) -> dict[str, Path]:
    """A dangling link, a link loop, a link to a directory and a link to a regular file."""
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    (tmp_path / "loop").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop")
    (tmp_path / "adir").mkdir()
    (tmp_path / "to_dir").symlink_to(tmp_path / "adir")
    (tmp_path / "file.txt").write_text("old", encoding="utf-8")
    (tmp_path / "to_file").symlink_to(tmp_path / "file.txt")
    return {p.name: p for p in tmp_path.iterdir()}


# --------------------------------------------------------------------------- output files


def test_predict_out_dev_null_is_written_through(
    capsys: pytest.CaptureFixture[str], linear_regression_run: Path
) -> None:
    before = node("/dev/null")
    code, out, _ = run_cli(
        capsys, "predict", linear_regression_run, "--data", TEST_CSV, "--out", "/dev/null"
    )
    assert code == 0 and "predictions to /dev/null" in out
    assert node("/dev/null") == before and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_predict_out_dev_stdout_writes_to_stdout(
    capfd: pytest.CaptureFixture[str], linear_regression_run: Path
) -> None:
    code, out, _ = run_cli(
        capfd, "predict", linear_regression_run, "--data", TEST_CSV, "--out", "/dev/stdout"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "x1,x2,y,prediction" and lines[-1].endswith("predictions to /dev/stdout")


@pytest.mark.timeout(30)
def test_export_inference_to_a_fifo_with_a_reader(
    capsys: pytest.CaptureFixture[str], linear_regression_run: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    before = node(fifo)
    reader = FifoReader(fifo)
    code, _, _ = run_cli(capsys, "export-inference", linear_regression_run, "-o", fifo)
    assert code == 0
    assert reader.data().startswith(b"<?xml") and node(fifo) == before
    assert [p.name for p in tmp_path.iterdir()] == ["fifo"]


@pytest.mark.timeout(30)
def test_export_inference_to_a_fifo_without_a_reader_is_refused(
    capsys: pytest.CaptureFixture[str], linear_regression_run: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    before = node(fifo)
    code, _, err = run_cli(capsys, "export-inference", linear_regression_run, "-o", fifo)
    assert code == 2
    error_line(err, str(fifo), "no process is reading")
    assert node(fifo) == before


def test_validate_junit_to_dev_null_and_through_a_link(
    capsys: pytest.CaptureFixture[str], linear_regression_run: Path, links: dict[str, Path]
) -> None:
    model = linear_regression_run / "model.xml"
    before = node("/dev/null")
    code, _, _ = run_cli(capsys, "validate", model, "--junit", "/dev/null")
    assert code == 0 and node("/dev/null") == before
    code, _, _ = run_cli(capsys, "validate", model, "--junit", links["to_file"])
    assert code == 0 and links["to_file"].is_symlink()
    assert links["file.txt"].read_text(encoding="utf-8").startswith("<?xml")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("dangling", "symbolic link to a missing file"),
        ("loop", "symbolic link loop"),
        ("to_dir", "is a directory"),
    ],
)
def test_unusable_output_files_exit_2(
    capsys: pytest.CaptureFixture[str],
    linear_regression_run: Path,
    links: dict[str, Path],
    name: str,
    message: str,
) -> None:
    path = links[name]
    for args in (
        ("predict", linear_regression_run, "--data", TEST_CSV, "--out", path),
        ("export-inference", linear_regression_run, "-o", path),
        ("validate", linear_regression_run / "model.xml", "--junit", path),
    ):
        code, _, err = run_cli(capsys, *args)
        assert code == 2, args
        error_line(err, str(path), message)
    assert sorted(links) == sorted(p.name for p in path.parent.iterdir())
    assert not (path.parent / "missing").exists() and list((path.parent / "adir").iterdir()) == []


# --------------------------------------------------------------------------- run directories


def test_train_out_refuses_links_to_non_directories(
    capsys: pytest.CaptureFixture[str], links: dict[str, Path]
) -> None:
    for name, message in [
        ("to_file", "symbolic link to a non-directory"),
        ("dangling", "symbolic link to a missing path"),
    ]:
        code, _, err = _train_example(capsys, links[name])
        assert code == 2, name
        error_line(err, f"--out {links[name]}", message)
    assert links["to_file"].is_symlink() and links["dangling"].is_symlink()
    assert links["file.txt"].read_text(encoding="utf-8") == "old"


def test_train_out_link_loop_exits_2(
    capsys: pytest.CaptureFixture[str], links: dict[str, Path]
) -> None:
    code, _, err = _train_example(capsys, links["loop"])
    assert code == 2
    error_line(err, str(links["loop"]), "symbolic link loop")


def test_train_out_link_to_a_directory_writes_the_target(
    capsys: pytest.CaptureFixture[str], links: dict[str, Path]
) -> None:
    for _ in range(2):  # a new run, then a previous run replaced
        code, _, err = _train_example(capsys, links["to_dir"])
        assert code == 0, err
        assert links["to_dir"].is_symlink()
        assert {"model.xml", "result.json"} <= {p.name for p in links["adir"].iterdir()}
    hidden = [p.name for p in links["adir"].parent.iterdir() if p.name.startswith(".")]
    assert hidden == []


def test_train_never_overwrites_a_users_files_with_run_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "model.xml").write_text("<my model/>", encoding="utf-8")
    (out / "result.json").write_text('{"accuracy": 0.9}', encoding="utf-8")
    code, _, err = _train_example(capsys, out)
    assert code == 2
    error_line(err, f"--out {out}", "sbmlcrn did not write")
    assert (out / "model.xml").read_text(encoding="utf-8") == "<my model/>"
    assert (out / "result.json").read_text(encoding="utf-8") == '{"accuracy": 0.9}'


def test_default_ownership_accepts_sbmlcrn_runs_and_sweeps(
    linear_regression_run: Path, tmp_path: Path
) -> None:
    from sbmlcrn.errors import InputError
    from sbmlcrn.studies.sweep import SweepResult, check_sweep_out, write_sweep
    from sbmlcrn.training.store import check_out_dir

    assert check_out_dir(linear_regression_run) == linear_regression_run.resolve()
    result = SweepResult(
        circuit="linear-regression",
        grid={"lr": (0.1,)},
        rows=[{"lr": 0.1, "status": "ok", "error": "", "test_mse": 0.5, "seconds": 0.1}],
        metric="test_mse",
        backend="local",
        workers=1,
        elapsed_s=0.1,
    )
    out = write_sweep(result, tmp_path / "sweep", plot=False)
    assert check_sweep_out(out) == out
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "results.csv").write_text("my,results\n", encoding="utf-8")
    with pytest.raises(InputError, match="sbmlcrn did not write"):
        check_sweep_out(mine)
