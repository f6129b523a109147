"""COMBINE archive (OMEX) export of a training run: the SBML model plus a SED-ML description.

:func:`write_omex` packs a run directory written by :func:`sbmlcrn.training.store.save_run`
into one ``.omex`` file that any SED-ML tool (Tellurium, BioSimulators, …) can execute to
replay the whole training run:

- ``model/model.xml`` — the SBML training model, copied byte for byte (see below for the
  directory);
- ``simulation.sedml`` — SED-ML Level 1 Version 4: one uniform time course from 0 to the
  training end time with CVODE (KISAO:0000019) at sbmlcrn's tolerances, data generators for
  each parameter's plus and minus species, the model's observables ``theta_<column>``
  (``dg_theta_<column>``, labelled with the column name) and ``loss`` (the circuit's
  per-sample loss, squared hinge and mini-batch mean included), a report of all of them and a
  plot of the parameters. A model written before the observables existed gets the rail
  differences (``dg_theta_<k>``, ``theta[name]``) and ``½ Σ_k ([e_k⁺] − [e_k⁻])²`` (squared
  loss, one sample per step only) computed in the SED-ML instead;
- ``result.json`` — the run's record (learned parameters, to compare a replay against), copied
  byte for byte;
- ``model/model.cps`` — the COPASI file of :func:`sbmlcrn.io.copasi.export_copasi` (time
  course and plots set up), when COPASI is installed (``copasi=None``, the default) or asked
  for (``copasi=True``);
- ``manifest.xml`` and ``metadata.rdf`` (OMEX metadata as BioSimulators reads it:
  ``dc:title``, ``dc:description``, a ``dc:creator`` with an ``rdfs:label``, ``dc:created``).

The run's record is read through :func:`sbmlcrn.io.record.read_record_bytes` (the one reader
of ``result.json``); the error species come from :meth:`~sbmlcrn.io.record.RunRecord.loss_species`.

Decisions:

- The SED-ML is written with :mod:`xml.etree.ElementTree`, not libsedml, so the core needs no
  extra package; the tests validate it with libsedml and execute it with Tellurium.
- The creation date (``dc:created``, every zip entry's timestamp and the two dates COPASI
  writes into the ``.cps``) is, in this order: ``SOURCE_DATE_EPOCH`` when set (the
  reproducible-builds convention; a malformed value is an error), the record's ``created``
  entry when it has one, else the current time (UTC, whole seconds). A real date, as COMBINE
  and BioSimulators expect, rather than a fixed one; the first two keep the archive
  reproducible: the same run directory, ``SOURCE_DATE_EPOCH`` (and COPASI version) give a
  byte-identical file — entries sorted by name, fixed permissions, the COPASI file's
  generation time replaced.
- The manifest lists the archive itself (``.``, as in the COMBINE 1.0 specification's example)
  but not ``manifest.xml``: libCOMBINE writes no entry for the manifest either, and
  BioSimulators warns that "OMEX manifests should not contain content entries for themselves".
- ``metadata.rdf`` uses the Dublin Core elements (``dc:``) that BioSimulators' OMEX metadata
  reader knows, about ``http://omex-library.org/NewOmex.omex`` (the archive's URI in the OMEX
  Metadata specification). libCOMBINE's ``OmexDescription`` is not used: it writes only
  ``dcterms:``/vCard statements (which BioSimulators ignores with "does not contain an
  rdf:label" warnings) and no title; its archive writer stamps the wall-clock time on every
  zip entry. Manifest and metadata are a dozen lines of ElementTree, so the core needs no
  libCOMBINE; the tests read the archive back with libCOMBINE and validate it with
  ``biosimulators-utils validate-project`` (the ``biosimulators`` extra).
- The ``.cps`` is included whenever COPASI is installed, and a COPASI failure fails the
  export: an archive whose content depended on a transient COPASI failure would not be
  reproducible. ``copasi=False`` leaves it out.
- The SBML sits in a subdirectory and ends in ``.xml``: Tellurium 2.2.13's inline-OMEX path
  (``te.convertCombineArchive``, ``te.convertAndExecuteCombineArchive``) strips ``.xml`` from
  the SED-ML model source of a model in the archive's root and then cannot find it; from
  ``model/model.xml`` it round-trips, and its SED-ML runner works either way.
- The manifest names the SED-ML format without level and version
  (``…/combine.specifications/sed-ml``): libCOMBINE 0.2.20, which Tellurium uses to find the
  master SED-ML file, does not know the ``sed-ml.level-1.version-4`` URI.
- The output grid has ``m ≥ 4`` points per training cycle (``m`` is chosen so that at least
  one point lies strictly inside every backward phase, then raised until the number of steps
  is a multiple of 5, which BioSimulators expects of a time course): the signed error is
  constant during a backward phase, so the ``loss`` column there is the loss of that cycle's
  sample; at the other points it is the error being accumulated (forward phase) or sits on a
  phase switch.
- The archive is written atomically (:func:`sbmlcrn.io.atomic.write_atomic`), so a reader
  never sees a half-written archive.
"""

