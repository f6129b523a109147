"""Validate a trained run directory: does its ``model.xml``, on its own, still learn what it claims?

:func:`validate_run` runs four checks on a directory written by ``sbmlcrn train``: the
learned parameters simulated from ``model.xml`` alone (RoadRunner and/or COPASI) against
``result.json``; the test metric and the expectations; the rebuild of ``model.xml`` from the
training data; its structure (libSBML, Neural-CRN rules). A bare model file (``models/*.xml``)
gets the first (against its expectations file) and the last.

The expectations file (``--expect FILE.json``) is one JSON object; every entry is optional::

    {
      "parameters": {"x1": {"value": -0.596, "tolerance": 1e-6}, "x2": -0.071},
      "metrics": {"mse": {"max": 0.5}, "accuracy": {"min": 0.9, "max": 1.0}}
    }

A parameter's ``tolerance`` is relative to ``max(1, |value|)`` (default: the weights check's);
a bare number is the value. The parameters are compared with the weights simulated from the
SBML (RoadRunner's, else COPASI's, else ``result.json``'s). ``metrics`` bounds ``mse`` or
``accuracy`` as recomputed on the test data, or as recorded in ``result.json`` without it.

Bad input (not a run directory, a damaged record, a CSV without the run's columns, a bad
expectations file) raises :class:`~sbmlcrn.errors.InputError`; a model that cannot be
simulated is a failed check carrying the simulator's message.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libsbml
import numpy as np

from sbmlcrn.circuits.chemclock import ChemicalClockConfig
from sbmlcrn.circuits.common import theta_ids
from sbmlcrn.circuits.registry import Config, circuit_spec, family_of
from sbmlcrn.core.data import Dataset, read_csv, read_test
from sbmlcrn.errors import CopasiError, InputError, SbmlcrnError, SimulationError
from sbmlcrn.io.record import (
    RECORD_FILE,
    RunRecord,
    check_event_model,
    read_record,
    record_config,
)
from sbmlcrn.simulate import Tolerances, simulate
from sbmlcrn.training.limits import MAX_REACTIONS
from sbmlcrn.training.model import evaluate, predict
from sbmlcrn.training.pipeline import build_model, tolerances_for
from sbmlcrn.training.store import load_model

__all__ = [
    "SIMULATORS",
    "CheckResult",
    "RunValidationReport",
    "junit_xml",
    "read_expectations",
    "validate_run",
]

#: The ``simulator`` choices of :func:`validate_run`.
SIMULATORS = ("roadrunner", "copasi", "both")
_METRICS = {"mse": "max", "accuracy": "min"}


@dataclass(frozen=True)
class CheckResult:
    """One check of :func:`validate_run`.

    Attributes
    ----------
    name : str
        ``weights-roadrunner``, ``weights-copasi``, ``expectations``, ``reproducible``,
        ``structure``.
    status : str
        ``passed``, ``failed``, ``skipped`` or ``reported`` (a metric without expectations).
    summary, details : str, tuple of str
        One line for people; every mismatch (parameter, both values, deviation) or finding.
    data : Mapping of str to Any
        JSON-ready numbers behind the verdict. ``seconds``: the check's wall time.
    """

    name: str
    status: str
    summary: str
    details: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True if the check failed."""
        return self.status == "failed"

    def to_dict(self) -> dict[str, Any]:
        """The check as a JSON-ready dict."""
        out = dataclasses.asdict(self)
        return out | {"details": list(self.details), "seconds": round(self.seconds, 6)}


