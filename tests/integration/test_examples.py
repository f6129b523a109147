"""The Tellurium example script and notebook run as shipped, so they cannot rot.

Both run outside this process (a subprocess, a Jupyter kernel): importing Tellurium here would
break libsbml's ``ASTNode.getType()`` for later tests (a SWIG type clash).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOTEBOOK = EXAMPLES / "neural_crn_tellurium.ipynb"

needs_tellurium = pytest.mark.skipif(
    importlib.util.find_spec("tellurium") is None, reason="needs tellurium"
)


def _pythonpath() -> str:
    """This checkout first on the path, so the examples use the code under test."""
    return os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


@needs_tellurium
def test_tellurium_example_script(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=_pythonpath(), MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "tellurium_example.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "tellurium_parameters.png").stat().st_size > 10_000
    match = re.search(r"max \|Tellurium - reference\| = (\S+)", proc.stdout)
    assert match, proc.stdout
    assert float(match.group(1)) < 1e-6
    for name in ("x1", "x2", "offset"):
        assert re.search(rf"^\s+{name}\s+-?\d", proc.stdout, re.MULTILINE), proc.stdout


def test_notebook_is_stored_without_outputs() -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)


@needs_tellurium
def test_notebook_executes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("PYTHONPATH", _pythonpath())  # the kernel inherits the environment
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    text = "".join(
        out.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "stream"
    )
    deviations = re.findall(r"max \|(?:θ|loss) - reference\|:\s+(\S+)", text)
    assert len(deviations) == 2, text
    assert all(float(d) < 1e-6 for d in deviations), text
    images = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if "image/png" in out.get("data", {})
    ]
    assert len(images) == 1  # the parameter and loss plot
    assert NOTEBOOK.read_text(encoding="utf-8").count('"outputs": []') == sum(
        c.cell_type == "code" for c in nb.cells
    )  # executing in memory left the stored notebook unexecuted