from __future__ import annotations

import io
import math
import re
import tempfile
import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sbmlcrn._version import __version__
from sbmlcrn.circuits.common import LOSS_ID, theta_ids
from sbmlcrn.circuits.products import ProductConfig
from sbmlcrn.circuits.registry import Config
from sbmlcrn.core.expr import format_number
from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import write_atomic
from sbmlcrn.io.copasi import copasi_available, export_copasi
from sbmlcrn.io.record import (
    RECORD_FILE,
    check_event_model,
    creation_date,
    invalid_record,
    read_record_bytes,
    record_config,
)
from sbmlcrn.simulate import Tolerances

__all__ = [
    "ARCHIVE_URI",
    "COPASI_LOCATION",
    "MODEL_LOCATION",
    "SEDML_LOCATION",
    "sedml_document",
    "write_omex",
]

#: Location of the SED-ML document in the archive.
SEDML_LOCATION = "simulation.sedml"
#: Location of the SBML model in the archive.
MODEL_LOCATION = "model/model.xml"
#: Location of the COPASI file in the archive (when COPASI is installed).
COPASI_LOCATION = "model/model.cps"
#: The archive's URI in ``metadata.rdf`` (the OMEX Metadata specification's default name).
ARCHIVE_URI = "http://omex-library.org/NewOmex.omex"

_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:Z|[+-]\d\d:\d\d)")
_SPEC = "http://identifiers.org/combine.specifications/"
#: The SBML list element of each kind of variable a data generator reads.
_LIST_OF = {"species": "listOfSpecies", "parameter": "listOfParameters"}
_FORMATS = {
    "omex": _SPEC + "omex",
    "manifest": _SPEC + "omex-manifest",
    "metadata": _SPEC + "omex-metadata",
    "sedml": _SPEC + "sed-ml",
    "json": "http://purl.org/NET/mediatypes/application/json",
    "copasi": "http://purl.org/NET/mediatypes/application/x-copasi",
}
_SEDML_NS = "http://sed-ml.org/sed-ml/level1/version4"
_MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_XHTML_NS = "http://www.w3.org/1999/xhtml"
_KISAO_CVODE = "KISAO:0000019"


@dataclass(frozen=True)
class _Run:
    """What the SED-ML document needs to know about a run directory."""

    circuit: str
    sbml: bytes
    sbml_namespace: str
    sbml_level: int
    sbml_version: int
    parameter_species: tuple[tuple[str, str, str], ...]  # (name, plus, minus)
    error_species: tuple[tuple[str, str], ...]  # each output's (plus, minus); empty: no loss
    theta_ids: tuple[str, ...]  # the model's observable per parameter; empty: an older model
    loss_observable: bool  # the model has the observable ``loss``
    end_time: float
    cycles: int
    points_per_cycle: int
    result_json: bytes
    record_created: str | None  # result.json's 'created' entry


