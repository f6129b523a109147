"""The COPASI side of :mod:`sbmlcrn.io.copasi`, run in a child process.

``python -m sbmlcrn.io._copasi_worker`` reads one JSON request on stdin and writes one JSON
answer on stdout; :mod:`sbmlcrn.io.copasi` starts it, so that a crash (a segmentation fault in
COPASI's C++ code) or a hang ends the child, never the caller. COPASI's own console output is
sent to stderr: the JSON answer is written on a duplicate of the original stdout, so nothing
the library prints can corrupt it.

Requests (``op``):

``simulate``
    Import the SBML file ``model``, run a deterministic (LSODA) time course from 0 to
    ``end_time`` with one output interval (only the initial and final states are kept) and
    tolerances ``rtol``/``atol``/``max_steps``; answer the final concentration of every
    species in ``species``.
``export``
    Import ``model``, set up the time course (0 … ``end_time`` in ``intervals`` steps, the
    tolerances), add one global quantity per entry of ``parameter_species`` (an assignment
    ``[plus] - [minus]``) and a plot of the rails and the signed values, and save the COPASI
    file ``out``.

Every answer carries ``ok``, the COPASI version, the model's element counts as imported and
every COPASI message (severity, number, text) raised during import and the task.

This module imports nothing from sbmlcrn (only the standard library and COPASI), so it runs
even where the rest of the package's dependencies would clash with COPASI's libraries.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

_SEVERITY = {0: "raw", 1: "trace", 2: "commandline", 3: "warning", 4: "error", 5: "exception"}


def _messages(copasi: Any) -> list[dict[str, Any]]:
    """Drain COPASI's message deque (oldest first)."""
    out: list[dict[str, Any]] = []
    msg_class = copasi.CCopasiMessage
    while msg_class.size() > 0:
        msg = msg_class.getFirstMessage()
        kind = int(msg.getType()) & 127  # the *_FILTERED variants add 128
        out.append(
            {
                "severity": _SEVERITY.get(kind, str(kind)),
                "number": int(msg.getNumber()),
                "text": str(msg.getText()).strip(),
            }
        )
    return out


def _counts(model: Any) -> dict[str, Any]:
    events = [model.getEvent(i) for i in range(model.getNumEvents())]
    return {
        "species": int(model.getNumMetabs()),
        "reactions": int(model.getNumReactions()),
        "events": len(events),
        "event_assignments": {
            str(ev.getSBMLId()): int(ev.getAssignments().size()) for ev in events
        },
    }


def _species_by_id(model: Any) -> dict[str, Any]:
    metabs = model.getMetabolites()
    return {str(metabs.get(i).getSBMLId()): metabs.get(i) for i in range(metabs.size())}


def _set_up_time_course(copasi: Any, dm: Any, request: dict[str, Any], intervals: int) -> Any:
    task = dm.getTask("Time-Course")
    task.setMethodType(copasi.CTaskEnum.Method_deterministic)
    task.setUpdateModel(False)
    problem = task.getProblem()
    problem.setOutputStartTime(0.0)
    problem.setDuration(float(request["end_time"]))
    problem.setStepNumber(int(intervals))
    problem.setUseValues(False)
    problem.setAutomaticStepSize(False)
    problem.setOutputEvent(False)
    problem.setTimeSeriesRequested(True)
    method = task.getMethod()
    method.getParameter("Relative Tolerance").setDblValue(float(request["rtol"]))
    method.getParameter("Absolute Tolerance").setDblValue(float(request["atol"]))
    method.getParameter("Max Internal Steps").setIntValue(int(request["max_steps"]))
    return task


def _import(copasi: Any, path: str) -> tuple[Any, bool]:
    dm = copasi.CRootContainer.addDatamodel()
    try:
        ok = bool(dm.importSBML(path))
    except Exception:  # COPASI raises CCopasiException for unreadable files
        ok = False
    return dm, ok


