"""Every circuit × every output format, re-simulated independently: the learned parameters.

For each circuit's tiny trained run (the ``tiny_run`` fixture) and each output format, the
exported model is simulated again by a simulator set up here, not by sbmlcrn's own
simulation code, from 0 to the training end time; every learned parameter is read from its
rails (``parameter_species`` in ``result.json``: value = [plus] − [minus] at the end time) and
must equal ``result.json``'s ``parameters``:

- SBML (``model.xml``) in RoadRunner;
- Antimony (``model.ant``) converted to SBML by ``antimony``, then RoadRunner;
- OMEX: the SBML named by the archive's manifest, simulated to the end time of its SED-ML
  time course, in RoadRunner;
- COPASI (``.cps``): the file's own time-course task, run by COPASI in a child process
  (skipped without ``copasi-basico``).

RoadRunner here integrates with BDF (the training runs Adams first) at tight tolerances, so
agreement is not an artefact of replaying the same integration.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import antimony
import numpy as np
import pytest
import roadrunner

from sbmlcrn.io.copasi import copasi_available, export_copasi
from sbmlcrn.io.omex import write_omex
from tests.helpers import CIRCUITS, PRODUCT_RUNS

FORMATS = ("sbml", "antimony", "omex", "copasi")

#: Simulated rails: species id → value at the end time, and the end time reached.
Final = tuple[dict[str, float], float]


def _tolerance(circuit: str) -> float:
    """1e-6 relative for the exact linear chemistry, 1e-4 for the nonlinear circuits."""
    return 1e-6 if circuit.startswith("linear") else 1e-4


def _roadrunner(sbml: str, end_time: float, species: list[str]) -> Final:
    """Simulate SBML text from 0 to ``end_time`` in RoadRunner (CVODE BDF, tight tolerances).

    The model is compiled with the LLJIT backend (3× faster than the default here); the
    process-wide setting is restored afterwards.
    """
    config = roadrunner.Config
    saved = config.getValue(config.LLVM_BACKEND)
    config.setValue(config.LLVM_BACKEND, config.LLJIT)
    try:
        rr = roadrunner.RoadRunner(sbml)
    finally:
        config.setValue(config.LLVM_BACKEND, saved)
    integrator = rr.getIntegrator()
    integrator.setValue("stiff", True)
    integrator.setValue("relative_tolerance", 1e-11)
    integrator.setValue("absolute_tolerance", 1e-13)
    integrator.setValue("maximum_num_steps", 1_000_000)
    rr.timeCourseSelections = ["time", *(f"[{s}]" for s in species)]
    out = np.asarray(rr.simulate(0.0, end_time, 2))
    return {s: float(out[-1, i]) for i, s in enumerate(species, 1)}, float(out[-1, 0])


def _from_sbml(run_dir: Path, result: dict[str, Any], species: list[str], _tmp: Path) -> Final:
    sbml = (run_dir / "model.xml").read_text(encoding="utf-8")
    return _roadrunner(sbml, result["training_end_time"], species)


def _from_antimony(run_dir: Path, result: dict[str, Any], species: list[str], _tmp: Path) -> Final:
    antimony.clearPreviousLoads()
    text = (run_dir / "model.ant").read_text(encoding="utf-8")
    assert antimony.loadAntimonyString(text) >= 0, antimony.getLastError()
    sbml = antimony.getSBMLString(antimony.getMainModuleName())
    assert sbml, antimony.getLastError()
    return _roadrunner(sbml, result["training_end_time"], species)


def _archive_entry(archive: zipfile.ZipFile, fmt: str) -> str:
    """The one manifest location whose format names ``fmt`` (``sbml`` or ``sed-ml``)."""
    manifest = ET.fromstring(archive.read("manifest.xml"))
    found = [
        el.get("location", "").removeprefix("./")
        for el in manifest.iter()
        if el.tag.endswith("content") and fmt in el.get("format", "").lower()
    ]
    assert len(found) == 1, f"manifest entries of format {fmt}: {found}"
    return found[0]


def _from_omex(run_dir: Path, result: dict[str, Any], species: list[str], tmp: Path) -> Final:
    path = write_omex(run_dir, tmp / "run.omex")
    with zipfile.ZipFile(path) as archive:
        sbml = archive.read(_archive_entry(archive, "sbml")).decode("utf-8")
        sedml = ET.fromstring(archive.read(_archive_entry(archive, "sed-ml")))
    courses = [el for el in sedml.iter() if el.tag.endswith("uniformTimeCourse")]
    assert len(courses) == 1
    end_time = float(courses[0].get("outputEndTime", "nan"))
    return _roadrunner(sbml, end_time, species)


#: Runs in a child process (COPASI is C++ code: a crash must not end the test session).
#: argv: the .cps file and the JSON list of species ids; prints the final values as JSON.
_COPASI_CHILD = """
import json, sys
import COPASI as copasi