def _squared_error_loss(task: str, config: Config) -> bool:
    """Whether the run's loss is ½ Σ (e⁺ − e⁻)² of its error readouts, the loss data generator.

    Decision: not for the product units' squared hinge (½ max(0, m)² of the margins) nor for
    a mini-batch (a mean over its slots, the empty slots of a short batch excluded); writing
    the squared readouts there would give an archive whose loss curve differs from
    ``result.json``'s, so it is left out and the notes point to ``train_loss``.
    """
    if getattr(config, "batch_size", 1) != 1:
        return False
    return not (isinstance(config, ProductConfig) and config.loss_for(task) == "squared-hinge")


def _fail(run_dir: Path, why: str) -> InputError:
    return InputError(f"{run_dir}: not a usable sbmlcrn run directory ({why}).")


def _read_sbml(run_dir: Path, sbml: bytes) -> tuple[str, int, int, set[str], set[str]]:
    """The SBML namespace, level, version, species ids and the parameters an assignment rule
    computes (the observables) of ``model.xml``."""
    try:
        root = ET.fromstring(sbml)
    except ET.ParseError as exc:
        raise _fail(run_dir, f"model.xml is not XML: {exc}") from exc
    ns_match = re.match(
        r"^\{(http://www\.sbml\.org/sbml/level\d+/version\d+(/core)?)\}sbml$", root.tag
    )
    if ns_match is None:
        raise _fail(run_dir, "model.xml is not an SBML document")
    namespace = ns_match.group(1)
    try:
        level, version = int(root.get("level", "")), int(root.get("version", ""))
    except ValueError as exc:
        raise _fail(run_dir, "model.xml has no SBML level and version") from exc
    species = {str(el.get("id")) for el in root.iter(f"{{{namespace}}}species")}
    params = {str(el.get("id")) for el in root.iter(f"{{{namespace}}}parameter")}
    ruled = {str(el.get("variable")) for el in root.iter(f"{{{namespace}}}assignmentRule")}
    return namespace, level, version, species, params & ruled


def _read_run(run_dir: Path) -> _Run:
    """Read and check ``result.json`` (through :func:`read_record_bytes`) and ``model.xml``."""
    if not run_dir.is_dir():
        what = "does not exist" if not run_dir.exists() else "is not a directory"
        raise InputError(f"{run_dir}: {what}; give a run directory written by `sbmlcrn train`.")
    for name in (RECORD_FILE, "model.xml"):
        if not (run_dir / name).is_file():
            raise _fail(run_dir, f"no {name}")
    record, result_bytes = read_record_bytes(run_dir)  # its defects: "is not a valid run record"
    record_path = run_dir / RECORD_FILE
    check_event_model(record, run_dir, "a SED-ML time course cannot replay it")
    sbml = (run_dir / "model.xml").read_bytes()
    namespace, level, version, species, observed = _read_sbml(run_dir, sbml)

    triples = []
    for name, (plus, minus) in record.parameter_species.items():
        missing = [s for s in (plus, minus) if s not in species]
        if missing:
            raise invalid_record(
                record_path,
                f"the 'parameter_species' entry names {', '.join(missing)} for {name!r}, "
                "which model.xml does not have",
            )
        triples.append((name, plus, minus))
    if not triples:
        raise invalid_record(record_path, "the 'parameter_species' entry names no species")
    # the observables theta_<col> the model computes (the ids the circuit builders give);
    # an older model without them gets the rail differences computed in the SED-ML
    thetas = theta_ids([n for n, _, _ in triples])
    if not set(thetas) <= observed:
        thetas = ()
    errors = record.loss_species()
    if not all(s in species for pair in errors for s in pair):
        errors = ()  # no loss data generator for a model without the error species
    if LOSS_ID in observed or not _squared_error_loss(
        record.task, record_config(record, record_path)
    ):
        errors = ()  # the model's own loss, or one not ½ Σ (e⁺ − e⁻)²: result.json has it

    end_time = float(record.training_end_time)
    period = float(record.schedule["period"])
    phases = [(str(p["name"]), float(p["duration"])) for p in record.schedule["phases"]]
    if not math.isclose(sum(d for _, d in phases), period):
        raise invalid_record(
            record_path, "the 'schedule' entry's phases must last one 'period' together"
        )
    cycles = round(end_time / period)
    if cycles < 1 or not math.isclose(cycles * period, end_time, rel_tol=1e-12):
        raise invalid_record(
            record_path, "the 'training_end_time' entry must be a whole number of periods"
        )
    backward = next((d for n, d in phases if n in ("bwd", "backward")), phases[-1][1])
    # a grid step of at most half the backward phase puts a point strictly inside each one;
    # a finer grid keeps that, and BioSimulators expects a number of steps divisible by 5
    points = max(4, math.ceil(2 * period / backward - 1e-9))
    while (cycles * points) % 5:
        points += 1
    return _Run(
        circuit=record.circuit,
        sbml=sbml,
        sbml_namespace=namespace,
        sbml_level=level,
        sbml_version=version,
        parameter_species=tuple(triples),
        error_species=errors,
        theta_ids=thetas,
        loss_observable=LOSS_ID in observed,
        end_time=end_time,
        cycles=cycles,
        points_per_cycle=points,
        result_json=result_bytes,
        record_created=record.created,
    )