def _simulate(copasi: Any, request: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    dm, ok = _import(copasi, request["model"])
    answer: dict[str, Any] = {"timings": {"import_s": time.perf_counter() - t0}}
    if not ok:
        return answer | {"ok": False, "error": "COPASI could not import the SBML file."}
    model = dm.getModel()
    answer["counts"] = _counts(model)
    known = _species_by_id(model)
    missing = [s for s in request["species"] if s not in known]
    if missing:
        return answer | {"ok": False, "error": f"COPASI's model lacks the species {missing}."}
    task = _set_up_time_course(copasi, dm, request, 1)
    t0 = time.perf_counter()
    if not task.initializeRaw(copasi.CCopasiTask.ONLY_TIME_SERIES):
        return answer | {"ok": False, "error": "COPASI could not initialise the time course."}
    if not task.processRaw(True):
        return answer | {"ok": False, "error": "COPASI's time course failed."}
    answer["timings"]["simulate_s"] = time.perf_counter() - t0
    series = task.getTimeSeries()
    last = series.getRecordedSteps() - 1
    if last < 1:
        return answer | {"ok": False, "error": "COPASI recorded no final state."}
    # column 0 is the time; a species COPASI found constant has no column, and its value is
    # then read from the model, whose state is the final one after the run
    columns = {str(series.getSBMLId(i, dm)): i for i in range(1, series.getNumVariables())}
    answer["final_time"] = float(series.getConcentrationData(last, 0))
    answer["values"] = {
        s: float(series.getConcentrationData(last, columns[s]))
        if s in columns
        else float(known[s].getConcentration())
        for s in request["species"]
    }
    answer["ok"] = True
    return answer


def _export(copasi: Any, request: dict[str, Any]) -> dict[str, Any]:
    dm, ok = _import(copasi, request["model"])
    answer: dict[str, Any] = {}
    if not ok:
        return {"ok": False, "error": "COPASI could not import the SBML file."}
    model = dm.getModel()
    answer["counts"] = _counts(model)
    known = _species_by_id(model)
    pairs: dict[str, list[str]] = request["parameter_species"]
    missing = [s for pair in pairs.values() for s in pair if s not in known]
    if missing:
        return answer | {"ok": False, "error": f"COPASI's model lacks the species {missing}."}
    task = _set_up_time_course(copasi, dm, request, int(request["intervals"]))
    task.setScheduled(True)

    def cn(obj: Any) -> str:
        return str(obj.getCN().getString())

    # the observables the model already has (SBML id -> model value), by parameter name
    observables: dict[str, str] = request.get("observables", {})
    own = {}
    for i in range(model.getNumModelValues()):
        value = model.getModelValue(i)
        own[str(value.getSBMLId())] = value
    rails: list[tuple[str, str]] = []
    signed: list[tuple[str, str]] = []
    quantities: list[str] = []
    for name, (plus, minus) in pairs.items():
        p_ref = known[plus].getConcentrationReference()
        m_ref = known[minus].getConcentrationReference()
        rails += [(f"[{plus}]", cn(p_ref)), (f"[{minus}]", cn(m_ref))]
        quantity = own.get(observables.get(name, ""))
        if quantity is not None:  # the model's theta_<col>: named by its id, as everywhere
            quantity.setObjectName(observables[name])
        else:
            for candidate in (f"theta_{name}", f"theta_{name}_sbmlcrn"):
                quantity = model.createModelValue(candidate, 0.0)
                if quantity is not None:
                    break
            if quantity is None:
                continue
            quantity.setStatus(copasi.CModelEntity.Status_ASSIGNMENT)
            quantity.setExpression(f"<{cn(p_ref)}> - <{cn(m_ref)}>")
        quantity.setNotes(f"sbmlcrn: the learned parameter {name} = [{plus}] - [{minus}]")
        signed.append((str(quantity.getObjectName()), cn(quantity.getValueReference())))
        quantities.append(str(quantity.getObjectName()))
    model.compileIfNecessary()

    time_cn = cn(model.getValueReference())
    plots = dm.getPlotDefinitionList()

    def add_plot(title: str, curves: list[tuple[str, str]]) -> None:
        spec = plots.createPlotSpec(title, copasi.CPlotItem.plot2d)
        spec.setTaskTypes("Time-Course")
        for label, channel in curves:
            item = spec.createItem(label, copasi.CPlotItem.curve2d)
            item.addChannel(copasi.CPlotDataChannelSpec(copasi.CCommonName(time_cn)))
            item.addChannel(copasi.CPlotDataChannelSpec(copasi.CCommonName(channel)))
            item.getParameter("Recording Activity").setStringValue("during")

    if signed:
        add_plot("sbmlcrn learned parameters", signed)
    add_plot("sbmlcrn parameter species", rails)
    answer["plots"] = [str(plots.get(i).getObjectName()) for i in range(plots.size())]
    answer["global_quantities"] = quantities
    if not dm.saveModel(request["out"], True):
        return answer | {"ok": False, "error": f"COPASI could not write {request['out']}."}
    answer["ok"] = True
    return answer


def main() -> int:
    """Answer one JSON request from stdin on stdout; the exit status is 0 if answered."""
    answer_fd = os.dup(1)
    os.dup2(2, 1)  # whatever COPASI prints goes to stderr
    answer_file = os.fdopen(answer_fd, "w", encoding="utf-8")
    request = json.loads(sys.stdin.read())
    import COPASI as copasi

    copasi.CCopasiMessage.clearDeque()
    handlers = {"simulate": _simulate, "export": _export}
    try:
        answer = handlers[request["op"]](copasi, request)
    except Exception as exc:  # report, with whatever COPASI said, instead of a traceback
        answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    answer["messages"] = _messages(copasi)
    answer["copasi_version"] = str(copasi.CVersion.VERSION.getVersion())
    answer_file.write(json.dumps(answer))
    answer_file.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover — run as a child process
    sys.exit(main())