@dataclass(frozen=True)
class RunValidationReport:
    """What :func:`validate_run` found: one :class:`CheckResult` per check, in order."""

    run_dir: str
    circuit: str
    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        """True if no check failed."""
        return not any(c.failed for c in self.checks)

    def check(self, name: str) -> CheckResult:
        """The check called ``name`` (KeyError if it did not run)."""
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return {
            "run_dir": self.run_dir,
            "circuit": self.circuit,
            "ok": self.ok,
            "checks": [c.to_dict() for c in self.checks],
        }

    def format_text(self) -> str:
        """The report for people: one line per check, its details indented, the verdict."""
        kind = f"{self.circuit} run" if self.circuit else "a model without a run record"
        lines = [f"{self.run_dir}: {kind}"]
        for c in self.checks:
            lines.append(f"  {c.status.upper():<8} {c.name}: {c.summary} ({c.seconds:.2f} s)")
            lines.extend(f"           {d}" for d in c.details)
        failed = [c.name for c in self.checks if c.failed]
        lines.append(f"{self.run_dir}: " + (f"FAILED ({', '.join(failed)})" if failed else "OK"))
        return "\n".join(lines)

    def junit_xml(self) -> str:
        """JUnit XML: one ``<testsuite>`` with one ``<testcase>`` per check."""
        return junit_xml([self])

    def to_junit_suite(self) -> ET.Element:
        """The report as one JUnit ``<testsuite>``, one ``<testcase>`` per check."""
        suite = ET.Element("testsuite", name=f"sbmlcrn validate --run {self.run_dir}")
        counts = dict.fromkeys(("failures", "skipped"), 0)
        for c in self.checks:
            case = ET.SubElement(
                suite, "testcase", classname=self.run_dir, name=c.name, time=f"{c.seconds:.3f}"
            )
            if c.failed:
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=c.summary).text = "\n".join(c.details)
            elif c.status == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=c.summary)
            elif c.details or c.status == "reported":
                ET.SubElement(case, "system-out").text = "\n".join((c.summary, *c.details))
        suite.set("tests", str(len(self.checks)))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", "0")
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", f"{sum(c.seconds for c in self.checks):.3f}")
        return suite


def junit_xml(reports: Sequence[RunValidationReport]) -> str:
    """JUnit XML (``<testsuites>``) of one or more reports, one suite per report."""
    root = ET.Element("testsuites", name="sbmlcrn validate --run")
    root.extend(r.to_junit_suite() for r in reports)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


@dataclass(frozen=True)
class _Run:
    path: Path
    model: Path
    record: RunRecord
    config: Config


def _read_run(run_dir: str | os.PathLike[str]) -> _Run:
    """The run directory's record and model path; InputError for anything but a run of the
    event model."""
    path = Path(run_dir)
    if not path.is_dir():
        raise InputError(f"{run_dir}: no such run directory.")
    if not (path / RECORD_FILE).is_file():
        raise InputError(f"{run_dir}: not a training run directory (no {RECORD_FILE}).")
    model = path / "model.xml"
    if not model.is_file():
        raise InputError(f"{run_dir}: the run directory has no model.xml.")
    record = read_record(path)
    check_event_model(record, run_dir, "validate --run simulates model.xml on its own")
    config = record_config(record, path / RECORD_FILE)
    return _Run(path, model, record, config)


def default_tolerance(record: RunRecord, config: Config) -> float:
    """The weights check's relative tolerance: 1e-4 for the Neural ODE design and for a
    chemical clock, else 1e-6.

    Decision: a chemical-clock run is not event-gated, so its rails are not integrated exactly
    and depend on CVODE's steps, which the output grid changes: a linear-regression run on the
    README's data (2 epochs) differed by 9.8e-7 between its training grid and ``[0, t_end]``.
    """
    chemical = isinstance(record.sections.get("clock"), dict)
    return 1e-4 if chemical or family_of(config).design == "node" else 1e-6


def _failed(name: str, message: str, t0: float) -> CheckResult:
    """A failed check whose summary and one detail are ``message``."""
    return CheckResult(name, "failed", message, (message,), {}, time.perf_counter() - t0)