def _el(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, tag, attrs)


def _math(parent: ET.Element, expr: Any) -> None:
    """MathML for ``expr``: a variable id, a number, or ``(op, arg, ...)``."""
    math_el = _el(parent, "math", xmlns=_MATHML_NS)

    def put(node: ET.Element, e: Any) -> None:
        if isinstance(e, str):
            _el(node, "ci").text = e
        elif isinstance(e, int):
            _el(node, "cn", type="integer").text = str(e)
        elif isinstance(e, float):
            _el(node, "cn").text = format_number(e)
        else:
            apply = _el(node, "apply")
            _el(apply, e[0])
            for arg in e[1:]:
                put(apply, arg)

    put(math_el, expr)


def _label(name: str) -> str:
    return f"theta[{name}]"


def _loss_text(errors: tuple[tuple[str, str], ...]) -> str:
    """The loss formula of the notes: ``0.5 ([e_p] - [e_m])^2``, summed over outputs."""
    if len(errors) <= 1:
        e_p, e_m = errors[0] if errors else ("e_p", "e_m")
        return f"0.5 ([{e_p}] - [{e_m}])^2"
    terms = " + ".join(f"([{p}] - [{m}])^2" for p, m in errors)
    return f"0.5 ({terms}), summed over the {len(errors)} outputs,"


def _loss_math(errors: tuple[tuple[str, str], ...]) -> tuple[list[tuple[str, str]], Any]:
    """The variables and expression of the loss ``½ Σ_k ([e_k⁺] − [e_k⁻])²``.

    Products, not ``<power/>``: Tellurium 2.2.13 renders power as Python's ``^``. One output
    keeps the variable ids ``v_loss_p``/``v_loss_m``; several get ``v_loss_<k>_p`` ….
    """
    if len(errors) == 1:
        names = [("v_loss_p", "v_loss_m")]
    else:
        names = [(f"v_loss_{k}_p", f"v_loss_{k}_m") for k in range(1, len(errors) + 1)]
    variables = []
    for (v_p, v_m), (s_p, s_m) in zip(names, errors, strict=True):
        variables += [(v_p, s_p), (v_m, s_m)]
    diffs = [("minus", v_p, v_m) for v_p, v_m in names]
    if len(diffs) == 1:
        return variables, ("times", 0.5, diffs[0], diffs[0])
    return variables, ("times", 0.5, ("plus", *(("times", d, d) for d in diffs)))