path, species = sys.argv[1], json.loads(sys.argv[2])
dm = copasi.CRootContainer.addDatamodel()
if not dm.loadModel(path):
    sys.exit("COPASI could not load " + path)
model = dm.getModel()
by_id = {}
for i in range(model.getNumMetabs()):
    m = model.getMetabolite(i)
    by_id[str(m.getSBMLId())] = str(m.getObjectName())
task = dm.getTask("Time-Course")
if not (task.initializeRaw(copasi.CCopasiTask.ONLY_TIME_SERIES) and task.processRaw(True)):
    sys.exit("COPASI's time course failed")
series = task.getTimeSeries()
last = series.getRecordedSteps() - 1
column = {str(series.getTitle(i)): i for i in range(1, series.getNumVariables())}
values = {s: series.getConcentrationData(last, column[by_id[s]]) for s in species}
print(json.dumps({"time": series.getConcentrationData(last, 0), "values": values}))
"""


def _from_copasi(run_dir: Path, result: dict[str, Any], species: list[str], tmp: Path) -> Final:
    if not copasi_available():
        pytest.skip("COPASI (copasi-basico) is not installed")
    cps = export_copasi(run_dir, tmp / "model.cps")
    proc = subprocess.run(
        [sys.executable, "-P", "-c", _COPASI_CHILD, str(cps), json.dumps(species)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    return {s: float(v) for s, v in answer["values"].items()}, float(answer["time"])


SIMULATE: dict[str, Callable[[Path, dict[str, Any], list[str], Path], Final]] = {
    "sbml": _from_sbml,
    "antimony": _from_antimony,
    "omex": _from_omex,
    "copasi": _from_copasi,
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("circuit", CIRCUITS + PRODUCT_RUNS)
def test_export_recovers_the_learned_parameters(
    circuit: str, fmt: str, tiny_run: Callable[[str], Path], tmp_path: Path
) -> None:
    run_dir = tiny_run(circuit)
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    rails: dict[str, list[str]] = result["parameter_species"]
    expected: dict[str, float] = result["parameters"]
    assert result["circuit"] == circuit.partition("@")[0]
    assert set(rails) == set(expected) and expected
    species = [s for pair in rails.values() for s in pair]

    final, end_time = SIMULATE[fmt](run_dir, result, species, tmp_path)

    assert end_time == pytest.approx(result["training_end_time"], rel=1e-12)
    learned = {name: final[plus] - final[minus] for name, (plus, minus) in rails.items()}
    tol = _tolerance(circuit)
    wrong = {
        name: (learned[name], value)
        for name, value in expected.items()
        if not abs(learned[name] - value) <= tol * abs(value)
    }
    assert not wrong, f"{circuit} via {fmt}: parameter: (re-simulated, result.json): {wrong}"


def test_the_check_sees_an_unfinished_training(tiny_run: Callable[[str], Path]) -> None:
    """Stopping the re-simulation halfway gives other parameters: the matrix has teeth."""
    run_dir = tiny_run("linear-regression")
    result = json.loads((run_dir / "result.json").read_text(encoding="utf-8"))
    rails: dict[str, list[str]] = result["parameter_species"]
    sbml = (run_dir / "model.xml").read_text(encoding="utf-8")
    species = [s for pair in rails.values() for s in pair]
    final, _ = _roadrunner(sbml, result["training_end_time"] / 2, species)
    learned = {name: final[plus] - final[minus] for name, (plus, minus) in rails.items()}
    assert any(
        abs(learned[name] - value) > 1e-3 * abs(value)
        for name, value in result["parameters"].items()
    )