def _compare(
    got: Mapping[str, float], want: Mapping[str, float], tolerance: Mapping[str, float] | float
) -> tuple[list[str], dict[str, Any]]:
    """Per parameter ``|got − want| / max(1, |want|)`` against its tolerance: the mismatch
    lines and the JSON-ready values."""
    problems, values = [], {}
    for name, expected in want.items():
        value = got.get(name, math.nan)
        tol = tolerance if isinstance(tolerance, float | int) else tolerance[name]
        dev = abs(value - expected) / max(1.0, abs(expected))
        values[name] = {
            "simulated": value if math.isfinite(value) else None,
            "expected": expected,
            "deviation": dev if math.isfinite(dev) else None,
            "tolerance": tol,
        }
        if not dev <= tol:  # also catches nan
            problems.append(
                f"parameter {name}: simulated {value:.15g}, expected {expected:.15g}, "
                f"relative deviation {dev:.3g} (allowed {tol:g})"
            )
    return problems, values


def _weights_verdict(
    name: str, learned: Mapping[str, float], record: RunRecord, tolerance: float, t0: float
) -> CheckResult:
    want = {k: float(v) for k, v in record.parameters.items()}
    problems, values = _compare(learned, want, tolerance)
    worst = max((v["deviation"] for v in values.values() if v["deviation"] is not None), default=0)
    summary = (
        f"{len(problems)} of {len(want)} learned parameters differ from result.json"
        if problems
        else f"{len(want)} learned parameters match result.json (max relative deviation "
        f"{worst:.3g}, allowed {tolerance:g})"
    )
    return CheckResult(
        name,
        "failed" if problems else "passed",
        summary,
        tuple(problems),
        {"tolerance": tolerance, "parameters": values},
        time.perf_counter() - t0,
    )


def _weights_roadrunner(run: _Run, tolerance: float) -> tuple[CheckResult, dict[str, float]]:
    """Check 1 in RoadRunner: the final rails of ``model.xml`` against ``result.json``."""
    t0 = time.perf_counter()
    rec = run.record
    pairs = dict(rec.parameter_species)
    try:
        sbml = run.model.read_text(encoding="utf-8")
        sim = simulate(
            sbml,
            [0.0, float(rec.training_end_time)],
            species=[s for pair in pairs.values() for s in pair],
            tolerances=tolerances_for(run.config, rec.task),
        )
        learned = {k: float(sim.final[p] - sim.final[m]) for k, (p, m) in pairs.items()}
    except (SimulationError, KeyError, OSError, UnicodeDecodeError) as exc:
        message = f"RoadRunner could not simulate model.xml: {exc}"
        return _failed("weights-roadrunner", message, t0), {}
    return _weights_verdict("weights-roadrunner", learned, rec, tolerance, t0), learned


def _weights_copasi(
    run: _Run, tolerance: float, timeout: float | None
) -> tuple[CheckResult, dict[str, float]]:
    """Check 1 in COPASI (:func:`sbmlcrn.io.copasi.crosscheck`, its child process)."""
    from sbmlcrn.io.copasi import copasi_available, crosscheck

    t0 = time.perf_counter()
    if not copasi_available():
        raise InputError("COPASI is not installed; install it with: pip install 'sbmlcrn[copasi]'")
    try:
        report = crosscheck(run.path, tolerance=tolerance, timeout=timeout)
    except CopasiError as exc:
        return _failed("weights-copasi", f"COPASI could not simulate model.xml: {exc}", t0), {}
    learned = dict(report.copasi)
    check = _weights_verdict("weights-copasi", learned, run.record, tolerance, t0)
    extra = [p for p in report.problems if "from RoadRunner's" not in p]  # ours name them
    if extra:
        summary = check.summary if check.failed else f"COPASI: {extra[0]}"
        details = (*check.details, *extra)
        check = dataclasses.replace(check, status="failed", summary=summary, details=details)
    return check, learned