def _simulation(root: ET.Element, run: _Run) -> None:
    """The notes, the model, the time course of the whole training run and its task."""
    tol = Tolerances()
    notes = _el(_el(root, "notes"), "body", xmlns=_XHTML_NS)
    for text in (
        f"Generated by sbmlcrn {__version__}: simulating {MODEL_LOCATION} from 0 to "
        f"{format_number(run.end_time)} trains the Neural CRN ({run.circuit or 'circuit'}).",
        "theta_<column> is the model's parameter of that name (an assignment rule [plus] - "
        "[minus], its SBML name the data's column), the learned parameter of that column; its "
        "value at the end time is the trained one (result.json, 'parameters')."
        if run.theta_ids
        else "theta[name] = [plus] - [minus] is a learned parameter; its value at the end time "
        "is the trained one (result.json, 'parameters').",
        "loss is the model's parameter loss (an assignment rule: the circuit's per-sample loss "
        "of its error species, the mean over a mini-batch's slots): at output times inside a "
        "backward phase it is the loss of the cycle's sample; elsewhere it shows the error "
        "being accumulated."
        if run.loss_observable
        else f"loss = {_loss_text(run.error_species)} is the loss of the cycle's sample at "
        "output times inside a backward phase; elsewhere it shows the error being accumulated."
        if run.error_species
        else "No loss curve is written for this run (a squared hinge, a mini-batch or a model "
        "without error species): its training loss per epoch is result.json's 'train_loss'.",
    ):
        _el(notes, "p").text = text

    models = _el(root, "listOfModels")
    _el(
        models,
        "model",
        id="model",
        name="Neural CRN training model",
        language=f"urn:sedml:language:sbml.level-{run.sbml_level}.version-{run.sbml_version}",
        source=MODEL_LOCATION,
    )

    sims = _el(root, "listOfSimulations")
    sim = _el(
        sims,
        "uniformTimeCourse",
        id="training",
        name="the whole training run",
        initialTime="0",
        outputStartTime="0",
        outputEndTime=format_number(run.end_time),
        numberOfSteps=str(run.cycles * run.points_per_cycle),
    )
    algorithm = _el(sim, "algorithm", name="CVODE", kisaoID=_KISAO_CVODE)
    params = _el(algorithm, "listOfAlgorithmParameters")
    for kisao, name, value in (
        ("KISAO:0000209", "relative tolerance", format_number(tol.relative)),
        ("KISAO:0000211", "absolute tolerance", format_number(tol.absolute)),
        ("KISAO:0000415", "maximum number of steps", str(tol.max_steps)),
    ):
        _el(params, "algorithmParameter", name=name, kisaoID=kisao, value=value)

    tasks = _el(root, "listOfTasks")
    _el(tasks, "task", id="task", modelReference="model", simulationReference="training")


