"""The COMBINE archive of a run: layout, determinism, valid SED-ML, and Tellurium replays it.

libsedml and Tellurium run in subprocesses: importing either makes libsbml's
``ASTNode.getType()`` return boxed SWIG objects for the rest of the process (a SWIG type
clash), which would break later tests.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.errors import InputError
from sbmlcrn.io.copasi import copasi_available
from sbmlcrn.io.omex import (
    ARCHIVE_URI,
    COPASI_LOCATION,
    MODEL_LOCATION,
    SEDML_LOCATION,
    sedml_document,
    write_omex,
)
from sbmlcrn.io.record import creation_date
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.store import save_run
from tests.helpers import linear_data

ROOT = Path(__file__).resolve().parents[2]
SED = "{http://sed-ml.org/sed-ml/level1/version4}"
MANIFEST = "{http://identifiers.org/combine.specifications/omex-manifest}"
SPEC = "http://identifiers.org/combine.specifications/"
#: The SOURCE_DATE_EPOCH the module's archive is written with, and its date.
EPOCH, EPOCH_DATE = "1717171717", "2024-05-31T16:08:37Z"
RDF_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}
needs_copasi = pytest.mark.skipif(not copasi_available(), reason="needs COPASI (copasi-basico)")


def _env() -> dict[str, str]:
    """The environment of a subprocess: this checkout first on the path, headless plots."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    return env


