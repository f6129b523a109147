"""BioSimulators accepts the COMBINE archive: ``biosimulators-utils validate-project`` and, where
installed, the BioSimulators images of COPASI and Tellurium run it.

The tools live in their own virtual environment (the ``biosimulators`` extra pins
biosimulators-utils 0.2.3, whose dependencies do not belong in sbmlcrn's): give the executable
in ``SBMLCRN_BIOSIMULATORS`` (``…/bin/biosimulators-utils``), ``SBMLCRN_BIOSIMULATORS_COPASI``
and ``SBMLCRN_BIOSIMULATORS_TELLURIUM``, or put them on ``PATH``; each test is skipped, with
the reason, when its executable is not found.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.io.omex import SEDML_LOCATION, write_omex

#: Warnings validate-project may print that do not concern the archive (see _warnings).
_TOOL_WARNINGS = (
    # the validator's own environment: kisao imports pkg_resources
    ("UserWarning", "pkg_resources is deprecated"),
    # biosimulators-utils 0.2.3 says so of every SED-ML L1V4 document, whatever it holds
    ("SedmlFeatureNotSupportedWarning", "is encoded using L1V4. Only a few features"),
)


def _executable(variable: str, name: str) -> str | None:
    """The executable named by environment variable ``variable``, else ``name`` on PATH."""
    given = os.environ.get(variable, "")
    if given:
        return given if os.access(given, os.X_OK) and Path(given).is_file() else None
    return shutil.which(name)


def _needs(variable: str, name: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        _executable(variable, name) is None,
        reason=f"needs {name}: set {variable} to its path or put it on PATH "
        f"(pip install 'sbmlcrn[biosimulators]' in a separate virtual environment)",
    )


def _archive(run_dir: Path, out: Path, **options: bool) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1717171717")
        return write_omex(run_dir, out, **options)


def _warnings(stderr: str) -> list[str]:
    """The ``…Warning: message`` lines of Python's warnings in ``stderr``."""
    return [
        line.strip()
        for line in stderr.splitlines()
        if re.search(r"\b\w*Warning: ", line) and not line.startswith(" " * 4)
    ]


def _validate(archive: Path) -> subprocess.CompletedProcess[str]:
    exe = _executable("SBMLCRN_BIOSIMULATORS", "biosimulators-utils")
    assert exe is not None
    return subprocess.run(
        [exe, "validate-project", str(archive)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ, TERM="dumb"),
    )


def _check_accepted(proc: subprocess.CompletedProcess[str]) -> None:
    """Exit 0, no error and no warning that concerns the archive."""
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert "Archive contains 1 SED-ML documents with 1 models, 1 simulations" in proc.stdout
    for text in ("not a valid", "BioSimulatorsWarning", "rdf:label", "content entries for"):
        assert text not in output, output[-4000:]
    for line in _warnings(proc.stderr):
        assert any(f"{kind}: " in line and text in line for kind, text in _TOOL_WARNINGS), line


@pytest.mark.slow  # validate-project takes 4-10 s
@_needs("SBMLCRN_BIOSIMULATORS", "biosimulators-utils")
@pytest.mark.parametrize("copasi", [None, False], ids=["default", "without-cps"])
def test_validate_project_accepts_the_archive(
    linear_regression_run: Path, tmp_path: Path, copasi: bool | None
) -> None:
    """0 errors, 0 warnings about the archive: title, creator, date, manifest, SED-ML."""
    _check_accepted(
        _validate(_archive(linear_regression_run, tmp_path / "run.omex", copasi=copasi))
    )


@pytest.mark.slow
@_needs("SBMLCRN_BIOSIMULATORS", "biosimulators-utils")
@pytest.mark.parametrize(
    "circuit", ["linear-classification", "nonlinear-regression", "nonlinear-multiclass"]
)
def test_validate_project_accepts_every_circuit(
    tiny_run: Callable[[str], Path], tmp_path: Path, circuit: str
) -> None:
    _check_accepted(_validate(_archive(tiny_run(circuit), tmp_path / "run.omex")))


def _final_thetas(report: Path, names: list[str]) -> np.ndarray:
    """The last value of each learned parameter's row of a BioSimulators CSV report (one row
    per data set, its label first: the column name of the model's observable ``theta_<col>``,
    or ``theta[col]`` for a model without observables), in the order of ``names``."""
    finals = {}
    with report.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle):
            for name in names:
                if row and row[0] in (name, f"theta[{name}]"):
                    finals[name] = float(row[-1])
    assert sorted(finals) == sorted(names), finals
    return np.array([finals[n] for n in names])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("variable", "name"),
    [
        ("SBMLCRN_BIOSIMULATORS_COPASI", "biosimulators-copasi"),
        ("SBMLCRN_BIOSIMULATORS_TELLURIUM", "biosimulators-tellurium"),
    ],
)
def test_biosimulators_simulators_train_the_model(
    linear_regression_run: Path, tmp_path: Path, variable: str, name: str
) -> None:
    """The simulator runs the archive; the final θ of its report are the recorded ones."""
    exe = _executable(variable, name)
    if exe is None:
        pytest.skip(f"needs {name}: set {variable} to its path or put it on PATH")
    archive = _archive(linear_regression_run, tmp_path / "run.omex")
    out = tmp_path / "out"
    proc = subprocess.run(
        [exe, "-i", str(archive), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=dict(os.environ, REPORT_FORMATS="csv", PLOT_FORMATS="", TERM="dumb"),
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    result = json.loads((linear_regression_run / "result.json").read_text(encoding="utf-8"))
    expected = np.array(list(result["parameters"].values()))
    report = out / SEDML_LOCATION / "report_training.csv"
    names = list(result["parameters"])
    np.testing.assert_allclose(_final_thetas(report, names), expected, atol=1e-6, rtol=0)