def _sedml(run: _Run) -> str:
    sbml_prefix = "sbml"
    root = ET.Element(
        "sedML",
        {
            "xmlns": _SEDML_NS,
            f"xmlns:{sbml_prefix}": run.sbml_namespace,
            "level": "1",
            "version": "4",
        },
    )
    _simulation(root, run)

    generators = _el(root, "listOfDataGenerators")
    report_rows: list[tuple[str, str]] = []  # (data generator id, label)

    def generator(dg_id: str, label: str, variables: list[tuple[str, str]], expr: Any) -> None:
        """``variables``: (variable id, SBML id); a species unless it is an observable."""
        dg = _el(generators, "dataGenerator", id=dg_id, name=label)
        listing = _el(dg, "listOfVariables")
        for var_id, species in variables:
            kind = "parameter" if species in observables else "species"
            if species == "time":
                _el(
                    listing,
                    "variable",
                    id=var_id,
                    symbol="urn:sedml:symbol:time",
                    taskReference="task",
                )
            else:
                target = (
                    f"/{sbml_prefix}:sbml/{sbml_prefix}:model/{sbml_prefix}:"
                    f"{_LIST_OF[kind]}/{sbml_prefix}:{kind}[@id='{species}']"
                )
                _el(
                    listing,
                    "variable",
                    id=var_id,
                    name=species,
                    target=target,
                    taskReference="task",
                )
        _math(dg, expr)
        report_rows.append((dg_id, label))

    observables = {*run.theta_ids, *((LOSS_ID,) if run.loss_observable else ())}
    generator("dg_time", "time", [("v_time", "time")], "v_time")
    thetas = []
    for k, (name, plus, minus) in enumerate(run.parameter_species, start=1):
        if run.theta_ids:  # the model's observable, labelled with the column name
            obs = run.theta_ids[k - 1]
            thetas.append((f"dg_{obs}", name))
            generator(f"dg_{obs}", name, [(f"v_{obs}", obs)], f"v_{obs}")
            continue
        dg_id = f"dg_theta_{k}"
        thetas.append((dg_id, _label(name)))
        generator(
            dg_id,
            _label(name),
            [(f"v_theta_{k}_p", plus), (f"v_theta_{k}_m", minus)],
            ("minus", f"v_theta_{k}_p", f"v_theta_{k}_m"),
        )
    for _name, plus, minus in run.parameter_species:
        for species in (plus, minus):
            generator(f"dg_{species}", f"[{species}]", [(f"v_{species}", species)], f"v_{species}")
    if run.loss_observable:
        generator("dg_loss", "loss", [("v_loss", LOSS_ID)], "v_loss")
    elif run.error_species:
        generator("dg_loss", "loss", *_loss_math(run.error_species))

    outputs = _el(root, "listOfOutputs")
    report = _el(outputs, "report", id="report_training", name="parameters and loss")
    datasets = _el(report, "listOfDataSets")
    for dg_id, label in report_rows:
        _el(datasets, "dataSet", id=f"ds_{dg_id[3:]}", label=label, dataReference=dg_id)
    plot = _el(outputs, "plot2D", id="plot_parameters", name="learned parameters")
    curves = _el(plot, "listOfCurves")
    for dg_id, label in thetas:
        _el(
            curves,
            "curve",
            id=f"curve_{dg_id[3:]}",
            name=label,
            type="points",
            xDataReference="dg_time",
            yDataReference=dg_id,
        )

    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _manifest(entries: dict[str, str]) -> str:
    """The manifest: the archive itself (``.``) and every entry but ``manifest.xml``."""
    root = ET.Element("omexManifest", {"xmlns": _SPEC.rstrip("/") + "/omex-manifest"})
    _el(root, "content", location=".", format=_FORMATS["omex"])
    for location, fmt in sorted(entries.items()):
        attrs = {"location": f"./{location}", "format": fmt}
        if location == SEDML_LOCATION:
            attrs["master"] = "true"
        _el(root, "content", **attrs)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _metadata(run: _Run, created: str, with_copasi: bool) -> str:
    """``metadata.rdf``: title, description, creator and creation date of the archive."""
    dc = "http://purl.org/dc/elements/1.1/"
    root = ET.Element(
        "rdf:RDF",
        {
            "xmlns:rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            "xmlns:dc": dc,
            "xmlns:rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "xmlns:foaf": "http://xmlns.com/foaf/0.1/",
        },
    )
    circuit = run.circuit or "Neural CRN"
    desc = _el(root, "rdf:Description", **{"rdf:about": ARCHIVE_URI})
    _el(desc, "dc:title").text = f"sbmlcrn training run: {circuit}"
    copasi = f"; {COPASI_LOCATION} is the same model set up for COPASI" if with_copasi else ""
    _el(desc, "dc:description").text = (
        f"A Neural CRN ({circuit}) that learns by simulation: executing {SEDML_LOCATION} "
        f"simulates the SBML model {MODEL_LOCATION} from 0 to {format_number(run.end_time)} "
        f"and so trains it; result.json records what it learned{copasi}."
    )
    creator = _el(_el(desc, "dc:creator"), "rdf:Description")
    _el(creator, "foaf:name").text = "sbmlcrn"
    _el(creator, "rdfs:label").text = "sbmlcrn"
    _el(desc, "dc:created").text = created
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def sedml_document(run_dir: Path | str) -> str:
    """The SED-ML Level 1 Version 4 text that :func:`write_omex` puts into the archive."""
    return _sedml(_read_run(Path(run_dir)))


def _zip_date(created: str) -> tuple[int, int, int, int, int, int]:
    """The zip timestamp of W3C date ``created``: its date and time as written (zip has no
    time zone), seconds rounded down to even, clamped to the years 1980–2107 zip can hold."""
    found = re.match(r"(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?)?)?", created)
    groups = found.groups() if found else ("1980", None, None, None, None, None)
    fields = [int(g) if g else (1 if k < 3 else 0) for k, g in enumerate(groups)]
    year, month, day, hour, minute, second = fields
    if year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if year > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (year, month, day, hour, minute, second - second % 2)