def _python(code: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _last_json(stdout: str) -> dict:
    """The last stdout line, which the subprocess prints as JSON (tools may print before)."""
    return json.loads(stdout.strip().splitlines()[-1])


def _replay(archive: Path, cwd: Path, out_dir: Path) -> dict[str, list[float]]:
    """Tellurium's archive runner on ``archive``: every data generator's values."""
    out_dir.mkdir()
    code = f"""
        import json
        import numpy as np
        from tellurium.sedml.tesedml import executeCombineArchive

        results = executeCombineArchive(
            {str(archive)!r}, createOutputs=True, saveOutputs=True,
            outputDir={str(out_dir)!r}, plottingEngine="matplotlib",
        )
        (result,) = results.values()
        dgs = {{k: np.asarray(v, dtype=float).ravel().tolist()
                for k, v in result["dataGenerators"].items()}}
        print(json.dumps(dgs))
    """
    return _last_json(_python(code, cwd).stdout)


def _epoch_losses(dgs: dict[str, list[float]], result: dict) -> np.ndarray:
    """The mean per epoch of the ``loss`` column at the first time strictly inside each
    cycle's backward phase (the error is constant there: the loss of the cycle's sample)."""
    schedule = result["schedule"]
    period = schedule["period"]
    fwd, _ = (p["duration"] for p in schedule["phases"])
    times = np.asarray(dgs["dg_time"])
    phase = np.mod(times, period)
    inside = (phase > fwd + 1e-9 * period) & (phase < period * (1 - 1e-9))
    first = inside & ~np.r_[False, inside[:-1]]  # the cycle boundaries lie on the grid
    cycles = schedule["epochs"] * schedule["samples"]
    assert np.array_equal(np.floor(times[first] / period), np.arange(cycles))
    loss = np.asarray(dgs["dg_loss"])[first]
    return loss.reshape(schedule["epochs"], schedule["samples"]).mean(axis=1)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data, _, _ = linear_data(15, 2, seed=4, noise=0.1)
    run = train("linear-regression", data, config=LinearConfig(epochs=3))
    return save_run(run, tmp_path_factory.mktemp("omex") / "run", plots=False)


@pytest.fixture(scope="module")
def archive(run_dir: Path) -> Path:
    """The run's archive, written with ``SOURCE_DATE_EPOCH`` set (and the ``.cps`` with COPASI)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return write_omex(run_dir, run_dir.parent / "run.omex")


def _result(run_dir: Path) -> dict:
    return json.loads((run_dir / "result.json").read_text(encoding="utf-8"))


def _unknown_species(result: dict) -> dict:
    pairs = result["parameter_species"] | {"x1": ["q_p", "q_m"]}
    return result | {"parameter_species": pairs}


def test_archive_is_a_zip_with_manifest_and_metadata(run_dir: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == sorted(names)
        expected = {"manifest.xml", "metadata.rdf", MODEL_LOCATION, "result.json", SEDML_LOCATION}
        assert set(names) == expected | ({COPASI_LOCATION} if copasi_available() else set())
        assert zf.read(MODEL_LOCATION) == (run_dir / "model.xml").read_bytes()
        assert zf.read("result.json") == (run_dir / "result.json").read_bytes()
        manifest = ET.fromstring(zf.read("manifest.xml"))
        metadata = zf.read("metadata.rdf").decode("utf-8")
        assert {info.date_time for info in zf.infolist()} == {(2024, 5, 31, 16, 8, 36)}
    assert manifest.tag == f"{MANIFEST}omexManifest"
    contents = {c.get("location"): c for c in manifest.iter(f"{MANIFEST}content")}
    # the archive itself, every file but the manifest (no self-entry: BioSimulators warns)
    assert set(contents) == {".", *(f"./{n}" for n in names if n != "manifest.xml")}
    assert contents["."].get("format") == SPEC + "omex"
    assert contents[f"./{MODEL_LOCATION}"].get("format") == SPEC + "sbml.level-3.version-2"
    assert contents[f"./{SEDML_LOCATION}"].get("format") == SPEC + "sed-ml"
    if copasi_available():
        assert contents[f"./{COPASI_LOCATION}"].get("format") == (
            "http://purl.org/NET/mediatypes/application/x-copasi"
        )
    assert [loc for loc, c in contents.items() if c.get("master") == "true"] == [
        f"./{SEDML_LOCATION}"
    ]
    rdf = ET.fromstring(metadata)
    (about,) = rdf.findall("rdf:Description", RDF_NS)
    assert about.get(f"{{{RDF_NS['rdf']}}}about") == ARCHIVE_URI
    assert (
        about.findtext("dc:title", namespaces=RDF_NS) == "sbmlcrn training run: linear-regression"
    )
    assert "simulation.sedml" in about.findtext("dc:description", namespaces=RDF_NS)
    assert about.findtext("dc:creator/rdf:Description/rdfs:label", namespaces=RDF_NS) == "sbmlcrn"
    assert about.findtext("dc:created", namespaces=RDF_NS) == EPOCH_DATE


def test_archive_is_deterministic(
    run_dir: Path, archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same run directory and SOURCE_DATE_EPOCH: the same bytes, the ``.cps`` included."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    again = write_omex(run_dir, tmp_path / "again.omex")
    assert again.read_bytes() == archive.read_bytes()
    # the run directory's own path does not enter the archive
    moved = Path(shutil.copytree(run_dir, tmp_path / "elsewhere"))
    assert write_omex(moved, tmp_path / "moved.omex").read_bytes() == archive.read_bytes()


def _created(archive: Path) -> str:
    with zipfile.ZipFile(archive) as zf:
        rdf = ET.fromstring(zf.read("metadata.rdf"))
    return rdf.findtext(".//dc:created", namespaces=RDF_NS) or ""


def test_created_date_comes_from_source_date_epoch_then_result_json_then_now(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = Path(shutil.copytree(run_dir, tmp_path / "dated"))
    result = _result(copy) | {"created": "2024-05-06T07:08:09Z"}
    (copy / "result.json").write_text(json.dumps(result), encoding="utf-8")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    dated = write_omex(copy, tmp_path / "dated.omex", copasi=False)
    assert _created(dated) == "2024-05-06T07:08:09Z"
    with zipfile.ZipFile(dated) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2024, 5, 6, 7, 8, 8)}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert _created(write_omex(copy, tmp_path / "epoch.omex", copasi=False)) == (
        "1970-01-01T00:00:00Z"
    )
    with zipfile.ZipFile(tmp_path / "epoch.omex") as zf:  # zip cannot go before 1980
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")  # empty: as if unset
    assert creation_date("2024-05-06") == "2024-05-06"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    # save_run records when the run was saved: two exports of one run are the same archive
    recorded = _result(run_dir)["created"]
    assert _created(write_omex(run_dir, tmp_path / "a.omex", copasi=False)) == recorded
    assert (tmp_path / "a.omex").read_bytes() == write_omex(
        run_dir, tmp_path / "b.omex", copasi=False
    ).read_bytes()
    undated = Path(shutil.copytree(run_dir, tmp_path / "undated"))
    old = {k: v for k, v in _result(undated).items() if k != "created"}  # an older record
    (undated / "result.json").write_text(json.dumps(old), encoding="utf-8")
    before = creation_date()
    now = _created(write_omex(undated, tmp_path / "now.omex", copasi=False))
    assert before <= now <= creation_date()  # no record date: the current time (UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", now)


@pytest.mark.parametrize("epoch", ["yesterday", "-1", "1.5", "١٢٣", "99999999999999999999"])
def test_malformed_source_date_epoch_is_refused(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    with pytest.raises(InputError, match="The SOURCE_DATE_EPOCH environment variable"):
        write_omex(run_dir, tmp_path / "x.omex", copasi=False)
    assert not (tmp_path / "x.omex").exists()


def test_archive_without_copasi_does_not_list_it(run_dir: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(write_omex(run_dir, tmp_path / "plain.omex", copasi=False)) as zf:
        assert COPASI_LOCATION not in zf.namelist()
        manifest = zf.read("manifest.xml").decode()
        metadata = zf.read("metadata.rdf").decode()
    assert "model.cps" not in manifest and "model.cps" not in metadata


@needs_copasi
def test_copasi_file_is_the_export_with_the_archive_date(
    run_dir: Path, archive: Path, tmp_path: Path
) -> None:
    """The ``.cps`` is export_copasi's file; only COPASI's generation time is replaced."""
    from sbmlcrn.io.copasi import export_copasi

    with zipfile.ZipFile(archive) as zf:
        packed = zf.read(COPASI_LOCATION).decode("utf-8")
    copy = Path(shutil.copytree(run_dir, tmp_path / "run"))
    fresh = export_copasi(copy, copy / "model.cps").read_text(encoding="utf-8")
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)"
    assert re.findall(stamp, packed) == [EPOCH_DATE, EPOCH_DATE]  # the comment and the model's
    assert re.sub(stamp, "T", packed) == re.sub(stamp, "T", fresh)
    assert packed.splitlines()[1].endswith(f"at {EPOCH_DATE} -->")
    assert '<SBMLReference file="model.xml">' in packed  # beside it in the archive


@pytest.mark.skipif(importlib.util.find_spec("libcombine") is None, reason="needs libcombine")
def test_libcombine_reads_the_archive(archive: Path, tmp_path: Path) -> None:
    """libCOMBINE (Tellurium's archive reader) finds every entry, the master SED-ML first."""
    code = f"""
        import json, libcombine
        archive = libcombine.CombineArchive()
        assert archive.initializeFromArchive({str(archive)!r})
        manifest = archive.getManifest()
        entries = [manifest.getContent(i) for i in range(manifest.getNumContents())]
        print(json.dumps({{
            "locations": [e.getLocation() for e in entries],
            "master": archive.getMasterFile().getLocation(),
            "errors": manifest.getNumErrors() if hasattr(manifest, "getNumErrors") else 0,
        }}))
    """
    out = _last_json(_python(code, tmp_path).stdout)
    assert out["master"] == f"./{SEDML_LOCATION}"
    assert "./manifest.xml" not in out["locations"]
    assert f"./{MODEL_LOCATION}" in out["locations"]


def test_sedml_describes_the_whole_training_run(run_dir: Path) -> None:
    result = _result(run_dir)
    root = ET.fromstring(sedml_document(run_dir))
    assert (root.get("level"), root.get("version")) == ("1", "4")
    (model,) = root.iter(f"{SED}model")
    assert model.get("source") == MODEL_LOCATION
    assert model.get("language") == "urn:sedml:language:sbml.level-3.version-2"
    (sim,) = root.iter(f"{SED}uniformTimeCourse")
    assert float(sim.get("initialTime")) == 0 and float(sim.get("outputStartTime")) == 0
    assert float(sim.get("outputEndTime")) == result["training_end_time"]
    schedule = result["schedule"]
    cycles = schedule["samples"] * schedule["epochs"]
    steps = int(sim.get("numberOfSteps"))
    # at least 4 points per cycle and a multiple of 5 (BioSimulators warns on others)
    assert steps % cycles == 0 and steps // cycles >= 4 and steps % 5 == 0
    assert steps == cycles * (4 if cycles % 5 == 0 else 5)
    algorithm = sim.find(f"{SED}algorithm")
    assert algorithm.get("kisaoID") == "KISAO:0000019"
    params = {
        p.get("kisaoID"): float(p.get("value")) for p in algorithm.iter(f"{SED}algorithmParameter")
    }
    assert params["KISAO:0000209"] <= 1e-10 and params["KISAO:0000211"] <= 1e-12

    generators = {dg.get("id"): dg for dg in root.iter(f"{SED}dataGenerator")}
    expected = {"dg_time", "dg_loss"}
    for name, (plus, minus) in result["parameter_species"].items():
        expected |= {f"dg_theta_{name}", f"dg_{plus}", f"dg_{minus}"}
        # the model's observable theta_<column>, labelled with the column name
        dg = generators[f"dg_theta_{name}"]
        assert dg.get("name") == name
        targets = [v.get("target") for v in dg.iter(f"{SED}variable")]
        assert targets == [
            f"/sbml:sbml/sbml:model/sbml:listOfParameters/sbml:parameter[@id='theta_{name}']"
        ]
    (loss,) = [v.get("target") for v in generators["dg_loss"].iter(f"{SED}variable")]
    assert loss.endswith("sbml:parameter[@id='loss']")
    assert set(generators) == expected
    variable_ids = [v.get("id") for v in root.iter(f"{SED}variable")]
    assert len(variable_ids) == len(set(variable_ids))  # SIds are unique in the document
    references = [ds.get("dataReference") for ds in root.iter(f"{SED}dataSet")]
    for curve in root.iter(f"{SED}curve"):
        references += [curve.get("xDataReference"), curve.get("yDataReference")]
    assert set(references) == expected
    curves = [c.get("yDataReference") for c in root.iter(f"{SED}curve")]
    assert curves == [f"dg_theta_{name}" for name in result["parameters"]]


@pytest.mark.skipif(importlib.util.find_spec("libsedml") is None, reason="needs libsedml")
def test_sedml_validates_with_libsedml(archive: Path, tmp_path: Path) -> None:
    code = f"""
        import json, zipfile, libsedml
        text = zipfile.ZipFile({str(archive)!r}).read({SEDML_LOCATION!r}).decode()
        doc = libsedml.readSedMLFromString(text)
        log = doc.getErrorLog()
        print(json.dumps({{
            "level": doc.getLevel(), "version": doc.getVersion(),
            "errors": log.toString(), "n": doc.getNumErrors(),
            "generators": doc.getNumDataGenerators(), "outputs": doc.getNumOutputs(),
        }}))
    """
    out = _last_json(_python(code, tmp_path).stdout)
    assert out["n"] == 0, out["errors"]
    assert (out["level"], out["version"]) == (1, 4)
    assert out["outputs"] == 2 and out["generators"] == 3 * 3 + 2


@pytest.mark.skipif(importlib.util.find_spec("tellurium") is None, reason="needs tellurium")
def test_tellurium_replays_the_archive(run_dir: Path, archive: Path, tmp_path: Path) -> None:
    """Tellurium's archive runner trains the model: final θ and per-epoch loss as recorded."""
    out_dir = tmp_path / "outputs"
    dgs = _replay(archive, tmp_path, out_dir)
    result = _result(run_dir)
    learned = np.array([dgs[f"dg_theta_{name}"][-1] for name in result["parameters"]])
    expected = np.array(list(result["parameters"].values()))
    np.testing.assert_allclose(learned, expected, atol=1e-6, rtol=0)
    assert dgs["dg_time"][-1] == result["training_end_time"]
    # the loss column at mid-backward times is the per-sample loss the run recorded
    np.testing.assert_allclose(
        _epoch_losses(dgs, result), result["train_loss"], rtol=1e-6, atol=1e-9
    )
    theta_p = np.asarray(dgs["dg_" + result["parameter_species"]["x1"][0]])
    theta_m = np.asarray(dgs["dg_" + result["parameter_species"]["x1"][1]])
    np.testing.assert_allclose(theta_p - theta_m, dgs["dg_theta_x1"], atol=1e-15)
    written = sorted(p.suffix for p in out_dir.iterdir())
    assert written == [".csv", ".pdf"]  # the report and the plot


@pytest.mark.skipif(importlib.util.find_spec("tellurium") is None, reason="needs tellurium")
def test_tellurium_inline_omex_path_accepts_the_archive(archive: Path, tmp_path: Path) -> None:
    """Tellurium's other route: archive → Antimony + PhraSEDML text → executed."""
    code = f"""
        import json
        import tellurium as te

        text = te.convertCombineArchive({str(archive)!r})
        te.executeInlineOmex(text)
        print(json.dumps({{"models": [l for l in text.splitlines() if ' model "' in l]}}))
    """
    out = _last_json(_python(code, tmp_path).stdout)
    assert out["models"] == [f'model = model "{MODEL_LOCATION}"']


# ------------------------------------------------------------------------------ multiclass


@pytest.fixture(scope="module")
def multiclass_archive(
    nonlinear_multiclass_run: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return write_omex(nonlinear_multiclass_run, tmp_path_factory.mktemp("mc") / "run.omex")


def test_multiclass_archive_has_its_loss_curve(
    nonlinear_multiclass_run: Path, multiclass_archive: Path
) -> None:
    """The loss sums the errors of every output (it was missing: only ``e_p``/``e_m`` were
    looked for, and a multiclass model has ``e1_p`` … ``eK_m``): the model's ``loss``
    observable reads them all, the SED-ML reads it."""
    import libsbml

    result = _result(nonlinear_multiclass_run)
    root = ET.fromstring(sedml_document(nonlinear_multiclass_run))
    (loss,) = (dg for dg in root.iter(f"{SED}dataGenerator") if dg.get("id") == "dg_loss")
    assert [v.get("name") for v in loss.iter(f"{SED}variable")] == ["loss"]
    model = libsbml.readSBMLFromFile(str(nonlinear_multiclass_run / "model.xml")).getModel()
    rule = libsbml.formulaToL3String(model.getAssignmentRuleByVariable("loss").getMath())
    k = len(result["classes"])
    assert k == 3
    assert all(f"e{i}_{side}" in rule for i in range(1, k + 1) for side in "pm")
    with zipfile.ZipFile(multiclass_archive) as zf:
        assert b'id="dg_loss"' in zf.read(SEDML_LOCATION)


def test_recorded_error_species_are_used(nonlinear_multiclass_run: Path, tmp_path: Path) -> None:
    """A record's ``error_species`` entry names the loss species (here only the first) of a
    model written before the observables existed (here: the observables removed)."""
    import libsbml

    copy = Path(shutil.copytree(nonlinear_multiclass_run, tmp_path / "run"))
    doc = libsbml.readSBMLFromFile(str(copy / "model.xml"))
    model = doc.getModel()
    for i in reversed(range(model.getNumRules())):
        model.removeParameter(model.getRule(i).getVariable())
        model.removeRule(i)
    libsbml.writeSBMLToFile(doc, str(copy / "model.xml"))
    result = _result(copy) | {"error_species": [["e1_p", "e1_m"]]}
    (copy / "result.json").write_text(json.dumps(result), encoding="utf-8")
    root = ET.fromstring(sedml_document(copy))
    (loss,) = (dg for dg in root.iter(f"{SED}dataGenerator") if dg.get("id") == "dg_loss")
    assert [v.get("name") for v in loss.iter(f"{SED}variable")] == ["e1_p", "e1_m"]
    ids = [dg.get("id") for dg in root.iter(f"{SED}dataGenerator")]
    assert "dg_theta_1" in ids  # the older scheme: rail differences computed in the SED-ML


@pytest.mark.skipif(importlib.util.find_spec("tellurium") is None, reason="needs tellurium")
def test_tellurium_replays_the_multiclass_loss(
    nonlinear_multiclass_run: Path, multiclass_archive: Path, tmp_path: Path
) -> None:
    dgs = _replay(multiclass_archive, tmp_path, tmp_path / "outputs")
    result = _result(nonlinear_multiclass_run)
    losses = _epoch_losses(dgs, result)
    np.testing.assert_allclose(losses, result["train_loss"], rtol=1e-5, atol=1e-9)


# ------------------------------------------------------------------------------ the record


def test_record_without_version_and_newer_version(run_dir: Path, tmp_path: Path) -> None:
    old = Path(shutil.copytree(run_dir, tmp_path / "old"))
    result = {k: v for k, v in _result(old).items() if k != "record_version"}
    (old / "result.json").write_text(json.dumps(result), encoding="utf-8")
    assert sedml_document(old) == sedml_document(run_dir)  # read as version 1
    new = Path(shutil.copytree(run_dir, tmp_path / "new"))
    (new / "result.json").write_text(json.dumps({"record_version": 2} | result), "utf-8")
    with pytest.raises(InputError, match="version 2, newer than this sbmlcrn reads"):
        write_omex(new, tmp_path / "new.omex")


def test_garbled_record_names_the_entry(run_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(run_dir, tmp_path / "run"))
    result = _result(copy) | {"parameters": [1.0, 2.0]}
    (copy / "result.json").write_text(json.dumps(result), encoding="utf-8")
    with pytest.raises(InputError) as info:
        write_omex(copy, tmp_path / "x.omex")
    assert str(info.value) == (
        f"{copy / 'result.json'} is not a valid run record (the 'parameters' entry must be a "
        "mapping of names to numbers; got list instead)"
    )


# ------------------------------------------------------------------------------ bad input


def test_missing_or_invalid_run_directory_raises_input_error(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.omex"
    with pytest.raises(InputError, match="does not exist"):
        write_omex(tmp_path / "nope", out)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="not a directory"):
        write_omex(tmp_path / "file", out)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"no result\.json"):
        write_omex(empty, out)

    def broken(name: str, edit) -> Path:
        copy = Path(shutil.copytree(run_dir, tmp_path / name))
        edit(copy)
        return copy

    cases = {
        "bad JSON": broken("j", lambda d: (d / "result.json").write_text("{", encoding="utf-8")),
        "no model": broken("m", lambda d: (d / "model.xml").unlink()),
        "not XML": broken("x", lambda d: (d / "model.xml").write_text("<sbml", encoding="utf-8")),
        "not SBML": broken("s", lambda d: (d / "model.xml").write_text("<a/>", encoding="utf-8")),
        "no schedule": broken(
            "k",
            lambda d: (d / "result.json").write_text(
                json.dumps({k: v for k, v in _result(d).items() if k != "schedule"}),
                encoding="utf-8",
            ),
        ),
        "unknown species": broken(
            "u",
            lambda d: (d / "result.json").write_text(
                json.dumps(_unknown_species(_result(d))),
                encoding="utf-8",
            ),
        ),
    }
    record_defects = {"bad JSON", "no schedule", "unknown species"}
    for what, path in cases.items():
        message = "is not a valid run record" if what in record_defects else "not a usable sbmlcrn"
        with pytest.raises(InputError, match=message):
            write_omex(path, out)
        assert not out.exists(), what
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_output_is_replaced_atomically(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path / "sub" / "run.omex"
    write_omex(run_dir, out, copasi=False)
    first = out.read_bytes()
    (tmp_path / "bad").mkdir()
    with pytest.raises(InputError):
        write_omex(tmp_path / "bad", out)
    assert out.read_bytes() == first  # a failed export leaves the previous archive alone
    assert write_omex(run_dir, out, copasi=False).read_bytes() == first
    assert [p.name for p in out.parent.iterdir()] == ["run.omex"]  # no temporary files left
    with pytest.raises(InputError, match="is a directory"):
        write_omex(run_dir, tmp_path)


@pytest.mark.parametrize(
    ("run_name", "has_loss"),
    [
        # every model now computes its own loss (observable ``loss``): the squared loss, the
        # squared hinge of the margins and a hinge in batches of 2 all get a loss curve
        ("nonlinear-regression@products", True),
        ("nonlinear-classification@products", True),
        ("nonlinear-multiclass@products", True),
    ],
)
def test_product_unit_archives_write_a_loss_curve_only_when_it_is_the_runs(
    tiny_run, run_name: str, has_loss: bool
) -> None:
    """The loss data generator reads the model's ``loss`` observable, the circuit's own loss
    (hinge and mini-batch mean included); a run without one gets none, and its notes point
    to result.json's train_loss."""
    root = ET.fromstring(sedml_document(tiny_run(run_name)))
    ids = {dg.get("id") for dg in root.iter(f"{SED}dataGenerator")}
    assert ("dg_loss" in ids) == has_loss
    notes = " ".join(p.text or "" for p in root.iter("{http://www.w3.org/1999/xhtml}p"))
    assert ("train_loss" in notes) == (not has_loss)


def test_every_sedml_variable_target_names_an_element_of_the_model(run_dir: Path) -> None:
    """Each data generator's XPath finds its element (a species or an observable parameter):
    BioSimulators refuses an archive otherwise (a 'listOfSpeciess' once slipped through)."""
    import xml.etree.ElementTree as ET

    sedml = ET.fromstring(sedml_document(run_dir))
    model = ET.parse(run_dir / "model.xml").getroot()
    ns = {"sbml": model.tag[1:].split("}")[0]}
    targets = [v.get("target") for v in sedml.iter() if v.tag.endswith("}variable")]
    targets = [t for t in targets if t]
    assert targets
    for target in targets:
        assert target.startswith("/sbml:sbml/"), target
        assert model.find("./" + target[len("/sbml:sbml/") :], ns) is not None, target