def read_expectations(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check an expectations file (schema in the module docstring).

    Returns
    -------
    dict
        ``{"parameters": {name: {"value": v, "tolerance": t or None}}, "metrics": {metric:
        {"min": a or None, "max": b or None}}}``.

    Raises
    ------
    InputError
        The file cannot be read, is not JSON, or breaks the schema (the message says where).
    """
    where = f"{path}: not a valid expectations file"
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{where} ({exc}).") from None
    return _parse_expectations(doc, where)


def _parse_expectations(doc: object, where: str) -> dict[str, Any]:
    """Check parsed expectations against the schema; ``where`` starts every error message."""
    if not isinstance(doc, dict) or set(doc) - {"parameters", "metrics", "description"}:
        raise InputError(f"{where}: expected an object with 'parameters' and/or 'metrics'.")
    params: dict[str, dict[str, float | None]] = {}
    for name, spec in dict(doc.get("parameters") or {}).items():
        spec = {"value": spec} if _is_number(spec) else spec
        if not (isinstance(spec, dict) and _is_number(spec.get("value"))) or set(spec) - {
            "value",
            "tolerance",
        }:
            raise InputError(f"{where}: parameter {name!r} needs a number 'value'.")
        tol = spec.get("tolerance")
        if tol is not None and not (_is_number(tol) and tol > 0):
            raise InputError(f"{where}: the tolerance of {name!r} must be a positive number.")
        params[str(name)] = {"value": float(spec["value"]), "tolerance": tol}
    metrics: dict[str, dict[str, float | None]] = {}
    for name, bounds in dict(doc.get("metrics") or {}).items():
        ok = name in _METRICS and isinstance(bounds, dict) and bounds
        if not ok or set(bounds) - {"min", "max"} or not all(map(_is_number, bounds.values())):
            raise InputError(
                f"{where}: metric {name!r} must be 'mse' or 'accuracy' with a number 'min' "
                "and/or 'max'."
            )
        metrics[name] = {"min": bounds.get("min"), "max": bounds.get("max")}
    return {"parameters": params, "metrics": metrics}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _test_metric(run: _Run, test_path: str | os.PathLike[str]) -> dict[str, float]:
    """The metric on ``test_path`` through the inference network (InputError for bad data)."""
    rec = run.record
    trained = load_model(run.path)
    x = np.zeros((0, len(rec.inputs)))
    labels = tuple(rec.class_labels or ())
    test = read_test(test_path, Dataset(tuple(rec.inputs), x, None, rec.target, "", labels))
    if test.y is None:
        raise InputError(f"{test_path}: the test data need the target column {rec.target!r}.")
    preds = predict(trained, test.x, tolerances=tolerances_for(run.config, rec.task))
    return evaluate(rec.task, preds, test, run.config)


def _expectations(
    run: _Run,
    learned: Mapping[str, float],
    test: str | os.PathLike[str] | None,
    expect: Mapping[str, Any],
    tolerance: float,
) -> CheckResult:
    """Check 2: the metric (recomputed on ``test``, else recorded) and the parameters against
    ``expect``; without expectations the metric is reported."""
    t0 = time.perf_counter()
    details: list[str] = []
    data: dict[str, Any] = {}
    metric: Mapping[str, Any] | None = run.record.test
    source = "recorded in result.json"
    if test is not None:
        try:
            metric = _test_metric(run, test)
        except SimulationError as exc:
            message = f"the inference network could not be simulated: {exc}"
            return _failed("expectations", message, t0)
        source = f"recomputed on {test} by the inference network"
    if metric is not None:
        data["metric"] = dict(metric)
        data["metric_source"] = source
    for name, bounds in expect.get("metrics", {}).items():
        value = None if metric is None else metric.get(name)
        if value is None:
            details.append(f"metric {name}: not available (give --test with a {name} task)")
            continue
        low, high = bounds.get("min"), bounds.get("max")
        if (low is not None and not value >= low) or (high is not None and not value <= high):
            span = (
                f"[{-math.inf if low is None else low:g}, {math.inf if high is None else high:g}]"
            )
            details.append(f"metric {name}: {value:.6g} {source}, expected within {span}")
    params = expect.get("parameters", {})
    if params:
        want = {k: v["value"] for k, v in params.items()}
        tols = {k: v["tolerance"] or tolerance for k, v in params.items()}
        got = learned or {k: float(v) for k, v in run.record.parameters.items()}
        problems, data["parameters"] = _compare(got, want, tols)
        details.extend(problems)
    shown = ", ".join(f"{k} {v:.6g}" for k, v in (metric or {}).items() if k != "n")
    judged = bool(params or expect.get("metrics"))
    if not judged:
        status = "reported" if metric is not None else "skipped"
        summary = f"{shown} ({source})" if metric is not None else "no test metric"
    else:
        status = "failed" if details else "passed"
        summary = (
            f"{len(details)} expectation(s) not met"
            if details
            else f"{len(params)} parameter(s) and {len(expect.get('metrics', {}))} metric "
            f"bound(s) met" + (f"; {shown}" if shown else "")
        )
    return CheckResult(
        "expectations", status, summary, tuple(details), data, time.perf_counter() - t0
    )


def _rebuild_options(rec: RunRecord) -> dict[str, Any]:
    """``build_model``'s transform options recorded in the run's sections."""
    options: dict[str, Any] = {"engine": rec.engine}
    clock = rec.sections.get("clock")
    if isinstance(clock, dict) and clock.get("kind") == "chemical":
        options["clock"] = "chemical"
        options["clock_config"] = ChemicalClockConfig(
            species=int(clock["ring_species"]),
            floor=float(clock["floor"]),
            total=float(clock["total"]),
            rearm=bool(clock["rearm"]),
        )
    stochastic = rec.sections.get("stochastic")
    if isinstance(stochastic, dict):
        options["molecules"] = int(stochastic["molecules_per_unit"])
    return options


def _first_difference(a: str, b: str) -> str:
    """``line N: recorded '…', rebuilt '…'`` for the first line where ``a`` and ``b`` differ."""
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb, strict=False), start=1):
        if x != y:
            return f"line {i}: model.xml has {x.strip()[:160]!r}, the rebuild {y.strip()[:160]!r}"
    n = min(len(la), len(lb)) + 1
    return f"line {n}: one model ends before the other ({len(la)} vs {len(lb)} lines)"


def _reproducible(run: _Run, data_path: str | os.PathLike[str]) -> CheckResult:
    """Check 3: rebuild ``model.xml`` from the data and the recorded configuration."""
    t0 = time.perf_counter()
    rec = run.record
    data = read_csv(
        data_path,
        target=rec.target,
        features=tuple(rec.inputs),
        min_rows=2,
        labels=circuit_spec(rec.circuit).task != "regression",
    )
    recorded = int(rec.network.get("reactions", 0) or 0)
    try:
        model, _ = build_model(
            rec.circuit,
            data,
            None,
            run.config,
            max(MAX_REACTIONS, recorded),
            **_rebuild_options(rec),
        )
    except SbmlcrnError as exc:
        return _failed(
            "reproducible", f"the model could not be rebuilt from {data_path}: {exc}", t0
        )
    saved = run.model.read_bytes()
    same = saved == model.sbml.encode("utf-8")
    summary = (
        f"model.xml rebuilt byte for byte from {data_path} ({len(saved)} bytes)"
        if same
        else f"model.xml differs from the model rebuilt from {data_path}"
    )
    details = () if same else (_first_difference(saved.decode("utf-8", "replace"), model.sbml),)
    status = "passed" if same else "failed"
    return CheckResult("reproducible", status, summary, details, {}, time.perf_counter() - t0)


def _structure(model: Path, molecularity: int = 2) -> CheckResult:
    """Check 4: libSBML's checks and the Neural-CRN rules on ``model.xml``; reactions of up to
    ``molecularity`` reactants (a run's recorded ``max_molecularity``: a chemical clock's gated
    reactions, the cubic nonlinearity) are allowed."""
    from sbmlcrn.validation import validate_file

    t0 = time.perf_counter()
    report = validate_file(model, unusable="report", max_molecularity=max(2, molecularity))
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = len(report.findings) - len(errors)
    details = tuple(f"{f.code} {f.location or ''}: {f.message}" for f in errors[:20])
    return CheckResult(
        "structure",
        "passed" if report.ok else "failed",
        f"{len(errors)} errors, {warnings} warnings (rules: {', '.join(report.rules)})",
        details,
        {"errors": len(errors), "warnings": warnings},
        time.perf_counter() - t0,
    )


def validate_run(
    run_dir: str | os.PathLike[str],
    *,
    simulator: str = "roadrunner",
    tolerance: float | None = None,
    test: str | os.PathLike[str] | None = None,
    data: str | os.PathLike[str] | None = None,
    expect: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    expect_mse: float | None = None,
    expect_accuracy: float | None = None,
    timeout: float | None = 1200.0,
) -> RunValidationReport:
    """Check that a run directory's ``model.xml``, simulated on its own, learns what it claims.

    Parameters
    ----------
    run_dir
        A run directory written by ``sbmlcrn train`` (``model.xml``, ``result.json``).
    simulator
        ``"roadrunner"`` (default), ``"copasi"`` or ``"both"``: who simulates ``model.xml``.
    tolerance
        Largest relative deviation ``|θ_sim − θ_rec| / max(1, |θ_rec|)`` per parameter
        (default 1e-6; 1e-4 for the ``node`` design).
    test
        Held-out CSV: the metric is recomputed with the inference network.
    data
        The training CSV: ``model.xml`` must be rebuilt from it byte for byte.
    expect
        An expectations file (or its parsed dict, see :func:`read_expectations`).
    expect_mse, expect_accuracy
        Bounds on the metric: ``mse ≤ expect_mse``, ``accuracy ≥ expect_accuracy``.
    timeout
        Seconds COPASI may take.

    Returns
    -------
    RunValidationReport
        One check per line of work; ``ok`` is False if any failed.

    Raises
    ------
    InputError
        ``run_dir`` is not a run directory of the event model, its record is damaged, a CSV
        lacks the run's columns, the expectations are malformed, an option is invalid, or
        COPASI is requested but not installed.
    """
    if simulator not in SIMULATORS:
        raise InputError(
            f"The simulator parameter of validate_run must be one of {', '.join(SIMULATORS)}. "
            f"Got {simulator!r} instead."
        )
    if tolerance is not None and not (_is_number(tolerance) and tolerance > 0):
        raise InputError(
            f"The tolerance parameter of validate_run must be positive. Got {tolerance!r} instead."
        )
    expected = _merge_expectations(expect, expect_mse, expect_accuracy)
    if Path(run_dir).is_file():  # a bare model (models/*.xml) and its expectations
        if test is not None or data is not None or simulator != "roadrunner":
            raise InputError(f"{run_dir}: test data, training data and COPASI need a run dir.")
        return _validate_model(Path(run_dir), expect, expected, tolerance or 1e-6)
    run = _read_run(run_dir)
    tol = float(tolerance) if tolerance is not None else default_tolerance(run.record, run.config)
    checks: list[CheckResult] = []
    learned: dict[str, float] = {}
    if "stochastic" in run.record.sections:
        note = (
            "a stochastic (Gillespie) run: its parameters are one sample of molecular noise, "
            "not what a deterministic simulation gives"
        )
        checks.append(CheckResult("weights-roadrunner", "skipped", note))
    else:
        if simulator in ("roadrunner", "both"):
            check, learned = _weights_roadrunner(run, tol)
            checks.append(check)
        if simulator in ("copasi", "both"):
            check, copasi = _weights_copasi(run, tol, timeout)
            checks.append(check)
            learned = learned or copasi
    checks.append(_expectations(run, learned, test, expected, tol))
    if data is not None:
        checks.append(_reproducible(run, data))
    else:
        checks.append(CheckResult("reproducible", "skipped", "no training data given (--data)"))
    checks.append(_structure(run.model, int(run.record.network.get("max_molecularity", 2))))
    return RunValidationReport(str(run_dir), run.record.circuit, tuple(checks))


def _merge_expectations(
    expect: str | os.PathLike[str] | Mapping[str, Any] | None,
    expect_mse: float | None,
    expect_accuracy: float | None,
) -> dict[str, Any]:
    """The expectations of a file or dict, with the metric bounds given as options added."""
    if expect is None:
        merged: dict[str, Any] = {"parameters": {}, "metrics": {}}
    elif isinstance(expect, Mapping):
        merged = _parse_expectations(dict(expect), "the expectations")
    else:
        merged = read_expectations(expect)
    for name, value, side in (("mse", expect_mse, "max"), ("accuracy", expect_accuracy, "min")):
        if value is not None:
            if not _is_number(value):
                raise InputError(f"The expect_{name} parameter of validate_run must be a number.")
            merged["metrics"].setdefault(name, {"min": None, "max": None})[side] = float(value)
    return merged


def _validate_model(
    model: Path,
    expect: str | os.PathLike[str] | Mapping[str, Any] | None,
    expected: Mapping[str, Any],
    tolerance: float,
) -> RunValidationReport:
    """A bare model (no run record): simulate it to its ``t_end``, compare its observables
    ``theta_<name>`` with the expectations' parameters (default file: ``model`` with the
    suffix ``.json``), and check its structure; the other checks need a run directory."""
    if expect is None and model.with_suffix(".json").is_file():
        expected = read_expectations(model.with_suffix(".json"))
    params = expected["parameters"]
    if not params:  # skipped, not an error: the pre-commit hook sees every models/*.xml
        note = f"no expected parameters (--expect FILE.json, or {model.stem}.json beside it)"
        names = ("weights-roadrunner", "expectations", "reproducible", "structure")
        return RunValidationReport(str(model), "", tuple(_skip(n, note) for n in names))
    t0 = time.perf_counter()
    names = list(params)
    try:
        sbml = model.read_text(encoding="utf-8")
        sm = libsbml.readSBMLFromString(sbml).getModel()
        end = sm.getParameter("t_end") if sm is not None else None
        if end is None:
            raise SimulationError("the model has no t_end parameter (its training end time)")
        sim = simulate(sbml, [0.0, end.getValue()], tolerances=Tolerances())
        got = {k: float(sim.final[i]) for k, i in zip(names, theta_ids(names), strict=True)}
        tols = {k: v["tolerance"] or tolerance for k, v in params.items()}
        problems, values = _compare(got, {k: v["value"] for k, v in params.items()}, tols)
        status = "failed" if problems else "passed"
        summary = (
            f"{len(problems)} of {len(names)} learned parameters differ from the expectations"
            if problems
            else f"{len(names)} learned parameters (theta_*) match the expectations"
        )
        weights = CheckResult(
            "weights-roadrunner",
            status,
            summary,
            tuple(problems),
            {"parameters": values},
            time.perf_counter() - t0,
        )
    except (SimulationError, KeyError, OSError, UnicodeDecodeError) as exc:
        message = f"RoadRunner could not simulate {model.name}: {exc}"
        weights = _failed("weights-roadrunner", message, t0)
    note = f"needs a run directory (result.json); {model} is a model"
    skipped = [_skip(name, note) for name in ("expectations", "reproducible")]
    return RunValidationReport(str(model), "", (weights, *skipped, _structure(model)))


def _skip(name: str, note: str) -> CheckResult:
    return CheckResult(name, "skipped", note)