def _copasi_bytes(run: _Run, created: str) -> bytes:
    """The ``.cps`` of :func:`~sbmlcrn.io.copasi.export_copasi`, made reproducible.

    It is exported from a copy of the run's ``result.json`` and ``model.xml`` with the ``.cps``
    beside the model, as in the archive, so COPASI's ``SBMLReference`` reads ``model.xml``
    wherever the run directory is. COPASI stamps the wall-clock time twice (a comment and the
    model's ``dcterms:created``): every date-time in the file that falls within the export
    call is replaced by ``created``.
    """
    with tempfile.TemporaryDirectory(prefix="sbmlcrn-omex-") as tmp:
        copy = Path(tmp)
        (copy / RECORD_FILE).write_bytes(run.result_json)
        (copy / "model.xml").write_bytes(run.sbml)
        start = math.floor(time.time()) - 1
        text = export_copasi(copy, copy / "model.cps").read_text(encoding="utf-8")
        end = math.ceil(time.time()) + 1

    def stamp(match: re.Match[str]) -> str:
        when = datetime.fromisoformat(match.group(0)).timestamp()
        return created if start <= when <= end else match.group(0)

    return _DATE_TIME.sub(stamp, text).encode("utf-8")


def _archive_bytes(run: _Run, created: str, cps: bytes | None) -> bytes:
    contents = {
        MODEL_LOCATION: (
            run.sbml,
            f"{_SPEC}sbml.level-{run.sbml_level}.version-{run.sbml_version}",
        ),
        SEDML_LOCATION: (_sedml(run).encode("utf-8"), _FORMATS["sedml"]),
        "result.json": (run.result_json, _FORMATS["json"]),
        "metadata.rdf": (
            _metadata(run, created, cps is not None).encode("utf-8"),
            _FORMATS["metadata"],
        ),
    }
    if cps is not None:
        contents[COPASI_LOCATION] = (cps, _FORMATS["copasi"])
    manifest = _manifest({loc: fmt for loc, (_, fmt) in contents.items()})
    contents["manifest.xml"] = (manifest.encode("utf-8"), _FORMATS["manifest"])
    date_time = _zip_date(created)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for location in sorted(contents):
            info = zipfile.ZipInfo(location, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the platform
            info.external_attr = 0o100644 << 16
            zf.writestr(info, contents[location][0], compresslevel=9)
    return buffer.getvalue()


def write_omex(run_dir: Path | str, out: Path | str, *, copasi: bool | None = None) -> Path:
    """Write the COMBINE archive of run directory ``run_dir`` to ``out``; return its path.

    The archive holds ``model/model.xml``, ``simulation.sedml`` (SED-ML L1V4, the master file),
    ``result.json``, ``manifest.xml``, ``metadata.rdf`` and, with COPASI, ``model/model.cps``.
    Its creation date is :func:`creation_date` of the record's ``created`` entry; with
    ``SOURCE_DATE_EPOCH`` set (or a record that has a date) the same run directory always gives
    a byte-identical file. It is written through a temporary file renamed into place.

    Parameters
    ----------
    run_dir
        A run directory written by ``sbmlcrn train``.
    out
        The ``.omex`` file to write (replaced if it exists).
    copasi
        Include the COPASI file: ``None`` (the default) when COPASI is installed, ``True``
        always (an error without COPASI), ``False`` never.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputError
        If ``run_dir`` is not a run directory written by ``sbmlcrn train`` (missing or invalid
        ``result.json`` or ``model.xml``), its ``model.xml`` is the event-free network of a
        ``phases`` run too large for its event model, ``out`` is a directory,
        ``SOURCE_DATE_EPOCH`` is malformed, or ``copasi=True`` without COPASI installed.
    CopasiError
        If COPASI is used and fails to write the model.
    """
    run = _read_run(Path(run_dir))
    target = Path(out)
    if target.is_dir():
        raise InputError(f"{out}: is a directory; give a file name such as run.omex.")
    created = creation_date(run.record_created)
    if copasi is None:
        copasi = copasi_available()
    cps = _copasi_bytes(run, created) if copasi else None
    return write_atomic(target, _archive_bytes(run, created, cps))
