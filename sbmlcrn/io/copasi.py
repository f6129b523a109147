"""COPASI as a second, independent simulator of a training run, and export to COPASI files.

:func:`crosscheck` simulates a run directory's ``model.xml`` in COPASI (deterministic LSODA,
tight tolerances, from 0 to the run's ``training_end_time`` in one output interval, so only the
final state is kept), reads the parameter species and compares the learned parameters with
RoadRunner's (``result.json``'s ``parameters``) and the numpy reference's
(``reference_parameters``). :func:`export_copasi` writes a COPASI file (``.cps``) with the
model, the time course and plots of the parameter species set up, ready to run in CopasiUI.

COPASI always runs in a child process (``python -m sbmlcrn.io._copasi_worker``, one JSON
request on stdin and one JSON answer on stdout): COPASI is C++ code that can crash on odd
input, and a segmentation fault or a hang there must give a clean
:class:`~sbmlcrn.errors.CopasiError`, not end the caller. Every message COPASI raises while
importing and simulating (its ``CCopasiMessage`` deque) is collected; an error-level one fails
the check even when the numbers agree, because COPASI reports some lossy imports (e.g. a
``piecewise`` of 33 or more branches, which it cannot parse) only that way.

Needs the ``copasi`` extra: ``pip install 'sbmlcrn[copasi]'`` (``copasi-basico``, which brings
the ``python-copasi`` bindings).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sbmlcrn.circuits.common import theta_ids
from sbmlcrn.errors import CopasiError, InputError
from sbmlcrn.io.atomic import atomic_file
from sbmlcrn.io.record import RECORD_FILE, check_event_model, invalid_record, read_record

__all__ = [
    "DEFAULT_TIMEOUT",
    "CopasiMessage",
    "CrosscheckReport",
    "copasi_available",
    "crosscheck",
    "default_tolerance",
    "export_copasi",
]

#: Seconds a COPASI child process may run before it is stopped.
DEFAULT_TIMEOUT = 1200.0
#: LSODA's limit on internal steps between two outputs (the cross-check has one output
#: interval spanning the whole run, so it must be large).
MAX_INTERNAL_STEPS = 100_000_000
INSTALL_HINT = "pip install 'sbmlcrn[copasi]'"
_ERROR_LEVELS = frozenset({"error", "exception"})


def copasi_available() -> bool:
    """True if the COPASI Python bindings (from ``copasi-basico``) can be imported."""
    return importlib.util.find_spec("COPASI") is not None


def default_tolerance(circuit: str) -> float:
    """The accepted relative deviation for ``circuit``: 1e-6 for ``linear-*``, else 1e-4.

    Linear circuits integrate linear ODEs phase by phase, so two good integrators agree to
    ~1e-11; nonlinear circuits accumulate more integration error over a run.
    """
    return 1e-6 if circuit.startswith("linear-") else 1e-4


@dataclass(frozen=True)
class CopasiMessage:
    """One message from COPASI's message deque.

    Attributes
    ----------
    severity : str
        ``"raw"``, ``"trace"``, ``"commandline"``, ``"warning"``, ``"error"`` or
        ``"exception"``; the last two fail a cross-check.
    number : int
        COPASI's message number within its category.
    text : str
        The message as COPASI formats it (a header line with the time, then the text).
    """

    severity: str
    number: int
    text: str

    @property
    def is_error(self) -> bool:
        """True for ``error`` and ``exception`` messages."""
        return self.severity in _ERROR_LEVELS

    def to_dict(self) -> dict[str, Any]:
        """The message as a JSON-ready dict."""
        return {"severity": self.severity, "number": self.number, "text": self.text}


@dataclass(frozen=True)
class CrosscheckReport:
    """The result of :func:`crosscheck`.

    Attributes
    ----------
    run_dir : str
        The run directory checked.
    circuit : str
        The run's circuit name.
    end_time : float
        The run's ``training_end_time``: COPASI simulated from 0 to it.
    copasi, roadrunner, reference : Mapping of str to float
        The learned parameters (name → value) by COPASI, by RoadRunner (from ``result.json``)
        and by the numpy reference SGD.
    deviation_roadrunner, deviation_reference : float
        ``max |θ_COPASI − θ_other| / max(1, max |θ_other|)`` — relative to the largest
        parameter (at least 1), as :func:`sbmlcrn.training.pipeline.train` measures its exactness.
    tolerance : float
        The largest accepted deviation.
    messages : tuple of CopasiMessage
        Everything COPASI reported while importing and simulating, oldest first.
    problems : tuple of str
        Why the check failed (empty if it passed).
    copasi_version : str
        COPASI's version string.
    timings : Mapping of str to float
        ``import_s`` and ``simulate_s`` (inside COPASI) and ``total_s`` (with the process).
    """

    run_dir: str
    circuit: str
    end_time: float
    copasi: Mapping[str, float]
    roadrunner: Mapping[str, float]
    reference: Mapping[str, float]
    deviation_roadrunner: float
    deviation_reference: float
    tolerance: float
    messages: tuple[CopasiMessage, ...] = ()
    problems: tuple[str, ...] = ()
    copasi_version: str = ""
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if both deviations are within tolerance and COPASI reported no error."""
        return not self.problems

    @property
    def error_messages(self) -> tuple[CopasiMessage, ...]:
        """The error- and exception-level messages."""
        return tuple(m for m in self.messages if m.is_error)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (keys in a fixed order; nan and inf become None)."""
        return {
            "run_dir": self.run_dir,
            "ok": self.ok,
            "circuit": self.circuit,
            "end_time": self.end_time,
            "tolerance": self.tolerance,
            "deviation": {
                "copasi_vs_roadrunner": _json_number(self.deviation_roadrunner),
                "copasi_vs_reference": _json_number(self.deviation_reference),
            },
            "parameters": {
                name: {
                    "copasi": _json_number(self.copasi[name]),
                    "roadrunner": _json_number(self.roadrunner[name]),
                    "reference": _json_number(self.reference[name]),
                }
                for name in self.copasi
            },
            "problems": list(self.problems),
            "messages": [m.to_dict() for m in self.messages],
            "copasi_version": self.copasi_version,
            "timings": dict(self.timings),
        }

    def format_text(self) -> str:
        """The report for people: the parameters side by side, the deviations, the verdict."""
        lines = [
            f"COPASI {self.copasi_version} cross-check of {self.run_dir} ({self.circuit}, "
            f"t = 0 .. {self.end_time:g})",
            f"  {'parameter':<12} {'COPASI':>22} {'RoadRunner':>22} {'reference':>22}",
        ]
        for name, value in self.copasi.items():
            lines.append(
                f"  {name:<12} {value:>22.15g} {self.roadrunner[name]:>22.15g} "
                f"{self.reference[name]:>22.15g}"
            )
        lines.append(
            f"  max relative deviation: COPASI vs RoadRunner {self.deviation_roadrunner:.3g}, "
            f"COPASI vs reference {self.deviation_reference:.3g} "
            f"(allowed {self.tolerance:g})"
        )
        errors = self.error_messages
        lines.append(
            f"  COPASI messages: {len(self.messages)} ({len(errors)} at error level)"
            if self.messages
            else "  COPASI messages: none"
        )
        lines.extend(f"    {_one_line(m.text)}" for m in errors)
        lines.extend(f"  problem: {p}" for p in self.problems)
        lines.append("  OK" if self.ok else "  FAILED")
        return "\n".join(lines)


def _json_number(value: float) -> float | None:
    """``value``, or None for a nan or an infinity (which strict JSON cannot hold)."""
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------- run directory


@dataclass(frozen=True)
class _Run:
    path: Path
    model: Path
    circuit: str
    end_time: float
    parameter_species: dict[str, tuple[str, str]]
    roadrunner: dict[str, float]
    reference: dict[str, float]
    period: float


def _read_run(run_dir: str | os.PathLike[str]) -> _Run:
    """The model and what the check needs from the record (:func:`read_record`)."""
    path = Path(run_dir)
    if not path.is_dir():
        raise InputError(f"{run_dir}: no such run directory.")
    result_path = path / RECORD_FILE
    model = path / "model.xml"
    if not result_path.is_file():
        raise InputError(f"{run_dir}: not a training run directory (no {RECORD_FILE}).")
    if not model.is_file():
        raise InputError(f"{run_dir}: the run directory has no model.xml.")
    record = read_record(path)
    check_event_model(record, run_dir, "COPASI would simulate it without its samples")
    pairs = dict(record.parameter_species)
    end_time = float(record.training_end_time)  # positive and finite (read_record)
    if not pairs:
        raise invalid_record(result_path, "the 'parameter_species' entry names no species")
    species = _species_ids(model)
    for name, pair in pairs.items():
        missing = [s for s in pair if species is not None and s not in species]
        if missing:
            raise invalid_record(
                result_path,
                f"the 'parameter_species' entry names {', '.join(missing)} for {name!r}, "
                "which model.xml does not have",
            )
    return _Run(
        path,
        model.resolve(),
        record.circuit,
        end_time,
        pairs,
        {k: float(record.parameters[k]) for k in pairs},
        {k: float(record.reference_parameters[k]) for k in pairs},
        float(record.schedule["period"]),
    )


def _species_ids(model: Path) -> set[str] | None:
    """The species ids of the SBML file (libSBML); None if it holds no model (COPASI will
    then say it cannot import it)."""
    import libsbml

    m = libsbml.readSBMLFromFile(str(model)).getModel()
    if m is None:
        return None
    return {m.getSpecies(i).getId() for i in range(m.getNumSpecies())}


def _observables(model: Path, names: list[str]) -> dict[str, str]:
    """Parameter name → the model's observable ``theta_<col>`` (a parameter an assignment rule
    computes, named after the column), for the names whose observable the model has; empty for
    a model written before the observables existed."""
    import libsbml

    m = libsbml.readSBMLFromFile(str(model)).getModel()
    if m is None:
        return {}
    ruled = {m.getRule(i).getVariable() for i in range(m.getNumRules())}
    return {
        name: sid
        for name, sid in zip(names, theta_ids(names), strict=True)
        if sid in ruled and m.getParameter(sid) is not None
    }


def _sbml_counts(model: Path) -> dict[str, Any]:
    """Species, reactions, events and assignments per event of the SBML file (libSBML)."""
    import libsbml

    doc = libsbml.readSBMLFromFile(str(model))
    m = doc.getModel()
    if m is None:
        return {}
    return {
        "species": m.getNumSpecies(),
        "reactions": m.getNumReactions(),
        "events": m.getNumEvents(),
        "event_assignments": {
            m.getEvent(i).getId(): m.getEvent(i).getNumEventAssignments()
            for i in range(m.getNumEvents())
        },
    }


# --------------------------------------------------------------------------- the child process


def _worker_command() -> list[str]:
    """The command that starts the COPASI worker (``-P``: no working directory on the path)."""
    return [sys.executable, "-P", "-m", "sbmlcrn.io._copasi_worker"]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _run_worker(request: dict[str, Any], *, timeout: float | None, action: str) -> dict[str, Any]:
    """Send ``request`` to a fresh COPASI child process and return its answer.

    Raises
    ------
    InputError
        COPASI is not installed.
    CopasiError
        The child crashed, timed out, gave no answer, or COPASI failed (its error messages
        are included).
    """
    if not copasi_available():
        raise InputError(f"COPASI is not installed; install it with: {INSTALL_HINT}")
    if timeout is not None and not timeout > 0:
        raise InputError(f"The timeout must be positive. Got {timeout}.")
    env = dict(os.environ)
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
    try:
        proc = subprocess.run(
            _worker_command(),
            input=json.dumps(request),
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CopasiError(
            f"COPASI did not finish {action} within {timeout:g} s and was stopped; "
            "allow more time (--timeout)."
        ) from None
    tail = _one_line(proc.stderr[-600:]) if proc.stderr else ""
    said = f"; its last output: {tail}" if tail else ""
    if proc.returncode < 0:
        try:
            name = signal.Signals(-proc.returncode).name
        except ValueError:
            name = f"signal {-proc.returncode}"
        raise CopasiError(f"COPASI crashed ({name}) while {action}{said}")
    try:
        answer = json.loads(proc.stdout)
        if not isinstance(answer, dict):
            raise ValueError("not a JSON object")
    except ValueError:
        raise CopasiError(
            f"COPASI's process ended (exit status {proc.returncode}) without an answer while "
            f"{action}{said}"
        ) from None
    if not answer.get("ok"):
        errors = [
            _one_line(m["text"])
            for m in answer.get("messages", [])
            if m.get("severity") in _ERROR_LEVELS
        ]
        detail = f" COPASI said: {' | '.join(errors)}" if errors else ""
        raise CopasiError(f"{answer.get('error', 'COPASI failed')} ({action}).{detail}")
    return answer


def _deviation(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """``max |a − b| / max(1, max |b|)`` over the parameters (nan if any value is not finite)."""
    diffs = [abs(a[k] - b[k]) for k in b]
    if not all(math.isfinite(d) for d in diffs):
        return math.nan  # max() would skip a nan
    scale = max(1.0, *(abs(v) for v in b.values()))
    return max(diffs) / scale


# --------------------------------------------------------------------------- public API


def crosscheck(
    run_dir: str | os.PathLike[str],
    *,
    tolerance: float | None = None,
    rtol: float = 1e-12,
    atol: float = 1e-14,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> CrosscheckReport:
    """Simulate a run's ``model.xml`` in COPASI and compare the learned parameters.

    Parameters
    ----------
    run_dir
        A run directory written by ``sbmlcrn train`` (``model.xml`` and ``result.json``).
    tolerance
        Largest accepted relative deviation (see :class:`CrosscheckReport`); default
        :func:`default_tolerance` of the run's circuit (1e-6 for linear circuits, else 1e-4).
    rtol, atol
        LSODA's relative and absolute tolerances.
    timeout
        Seconds COPASI may take (``None``: no limit); the child process is stopped after it.

    Returns
    -------
    CrosscheckReport
        COPASI's, RoadRunner's and the reference's parameters, the deviations and COPASI's
        messages; ``ok`` is False if a deviation exceeds ``tolerance``, COPASI reported an
        error-level message, or COPASI's model lost species, reactions, events or event
        assignments on import.

    Raises
    ------
    InputError
        ``run_dir`` is not a run directory, an option is invalid, or COPASI is not installed.
    CopasiError
        COPASI could not import or simulate the model, crashed or timed out.
    """
    run = _read_run(run_dir)
    if tolerance is None:
        tolerance = default_tolerance(run.circuit)
    if not (tolerance > 0 and rtol > 0 and atol > 0):
        raise InputError("The tolerance, rtol and atol must be positive.")
    species = [s for pair in run.parameter_species.values() for s in pair]
    t0 = time.perf_counter()
    answer = _run_worker(
        {
            "op": "simulate",
            "model": str(run.model),
            "end_time": run.end_time,
            "species": species,
            "rtol": rtol,
            "atol": atol,
            "max_steps": MAX_INTERNAL_STEPS,
        },
        timeout=timeout,
        action=f"simulating {run.model}",
    )
    total = time.perf_counter() - t0
    values = answer["values"]
    learned = {name: values[p] - values[m] for name, (p, m) in run.parameter_species.items()}
    messages = tuple(
        CopasiMessage(str(m["severity"]), int(m["number"]), str(m["text"]))
        for m in answer.get("messages", [])
    )
    dev_rr = _deviation(learned, run.roadrunner)
    dev_ref = _deviation(learned, run.reference)
    problems: list[str] = []
    for label, dev in (("RoadRunner", dev_rr), ("the reference", dev_ref)):
        if not dev <= tolerance:  # also catches nan
            problems.append(
                f"COPASI's parameters differ from {label}'s by {dev:.3g} (allowed {tolerance:g})"
            )
    errors = [m for m in messages if m.is_error]
    if errors:
        problems.append(
            f"COPASI reported {len(errors)} error-level message(s): "
            + " | ".join(_one_line(m.text) for m in errors[:3])
        )
    expected = _sbml_counts(run.model)
    got = answer.get("counts", {})
    for key in ("species", "reactions", "events", "event_assignments"):
        if key in expected and got.get(key) != expected[key]:
            problems.append(
                f"COPASI's model has {key} {got.get(key)} where the SBML has {expected[key]}"
            )
    final_time = float(answer.get("final_time", run.end_time))
    if not math.isclose(final_time, run.end_time, rel_tol=1e-12):
        problems.append(f"COPASI stopped at t = {final_time:g}, not {run.end_time:g}")
    timings = {k: float(v) for k, v in answer.get("timings", {}).items()}
    timings["total_s"] = total
    return CrosscheckReport(
        run_dir=str(run_dir),
        circuit=run.circuit,
        end_time=run.end_time,
        copasi=learned,
        roadrunner=run.roadrunner,
        reference=run.reference,
        deviation_roadrunner=dev_rr,
        deviation_reference=dev_ref,
        tolerance=float(tolerance),
        messages=messages,
        problems=tuple(problems),
        copasi_version=str(answer.get("copasi_version", "")),
        timings=timings,
    )


def export_copasi(
    run_dir: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    rtol: float = 1e-12,
    atol: float = 1e-14,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Path:
    """Write a COPASI file of a run, ready to run: open it in CopasiUI and click *Run*.

    The file holds the imported ``model.xml``; a deterministic (LSODA) time course from 0 to
    ``training_end_time`` (two output points per training cycle, at most 10,000 intervals),
    with the tolerances given and marked executable; one global quantity ``theta_<name>``
    per learned parameter (an assignment ``[plus] − [minus]``, which changes no dynamics);
    and two plots: *sbmlcrn learned parameters* (the ``theta_*``) and *sbmlcrn parameter
    species* (the rails). The file is written through a temporary file and renamed, so a
    failure leaves no partial file.

    Parameters
    ----------
    run_dir
        A run directory written by ``sbmlcrn train``.
    out_path
        The ``.cps`` file to write (replaced if it exists).
    rtol, atol
        LSODA's tolerances stored in the time-course task.
    timeout
        Seconds COPASI may take.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    InputError
        ``run_dir`` is not a run directory, ``out_path`` is a directory, or COPASI is not
        installed.
    CopasiError
        COPASI could not import the model or write the file, crashed or timed out.
    """
    run = _read_run(run_dir)
    target = Path(out_path)
    if target.is_dir():
        raise InputError(f"{out_path}: is a directory; give a file name.")
    if not (rtol > 0 and atol > 0):
        raise InputError("rtol and atol must be positive.")
    if run.period > 0:
        intervals = min(10_000, max(100, round(2 * run.end_time / run.period)))
    else:
        intervals = 1_000
    with atomic_file(target, suffix=".cps") as tmp:
        _run_worker(
            {
                "op": "export",
                "model": str(run.model),
                "out": str(tmp.resolve()),
                "end_time": run.end_time,
                "intervals": intervals,
                "parameter_species": {k: list(v) for k, v in run.parameter_species.items()},
                # the model's own theta_<col> (imported from model.xml): the quantities to plot
                "observables": _observables(run.model, list(run.parameter_species)),
                "rtol": rtol,
                "atol": atol,
                "max_steps": 1_000_000,
            },
            timeout=timeout,
            action=f"exporting {run.model}",
        )
    return target
