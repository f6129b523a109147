"""Stochastic training: the same training model with few molecules, simulated by Gillespie.

Volume scaling
--------------
A concentration of 1 is made ``N`` molecules (``--molecules N``): the stochastic model counts
substances in ``item`` s in the compartment ``C`` of size ``N`` (litres), so a concentration of
1 item/l is ``N`` molecules in ``C``. Every rate constant keeps its numeric value (only its unit
changes from mole-based to item-based) and every kinetic law is still ``C · k · gates · ∏[S]``,
so in concentrations the deterministic ODE is the same as the ordinary model's; RoadRunner's
Gillespie integrator then uses the kinetic law in items per second as the propensity
(for a reaction ``2A → …`` that is ``k·a²/V``, not the textbook ``k·a(a−1)/V``; the linear
circuits have no such reaction). Initial amounts and every loaded data value are rounded to
whole molecules (to the nearest ``1/N`` in concentration): θ₀, inputs and targets are
quantised, the learning rate and horizons are not.

Why a phase-by-phase driver
---------------------------
RoadRunner's Gillespie integrator tests event triggers only after a reaction has fired: an
event fires at the first reaction *after* its trigger time, and the reaction that crossed the
boundary was drawn with the previous phase's propensities. Loads are late, phases have the
wrong lengths, and when a phase passes with no reaction at all (few molecules, a small
backward rate) a trigger is skipped — the self-rescheduling clock then stalls and later
samples are never loaded. :func:`event_timing` measures this. The fix is by design: the
driver (:func:`sbmlcrn.simulate.simulate_phases`) loads the event-free variant of the *same*
network once and integrates it phase by phase to the exact event times, assigning between
phases exactly what the clock's events assign — the gates of the next phase and, at each cycle
start, the sample's data values and cleared transients, evaluated from the events' own lookup
expressions (never a value computed from species). With CVODE the driver reproduces the one
SBML model's training to ~1e-11 (:func:`driver_deviation`), so the stochastic runs differ from
the deterministic one only by the molecular noise and the quantisation.

Reproducibility: the Gillespie random stream is seeded once per run (``seed``); RoadRunner
continues the stream across phases, so the same seed, molecule count and schedule give the
same run.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libsbml
import numpy as np

from sbmlcrn.circuits.linear import LinearCircuit, LinearConfig, compile_linear
from sbmlcrn.circuits.nonlinear import NonlinearCircuit, NonlinearConfig, compile_nonlinear
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.expr import Const, Expr, Op, Sym
from sbmlcrn.core.network import Network
from sbmlcrn.errors import InputError, WriterError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import (
    Tolerances,
    simulate,
    simulate_gillespie,
    simulate_phases,
)

__all__ = [
    "DriveResult",
    "Schedule",
    "compile_circuit",
    "drive",
    "driver_deviation",
    "evaluate_expr",
    "event_timing",
    "events_gillespie_theta",
    "molecule_counts",
    "one_sbml_theta",
    "quantize_network",
    "save_stochastic_run",
    "scaled_sbml",
    "schedule",
    "train_stochastic",
]

Circuit = LinearCircuit | NonlinearCircuit
Config = LinearConfig | NonlinearConfig
_CONC = "mole_per_litre"


# --------------------------------------------------------------------------- expressions


def evaluate_expr(expr: Expr, env: Mapping[str, float]) -> float:
    """The value of an event expression with the symbols of ``env`` (SBML semantics:
    comparisons and ``&&`` give 1.0/0.0, ``piecewise(value, condition, otherwise)``)."""
    if isinstance(expr, Const):
        return float(expr.value)
    if isinstance(expr, Sym):
        try:
            return float(env[expr.name])
        except KeyError:
            raise InputError(f"The expression uses {expr.name!r}, which has no value.") from None
    op, args = expr.op, expr.args
    if op == "piecewise":
        cond = evaluate_expr(args[1], env)
        return evaluate_expr(args[0] if cond else args[2], env)
    vals = [evaluate_expr(a, env) for a in args]
    if op == "+":
        return float(sum(vals))
    if op == "*":
        return float(math.prod(vals))
    if op == "&&":
        return float(all(vals))
    a, b = vals
    table: dict[str, Callable[[float, float], float]] = {
        "-": lambda x, y: x - y,
        "/": lambda x, y: x / y,
        "^": lambda x, y: x**y,
        ">=": lambda x, y: float(x >= y),
        ">": lambda x, y: float(x > y),
        "<": lambda x, y: float(x < y),
        "<=": lambda x, y: float(x <= y),
    }
    return table[op](a, b)


# --------------------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class Schedule:
    """The phase clock of a compiled circuit as data: what its events assign, and when.

    Attributes
    ----------
    starts
        ``cycles × phases`` start times (``c · period + offset_j``, as the events schedule them).
    durations
        Duration of each phase.
    gates
        Every gate; ``on[j]`` the gates switched on in phase ``j``.
    loads
        Species id → one value per sample (concentrations), assigned at each cycle start
        (data values and cleared transients, from the first phase event's own expressions).
    n_samples, end_time
        Samples per epoch, and the time the last cycle ends.
    """

    starts: np.ndarray
    durations: tuple[float, ...]
    gates: tuple[str, ...]
    on: tuple[frozenset[str], ...]
    loads: Mapping[str, np.ndarray]
    n_samples: int
    end_time: float

    @property
    def cycles(self) -> int:
        return int(self.starts.shape[0])


def schedule(circuit: Circuit) -> Schedule:
    """Unroll ``circuit``'s clock: gate sets per phase and the data each cycle start loads.

    The loaded values are the first phase event's species assignments evaluated at every sample
    index (its balanced lookups), so the driver assigns exactly what the event would.
    """
    clock = circuit.clock
    net = circuit.network
    first = net.events[0]
    if first.id != f"ev_{clock.phases[0].name}":
        raise InputError(f"The first event of {net.id!r} is not the clock's first phase event.")
    species = set(net.species_ids())
    env: dict[str, float] = {p.id: p.value for p in net.parameters}
    exprs = [(t, e) for t, e in first.assignments if t in species]
    loads: dict[str, np.ndarray] = {}
    for target, expr in exprs:
        values = np.empty(clock.n_samples)
        for k in range(clock.n_samples):
            env["idx"] = float(k)
            values[k] = evaluate_expr(expr, env)
        values.setflags(write=False)
        loads[target] = values
    offsets = np.array([clock.offset(j) for j in range(len(clock.phases))])
    starts = np.arange(clock.cycles)[:, None] * clock.period + offsets[None, :]
    starts.setflags(write=False)
    return Schedule(
        starts=starts,
        durations=tuple(p.duration for p in clock.phases),
        gates=clock.gates(),
        on=tuple(frozenset(p.gates) for p in clock.phases),
        loads=loads,
        n_samples=clock.n_samples,
        end_time=clock.end_time,
    )


# --------------------------------------------------------------------------- volume scaling


def _molecules(molecules: int) -> int:
    if not isinstance(molecules, int | np.integer) or isinstance(molecules, bool) or molecules < 1:
        raise InputError(
            f"The number of molecules per unit (--molecules) must be a positive integer. "
            f"Got {molecules!r} instead."
        )
    return int(molecules)


def _quantize_expr(expr: Expr, n: int) -> Expr:
    if isinstance(expr, Const) and expr.unit == _CONC:
        return Const(round(expr.value * n) / n, expr.unit)
    if isinstance(expr, Op):
        return Op(expr.op, tuple(_quantize_expr(a, n) for a in expr.args))
    return expr


def quantize_network(network: Network, molecules: int) -> Network:
    """``network`` with initial concentrations and loaded data rounded to whole molecules
    (multiples of ``1/molecules``); gates, clock values and rate constants unchanged."""
    n = _molecules(molecules)
    species = tuple(
        dataclasses.replace(s, initial=round(s.initial * n) / n) for s in network.species
    )
    events = tuple(
        dataclasses.replace(
            ev, assignments=tuple((t, _quantize_expr(v, n)) for t, v in ev.assignments)
        )
        for ev in network.events
    )
    return dataclasses.replace(network, species=species, events=events)


def _item_unit_id(uid: str) -> str:
    return uid.replace("mole", "item")


def _retag_units(node: libsbml.ASTNode | None, rename: Mapping[str, str]) -> None:
    if node is None:
        return
    if node.isSetUnits() and node.getUnits() in rename:
        node.setUnits(rename[node.getUnits()])
    for i in range(node.getNumChildren()):
        _retag_units(node.getChild(i), rename)


def scaled_sbml(network: Network, molecules: int) -> str:
    """SBML of ``network`` in which one unit of concentration is ``molecules`` molecules.

    Substances are counted in ``item`` s, the compartment ``C`` has size ``molecules`` and each
    species' initial *amount* is its initial concentration times ``molecules``, rounded to a
    whole molecule; unit definitions based on the mole become item-based (``mole_per_litre`` →
    ``item_per_litre``, …) and every reference to them follows, so libSBML's unit check still
    passes. Rate constants and kinetic laws are unchanged (see the module docstring).
    """
    n = _molecules(molecules)
    doc = libsbml.readSBMLFromString(to_sbml(network))
    model = doc.getModel()
    if model is None:
        raise WriterError(f"libSBML could not read back the SBML of {network.id!r}.")
    rename: dict[str, str] = {}
    for i in range(model.getNumUnitDefinitions()):
        ud = model.getUnitDefinition(i)
        uses_mole = False
        for j in range(ud.getNumUnits()):
            unit = ud.getUnit(j)
            if unit.getKind() == libsbml.UNIT_KIND_MOLE:
                unit.setKind(libsbml.UNIT_KIND_ITEM)
                uses_mole = True
        if uses_mole:
            rename[ud.getId()] = _item_unit_id(ud.getId())
    for i in range(model.getNumUnitDefinitions()):
        ud = model.getUnitDefinition(i)
        if ud.getId() in rename:
            ud.setId(rename[ud.getId()])
    for setter in ("setSubstanceUnits", "setExtentUnits"):
        getattr(model, setter)("item")
    model.getCompartment("C").setSize(float(n))
    for i in range(model.getNumSpecies()):
        sp = model.getSpecies(i)
        amount = round(sp.getInitialConcentration() * n)
        sp.unsetInitialConcentration()
        sp.setInitialAmount(float(amount))
        sp.setSubstanceUnits("item")
    for i in range(model.getNumParameters()):
        par = model.getParameter(i)
        if par.getUnits() in rename:
            par.setUnits(rename[par.getUnits()])
    for i in range(model.getNumEvents()):
        ev = model.getEvent(i)
        for j in range(ev.getNumEventAssignments()):
            ea = ev.getEventAssignment(j)
            math_ = ea.getMath().deepCopy()
            _retag_units(math_, rename)
            ea.setMath(math_)
    notes = (
        f"Stochastic variant: one unit of concentration is {n} molecules (substance unit "
        f"item, compartment C of size {n}); initial amounts and loaded data are whole "
        "molecules."
    )
    model.appendNotes(f'<body xmlns="http://www.w3.org/1999/xhtml"><p>{notes}</p></body>')
    if doc.getNumErrors(libsbml.LIBSBML_SEV_ERROR):
        raise WriterError(f"libSBML reported errors while scaling {network.id!r}.")
    return libsbml.writeSBMLToString(doc)


def _antimony(sbml: str) -> str:
    import antimony

    antimony.clearPreviousLoads()
    if antimony.loadSBMLString(sbml) < 0:
        raise WriterError(f"Antimony could not read the scaled model: {antimony.getLastError()}")
    text = antimony.getAntimonyString(antimony.getMainModuleName())
    antimony.clearPreviousLoads()
    return text


# --------------------------------------------------------------------------- the driver


@dataclass(frozen=True)
class DriveResult:
    """A training run driven phase by phase (:func:`drive`).

    ``theta`` is the learned parameters (concentrations), ``trajectory`` the parameters at the
    start of every epoch and at the end (``epochs + 1`` rows), ``errors`` the signed error
    ``ŷ − t`` at the end of every forward phase (``epochs × n × outputs``), ``train_loss`` the
    mean ``½ Σ (ŷ − t)²`` per epoch. ``molecules`` is None for a deterministic (CVODE) run.
    """

    theta: np.ndarray
    trajectory: np.ndarray
    errors: np.ndarray
    train_loss: np.ndarray
    molecules: int | None
    seed: int | None
    seconds: float
    solver_messages: tuple[str, ...] = field(default=(), repr=False)


def _phases(
    sched: Schedule, scale: float, integer: bool
) -> list[tuple[float, float, dict[str, float]]]:
    phases = []
    gate_values = [{g: 1.0 if g in on else 0.0 for g in sched.gates} for on in sched.on]
    loads = {sid: np.asarray(v) * scale for sid, v in sched.loads.items()}
    if integer:
        loads = {sid: np.round(v) for sid, v in loads.items()}
    for c in range(sched.cycles):
        k = c % sched.n_samples
        for j in range(len(sched.durations)):
            start = float(sched.starts[c, j])
            if j + 1 < len(sched.durations):
                end = float(sched.starts[c, j + 1])
            elif c + 1 < sched.cycles:
                end = float(sched.starts[c + 1, 0])
            else:
                end = float(sched.end_time)
            assign = dict(gate_values[j])
            if j == 0:
                assign.update({sid: float(v[k]) for sid, v in loads.items()})
            phases.append((start, end, assign))
    return phases


def drive(
    circuit: Circuit,
    *,
    molecules: int | None = None,
    seed: int = 0,
    tolerances: Tolerances | None = None,
    epoch_done: Callable[[int, int, float], None] | None = None,
) -> DriveResult:
    """Train ``circuit`` by driving the event-free variant of its network phase by phase.

    With ``molecules`` None the run is deterministic (CVODE, the ordinary model in a compartment
    of size 1) and reproduces the one-SBML run; with ``molecules = N`` it is a Gillespie run at
    volume ``N`` on whole molecules (:func:`scaled_sbml`, :func:`quantize_network`), seeded
    with ``seed``. ``epoch_done(done, epochs, loss)`` is called after every simulated epoch
    with the mean ``½‖ŷ − t‖²`` of its samples.
    """
    t0 = time.perf_counter()
    sched = schedule(circuit)
    net = dataclasses.replace(circuit.network, events=())
    pspecies = circuit.parameter_species
    err_species = circuit.error_species
    observe = [s for pair in pspecies.values() for s in pair]
    observe += [s for pair in err_species for s in pair]
    if molecules is None:
        sbml = to_sbml(net)
        scale = 1.0
        initial = None
        method = "cvode"
    else:
        n = _molecules(molecules)
        qnet = quantize_network(net, n)
        sbml = scaled_sbml(qnet, n)
        scale = float(n)
        initial = {s.id: float(round(s.initial * n)) for s in qnet.species}
        method = "gillespie"
    n_ph = len(sched.durations)
    per_epoch = n_ph * sched.n_samples
    n_epochs = sched.cycles // sched.n_samples
    n_err = 2 * len(pspecies)
    sq_errors: list[float] = []

    def after_phase(k: int, row: np.ndarray) -> Callable[[], None] | None:
        if epoch_done is None:
            return None
        if k == 0:
            sq_errors.clear()  # a restart with BDF after Adams failed begins again here
        if k % n_ph == 0:  # the end of a forward phase: the error of this sample
            e = (row[n_err::2] - row[n_err + 1 :: 2]) / scale
            sq_errors.append(float(np.sum(e**2)))
        if (k + 1) % per_epoch:
            return None
        loss = 0.5 * float(np.mean(sq_errors))
        sq_errors.clear()
        return functools.partial(epoch_done, (k + 1) // per_epoch, n_epochs, loss)

    result = simulate_phases(
        sbml,
        _phases(sched, scale, molecules is not None),
        observe=observe,
        method=method,
        seed=seed,
        tolerances=tolerances,
        initial_amounts=initial,
        after_phase=after_phase if epoch_done is not None else None,
    )
    obs = np.asarray(result.observed) / scale
    n_par = len(pspecies)
    theta_all = obs[:, 0 : 2 * n_par : 2] - obs[:, 1 : 2 * n_par : 2]
    err_all = obs[:, 2 * n_par :: 2] - obs[:, 2 * n_par + 1 :: 2]
    theta0 = np.array(
        [
            (circuit.network[p].initial - circuit.network[m].initial)  # type: ignore[attr-defined]
            if molecules is None
            else (
                round(circuit.network[p].initial * molecules)  # type: ignore[attr-defined]
                - round(circuit.network[m].initial * molecules)  # type: ignore[attr-defined]
            )
            / molecules
            for p, m in pspecies.values()
        ]
    )
    n = sched.n_samples
    epochs = sched.cycles // n
    cycle_end = theta_all[n_ph - 1 :: n_ph]  # parameters after each cycle
    trajectory = np.vstack([theta0, cycle_end[n - 1 :: n]])
    errors = err_all[0::n_ph].reshape(epochs, n, len(err_species))
    train_loss = 0.5 * np.mean(np.sum(errors**2, axis=2), axis=1)
    return DriveResult(
        theta=trajectory[-1].copy(),
        trajectory=trajectory,
        errors=errors,
        train_loss=train_loss,
        molecules=None if molecules is None else int(molecules),
        seed=None if molecules is None else int(seed),
        seconds=time.perf_counter() - t0,
        solver_messages=result.solver_messages,
    )


def one_sbml_theta(circuit: Circuit, tolerances: Tolerances | None = None) -> np.ndarray:
    """Parameters learned by simulating the one SBML training model (events) with CVODE."""
    pspecies = circuit.parameter_species
    watched = [s for pair in pspecies.values() for s in pair]
    sim = simulate(
        to_sbml(circuit.network),
        [0.0, circuit.clock.end_time],
        species=watched,
        tolerances=tolerances,
    )
    return np.array([sim.final[p] - sim.final[m] for p, m in pspecies.values()])


def driver_deviation(circuit: Circuit, tolerances: Tolerances | None = None) -> float:
    """``max |θ_driver − θ_one-SBML| / max(1, max |θ|)``: the deterministic driver against the
    ordinary one-SBML run (CVODE both)."""
    a = drive(circuit, tolerances=tolerances).theta
    b = one_sbml_theta(circuit, tolerances)
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


# --------------------------------------------------------------------------- events under SSA


def event_timing(circuit: Circuit, molecules: int, *, seed: int = 0) -> dict[str, Any]:
    """Run the one SBML model, events included, with RoadRunner's Gillespie integrator and
    measure when its clock events really fire.

    Every phase event reschedules itself by assigning its next trigger time ``t_<phase>``, so
    the row where ``t_<phase>`` changes is the firing and its previous value the scheduled
    time. Returns per phase the scheduled and observed numbers of firings, the delays (mean,
    max), the phases that lasted no time at all (their event fired together with the next
    one's), and the samples never loaded (firings of the first phase that did not happen).
    """
    n = _molecules(molecules)
    sched = schedule(circuit)
    clock = circuit.clock
    names = [f"t_{p.name}" for p in clock.phases]
    sbml = scaled_sbml(quantize_network(circuit.network, n), n)
    t0 = time.perf_counter()
    out, messages = simulate_gillespie(sbml, clock.end_time, selections=["time", *names], seed=seed)
    seconds = time.perf_counter() - t0
    times = out[:, 0]
    firings: list[tuple[np.ndarray, np.ndarray]] = []
    for j in range(len(names)):
        col = out[:, 1 + j]
        initial = clock.offset(j)
        prev = np.concatenate([[initial], col[:-1]])
        changed = col != prev
        fired_at = times[changed]
        scheduled = prev[changed]
        firings.append((fired_at, scheduled))
    phases = []
    for j, (fired_at, scheduled) in enumerate(firings):
        delay = fired_at - scheduled
        phases.append(
            {
                "phase": clock.phases[j].name,
                "scheduled": sched.cycles,
                "fired": len(fired_at),
                "missed": sched.cycles - len(fired_at),
                "mean_delay": float(np.mean(delay)) if delay.size else math.nan,
                "max_delay": float(np.max(delay)) if delay.size else math.nan,
                "mean_delay_fraction": float(np.mean(delay)) / clock.phases[j].duration
                if delay.size
                else math.nan,
            }
        )
    # a phase of zero length: its event fired at the same instant as the next phase's
    zero = 0
    if len(firings) > 1:
        nxt = set(map(float, firings[1][0]))
        zero = sum(1 for t in firings[0][0] if float(t) in nxt)
    return {
        "molecules": n,
        "seed": seed,
        "cycles": sched.cycles,
        "phases": phases,
        "zero_length_forward_phases": zero,
        "reactions_fired": int(times.size - 1),
        "seconds": seconds,
        "roadrunner_messages": sorted(set(messages)),
    }


def events_gillespie_theta(circuit: Circuit, molecules: int, *, seed: int = 0) -> np.ndarray:
    """Parameters learned by the one SBML model with events under RoadRunner's Gillespie
    integrator (the naive stochastic run, with its late and skipped events)."""
    n = _molecules(molecules)
    pspecies = circuit.parameter_species
    sel = ["time", *(s for pair in pspecies.values() for s in pair)]
    sbml = scaled_sbml(quantize_network(circuit.network, n), n)
    out, _ = simulate_gillespie(
        sbml, circuit.clock.end_time, selections=sel, seed=seed, variable_step=False
    )
    last = out[-1, 1:] / n
    return last[0::2] - last[1::2]


# --------------------------------------------------------------------------- training runs


def compile_circuit(name: str, data: Dataset, config: Config | None = None) -> Circuit:
    """Compile circuit ``name`` (``linear-regression``, …) on ``data`` with ``config``."""
    from sbmlcrn.training.pipeline import circuit_kind, circuit_task, default_config

    task = circuit_task(name)
    config = config if config is not None else default_config(name)
    if circuit_kind(name) == "linear":
        if not isinstance(config, LinearConfig):
            raise InputError(f"Circuit {name!r} needs a LinearConfig.")
        return compile_linear(task, data, config)
    if not isinstance(config, NonlinearConfig):
        raise InputError(f"Circuit {name!r} needs a NonlinearConfig.")
    return compile_nonlinear(task, data, config)


def train_stochastic(
    circuit_name: str,
    data: Dataset,
    *,
    molecules: int,
    seed: int = 0,
    test: Dataset | None = None,
    config: Config | None = None,
    progress: Callable[[str], None] | None = None,
):
    """Train ``circuit_name`` stochastically with ``molecules`` molecules per unit.

    Returns ``(run, info)``: a :class:`~sbmlcrn.training.pipeline.TrainingRun` (its ``sbml`` is the
    one
    training model at volume ``molecules`` with events, its ``max_abs_deviation`` the
    difference from the deterministic reference SGD — molecular noise, not an error) and a
    JSON-ready dict describing the stochastic run. The test metric is computed by the
    deterministic inference network with the learned parameters.
    """
    from sbmlcrn.training.pipeline import finish_run, reference_run

    say = progress or (lambda _msg: None)
    n = _molecules(molecules)
    t0 = time.perf_counter()
    compiled = compile_circuit(circuit_name, data, config)
    sbml = scaled_sbml(quantize_network(compiled.network, n), n)
    antimony = _antimony(sbml)
    build = time.perf_counter() - t0
    cfg = compiled.config
    say(
        f"training {circuit_name} stochastically: {n} molecules per unit, {len(data)} samples "
        f"x {cfg.epochs} epochs, Gillespie seed {seed}, phase by phase to t = "
        f"{compiled.clock.end_time:g}"
    )
    ref = reference_run(compiled)
    res = drive(compiled, molecules=n, seed=seed)
    learned = dict(zip(compiled.parameter_names, map(float, res.theta), strict=True))
    deviation = float(np.max(np.abs(res.theta - ref.theta)))
    timings = {"build_s": build, "simulate_s": res.seconds}
    if test is not None:
        say(f"evaluating on {len(test)} test samples with the (deterministic) inference network")
    run = finish_run(
        circuit_name,
        compiled,
        sbml=sbml,
        antimony=antimony,
        learned=learned,
        trajectory=res.trajectory,
        train_loss=res.train_loss,
        reference=ref,
        deviation=deviation,
        data=data,
        test=test,
        timings=timings,
        engine="phases",  # the stochastic run is always driven phase by phase
    )
    info = {
        "method": "gillespie (RoadRunner direct method), driven phase by phase",
        "molecules_per_unit": n,
        "seed": int(seed),
        "compartment_size": n,
        "substance_units": "item",
        "quantisation": "initial amounts and loaded data rounded to whole molecules",
        "max_abs_deviation_is": "molecular noise and quantisation vs the deterministic reference",
    }
    return run, info


def save_stochastic_run(run, info: Mapping[str, Any], out: str | Path, *, plots: bool = True):
    """:func:`sbmlcrn.training.pipeline.save_run`, then ``result.json`` gains a ``stochastic``
    section."""
    from sbmlcrn.training.pipeline import save_run

    return save_run(run, out, plots=plots, sections={"stochastic": dict(info)})


def molecule_counts(text: str) -> tuple[int, ...]:
    """Parse ``10,100,1000`` (the ``--molecules`` list of ``robustness noise``)."""
    try:
        values = tuple(int(float(v)) for v in text.split(",") if v.strip())
    except ValueError:
        raise InputError(
            f"--molecules must be a comma-separated list of integers. Got {text!r}."
        ) from None
    if not values or any(v < 1 for v in values):
        raise InputError(f"--molecules must list positive integers. Got {text!r}.")
    return values
