"""Packed training: K runs that share a phase clock simulated as ONE SBML model.

A sweep over seeds, learning rates, initial parameters or the annihilation rate trains K
networks with the same schedule: the same time events switch the same gates at the same times.
:func:`pack_networks` puts K such networks side by side in one network — each copy's species,
reactions, rate constants and readouts under its own suffix (``__k0``, ``__k1``, …), the clock
(its gates, its counters and trigger times, ``time``) once — so the events fire, and RoadRunner
loads and compiles the model, once for all K runs. The copies share no species and no
reaction, so each copy's ODE is its own network's ODE; only CVODE's step sizes are shared.

:func:`train_packed` is :func:`~sbmlcrn.training.pipeline.train` for many configs at once: each
config is compiled and checked as ``train`` does, the runs that can be packed (the default
``events`` engine and clock, the same compiled clock, the same CVODE settings) are simulated as
one packed model, each copy's rails are read back under its suffix (the learned values are
never computed here) and every run is checked against its own reference and finished as
``train`` finishes it, with a ``packed`` section in its record.

Decisions:

- A species every copy holds alike, that no reaction changes (an input, read only as a
  catalyst) and that the events set alike from the clock is held once, under its own id: each
  copy reads the values it reads alone, and the data lookups (balanced ``piecewise`` trees)
  are compiled once instead of K times (16 copies of the authors' regression: load 0.75 s
  instead of 1.28 s). Everything else (parameters, errors, targets) is per copy.
- What packing saves, measured (16 seeds of the authors' regression, CPU seconds): the event
  restarts and the compile are paid once, but CVODE takes the same ~68 steps per phase for K
  copies and each step costs each copy its right-hand side and a dense Newton solve, so the
  integration is ``0.14 + 0.08 K`` s (alone 0.21 s) and the whole run ~0.21 s per packed run
  against ~0.37 s alone (K = 8).
- Runs that cannot share a model (another clock or other CVODE settings) go into other packs;
  a pack of one, or a pack CVODE cannot integrate, runs each run as ``train`` runs it.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from sbmlcrn.circuits.common import rails
from sbmlcrn.circuits.registry import Config, family_of, reference_run
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.expr import Expr, Op, Sym, symbols
from sbmlcrn.core.network import Network, Observable, Parameter, Reaction, Readout, Role, Species
from sbmlcrn.errors import InputError, NetworkError, SbmlcrnError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.reference import ReferenceRun
from sbmlcrn.simulate import Tolerances, simulate, simulate_batch
from sbmlcrn.training.engines import EngineResult, events_sampling, read_events
from sbmlcrn.training.model import TrainedModel, outputs_to_predictions
from sbmlcrn.training.pipeline import (
    build_model,
    check_deviation,
    check_reference,
    default_tolerances,
    finish_run,
    simulate_model,
    trained_model,
)
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.transforms import TrainingModel

__all__ = [
    "MAX_PACK",
    "SHARED_ROLES",
    "clock_signature",
    "copy_suffix",
    "pack_networks",
    "rename_expr",
    "train_packed",
]

#: Parameters of these roles belong to the clock: a packed network holds them once.
SHARED_ROLES = (Role.CLOCK, Role.GATE)
#: Most copies :func:`train_packed` simulates in one model.
MAX_PACK = 64


def copy_suffix(k: int) -> str:
    """The suffix of copy ``k``'s ids in a packed network (``__k0``, ``__k1``, …)."""
    return f"__k{k}"


def rename_expr(expr: Expr, names: Mapping[str, str]) -> Expr:
    """``expr`` with every symbol in ``names`` replaced by its new name (others unchanged)."""
    if isinstance(expr, Sym):
        new = names.get(expr.name)
        return expr if new is None else Sym(new)
    if isinstance(expr, Op):
        args = tuple(rename_expr(a, names) for a in expr.args)
        return expr if args == expr.args else Op(expr.op, args)
    return expr


def _shared_ids(network: Network) -> frozenset[str]:
    return frozenset(p.id for p in network.parameters if p.role in SHARED_ROLES)


def clock_signature(network: Network) -> tuple[Hashable, ...]:
    """What copies of a packed network must share: the clock and gate parameters, and every
    event's trigger, flags and assignments to them (a hashable value; equal signatures pack)."""
    shared = _shared_ids(network)
    params = tuple(p for p in network.parameters if p.id in shared)
    events = tuple(
        (
            ev.id,
            ev.trigger,
            ev.initial_value,
            ev.persistent,
            ev.use_values_from_trigger_time,
            ev.priority,
            tuple((t, v) for t, v in ev.assignments if t in shared),
        )
        for ev in network.events
    )
    return (params, events)


def _difference(first: Network, other: Network, k: int) -> str:
    """Which part of the clock of copy ``k`` differs from copy 0's (for the refusal)."""
    a_par, a_ev = clock_signature(first)
    b_par, b_ev = clock_signature(other)
    if a_par != b_par:
        a, b = {p.id: p for p in a_par}, {p.id: p for p in b_par}  # type: ignore[union-attr]
        for pid in sorted(set(a) | set(b)):
            if a.get(pid) != b.get(pid):
                return f"the clock parameter {pid!r} ({a.get(pid)} vs {b.get(pid)})"
    if len(a_ev) != len(b_ev):
        return f"the number of events ({len(a_ev)} vs {len(b_ev)})"
    for ea, eb in zip(a_ev, b_ev, strict=True):
        if ea != eb:
            part = "trigger" if ea[1] != eb[1] else "clock and gate assignments or flags"
            return f"the {part} of event {ea[0]!r}" + (f" ({eb[0]!r})" if ea[0] != eb[0] else "")
    return f"copy {k}'s clock"  # pragma: no cover - signatures differ somewhere above


def _check_packable(networks: Sequence[Network]) -> frozenset[str]:
    """The shared ids; NetworkError unless the networks' clocks are identical."""
    if not networks:
        raise InputError("The networks parameter of pack_networks must not be empty. Got [].")
    first = networks[0]
    signature = clock_signature(first)
    for k, net in enumerate(networks[1:], 1):
        if clock_signature(net) != signature:
            raise NetworkError(
                f"The networks parameter of pack_networks must hold networks with one clock. "
                f"Got copy {k} differing from copy 0 in {_difference(first, net, k)} instead."
            )
    shared = _shared_ids(first)
    for ev in first.events:
        for target, value in ev.assignments:
            outside = sorted(set(symbols(value)) - shared - {"time"})
            if target in shared and outside:
                raise NetworkError(
                    f"Event {ev.id!r} sets the clock variable {target!r} from {outside}, which "
                    "are not clock parameters; such a network cannot be packed."
                )
    return shared


def _common_inputs(networks: Sequence[Network], clock: frozenset[str]) -> tuple[Species, ...]:
    """The species every network holds alike and no reaction changes (inputs only read as
    catalysts), each set by the same events to the same value of the clock: one copy of such
    a species serves every network with the values each would give it."""
    changed = {s for net in networks for r in net.reactions for s in r.stoichiometry()}
    held = [{s.id: s for s in net.species} for net in networks]
    found = []
    for sp in networks[0].species:
        if sp.id in changed or any(h.get(sp.id) != sp for h in held):
            continue
        sets = [
            [dict(net.events[j].assignments).get(sp.id) for net in networks]
            for j in range(len(networks[0].events))
        ]
        if all(
            all(v == values[0] for v in values)
            and (values[0] is None or set(symbols(values[0])) <= clock)
            for values in sets
        ):
            found.append(sp)
    return tuple(found)


def _renamed(net: Network, shared: frozenset[str], suffix: str) -> dict[str, str]:
    """Old id → new id for every id of ``net`` that is not shared."""
    ids = [s.id for s in net.species if s.id not in shared] + [r.id for r in net.reactions]
    ids += [p.id for p in net.parameters if p.id not in shared]
    return {i: i + suffix for i in ids}


def _copy_observables(net: Network, names: Mapping[str, str], suffix: str) -> list[Observable]:
    """``net``'s observables with ``suffix`` on their ids and names (``theta_x1__k0``, name
    ``x1__k0``, as the readouts), reading the copy's renamed species and parameters."""
    return [
        dataclasses.replace(
            ob,
            id=ob.id + suffix,
            name=ob.name + suffix if ob.name else "",
            expr=rename_expr(ob.expr, names),
        )
        for ob in net.observables
    ]


def _copy(
    net: Network, names: Mapping[str, str], suffix: str
) -> tuple[list[Species], list[Parameter], list[Reaction], list[Readout]]:
    """Copy ``net``'s own species, parameters, reactions and readouts under ``names``
    (readouts named with ``suffix``); :func:`_copy_observables` copies its observables."""
    new = names.get
    species = [dataclasses.replace(s, id=names[s.id]) for s in net.species if s.id in names]
    params = [dataclasses.replace(p, id=names[p.id]) for p in net.parameters if p.id in names]
    reactions = [
        Reaction(
            names[r.id],
            tuple(new(s, s) for s in r.reactants),
            tuple(new(s, s) for s in r.products),
            new(r.rate, r.rate),
            tuple(new(g, g) for g in r.gates),
        )
        for r in net.reactions
    ]
    readouts = [
        Readout(ro.name + suffix, new(ro.plus, ro.plus), new(ro.minus, ro.minus), ro.role)
        for ro in net.readouts
    ]
    return species, params, reactions, readouts


def pack_networks(
    networks: Sequence[Network], *, id: str | None = None, share_inputs: bool = True
) -> Network:
    """One network holding ``networks`` side by side, the clock once.

    Copy ``k``'s species, reactions, non-clock parameters (rate constants, …), readouts and
    observables get the suffix :func:`copy_suffix` (``k``); the gate and clock parameters
    (roles in :data:`SHARED_ROLES`) are held once. Every event keeps its trigger, flags and
    clock and gate assignments once and gains every copy's other assignments (loads, clears),
    renamed.

    Parameters
    ----------
    networks
        Networks with identical clocks (:func:`clock_signature`).
    id
        The packed network's id (default: the first network's id with ``_pack<K>``).
    share_inputs
        Hold once, under its own id, a species that every network holds alike, that no
        reaction changes and that the events set alike from the clock (the loaded inputs of
        copies trained on the same data): every copy reads the values it would read alone,
        and the packed model has one data lookup per input instead of K (RoadRunner's
        compile time grows with the lookups).

    Returns
    -------
    Network
        The packed network; the same inputs always give the same network.

    Raises
    ------
    NetworkError
        The clocks differ (the message names the first difference), or a renamed id collides.
    """
    clock = _check_packable(networks)
    first = networks[0]
    species = list(_common_inputs(networks, clock) if share_inputs else ())
    shared = clock | {s.id for s in species}
    params: list[Parameter] = [p for p in first.parameters if p.id in clock]
    reactions: list[Reaction] = []
    readouts: list[Readout] = []
    observables: list[Observable] = []
    renames: list[dict[str, str]] = []
    taken = set(shared)
    for k, net in enumerate(networks):
        names = _renamed(net, shared, copy_suffix(k))
        clash = sorted(taken & set(names.values()))
        if clash:
            raise NetworkError(
                f"Packing copy {k} would reuse the id {clash[0]!r}; rename it in the circuit."
            )
        taken |= set(names.values()) | {ob.id + copy_suffix(k) for ob in net.observables}
        renames.append(names)
        s, p, r, ro = _copy(net, names, copy_suffix(k))
        species += s
        params += p
        reactions += r
        readouts += ro
        observables += _copy_observables(net, names, copy_suffix(k))
    events = []
    for j, ev in enumerate(first.events):
        assignments = [(t, v) for t, v in ev.assignments if t in shared]
        for net, names in zip(networks, renames, strict=True):
            assignments += [
                (names[t], rename_expr(v, names))
                for t, v in net.events[j].assignments
                if t not in shared
            ]
        events.append(dataclasses.replace(ev, assignments=tuple(assignments)))
    notes = (
        f"{len(networks)} independent copies of {first.id} sharing one clock: copy k's species, "
        f"reactions, rate constants and readouts end in {copy_suffix(0)[:-1]}k, the inputs "
        f"they all read alike are held once.\n{first.notes}"
    )
    return Network(
        id or f"{first.id}_pack{len(networks)}",
        tuple(species),
        tuple(params),
        tuple(reactions),
        tuple(events),
        tuple(readouts),
        notes.rstrip("\n"),
        tuple(observables),
    )


# --------------------------------------------------------------------------- training


@dataclasses.dataclass
class _Prepared:
    """One config compiled and checked, waiting for its simulation."""

    slot: int
    model: TrainingModel
    test: Dataset | None
    reference: ReferenceRun
    tolerances: Tolerances | None
    timings: dict[str, float]
    started: float

    @property
    def key(self) -> Hashable:
        return (clock_signature(self.model.circuit.network), self.tolerances)


def _prepare(
    circuit: str, data: Dataset, test: Dataset | None, config: Config | None, slot: int,
    tolerances: Tolerances | None,
) -> _Prepared:  # fmt: skip
    started = t0 = time.perf_counter()
    model, aligned = build_model(circuit, data, test, config, None)
    timings = {"build_s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    ref = reference_run(model.base)
    timings["reference_s"] = time.perf_counter() - t0
    check_reference(model.base, ref)
    tol = tolerances if tolerances is not None else default_tolerances(model.base)
    return _Prepared(slot, model, aligned, ref, tol, timings, started)


def _simulate_pack(group: Sequence[_Prepared]) -> tuple[list[EngineResult], float]:
    """Simulate the group's packed model once; one :class:`EngineResult` per copy (its
    ``seconds`` the whole simulation's) and the seconds spent packing and writing."""
    t0 = time.perf_counter()
    models = [p.model for p in group]
    packed = pack_networks([m.circuit.network for m in models])
    sbml = to_sbml(packed)
    grid, _ = events_sampling(models[0])
    watched = []
    for k, m in enumerate(models):
        watched += [s + copy_suffix(k) for s in events_sampling(m)[1]]
    packing_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim = simulate(
        sbml,
        grid,
        species=watched,
        tolerances=group[0].tolerances,
        breakpoints=list(models[0].epoch_times[1:]),
    )
    seconds = time.perf_counter() - t0
    results = []
    for k, m in enumerate(models):
        suffix = copy_suffix(k)
        results.append(read_events(m, sim, seconds, rename=lambda s, x=suffix: s + x))
    return results, packing_s


def _groups(prepared: Sequence[_Prepared], size: int) -> list[list[_Prepared]]:
    """Packs of at most ``size`` runs with equal keys, in the order of their first run."""
    by_key: dict[Hashable, list[_Prepared]] = {}
    for p in prepared:
        by_key.setdefault(p.key, []).append(p)
    packs = []
    for members in by_key.values():
        packs += [members[i : i + size] for i in range(0, len(members), size)]
    return packs


def _finish(
    circuit: str, data: Dataset, p: _Prepared, result: EngineResult, *,
    place: tuple[int, int] | None = None, extra: Mapping[str, Any] | None = None,
    deviation: float | None = None, predictions: np.ndarray | None = None,
) -> TrainingRun:  # fmt: skip
    """Check a run against its reference (unless its ``deviation`` is given) and finish it;
    ``place``: ``(k, n)`` for copy ``k`` of a pack of ``n`` (its share of the simulation
    time and a ``packed`` section), None for a run simulated alone (finished exactly as
    ``train`` finishes it)."""
    model = p.model
    if place is None:
        p.timings["simulate_s"] = result.seconds
    else:
        k, n = place
        p.timings["simulate_s"] = result.seconds / n
        section = {"runs": n, "index": k, "simulate_s": result.seconds, **(extra or {})}
        model = dataclasses.replace(model, sections={**model.sections, "packed": section})
    if deviation is None:
        deviation = check_deviation(p.model.base, result, p.reference, None, checked=True)
    return finish_run(
        circuit,
        model,
        result=result,
        reference=p.reference,
        deviation=deviation,
        data=data,
        test=p.test,
        timings=p.timings,
        tolerances=p.tolerances,
        engine="events",
        started=p.started,
        predictions=predictions,
    )


def _test_loads(trained: TrainedModel, x: np.ndarray) -> dict[str, np.ndarray]:
    """The initial rails of the inference network for the test inputs ``x``, as
    :func:`~sbmlcrn.training.model.predict` loads them."""
    x_tilde = trained.feature_map(np.atleast_2d(np.asarray(x, dtype=float)))
    family = family_of(trained.config)
    n_classes = max(len(trained.classes), 2)
    loads = family.loads(trained.task, trained.config, x_tilde, len(trained.features), n_classes)
    initial = {}
    for base, column in loads.items():
        r = np.array([rails(v) for v in column]).reshape(-1, 2)
        initial[f"{base}_p"], initial[f"{base}_m"] = r[:, 0], r[:, 1]
    return initial


class _Conflict(Exception):
    """Two copies of a packed network load one shared input with different values."""


def _packed_loads(
    nets: Sequence[Network], loads: Sequence[Mapping[str, np.ndarray]], *, share_inputs: bool
) -> tuple[Network, dict[str, np.ndarray]]:
    """The packed inference network and the initial values of every copy's loaded species
    (a shared input's once); :class:`_Conflict` if copies load a shared input differently."""
    packed = pack_networks(nets, share_inputs=share_inputs)
    held = set(packed.species_ids())
    initial: dict[str, np.ndarray] = {}
    for k, copy in enumerate(loads):
        for sid, values in copy.items():
            key = sid if sid in held else sid + copy_suffix(k)
            if key in initial and not np.array_equal(initial[key], values):
                raise _Conflict(key)
            initial[key] = values
    return packed, initial


def _predict_pack(
    circuit: str, group: Sequence[_Prepared], results: Sequence[EngineResult]
) -> list[np.ndarray] | None:
    """Every run's test predictions from ONE simulation of the packed inference networks
    (one load instead of one per run); None when the runs' tests or inference networks
    differ (each run then predicts alone)."""
    test = group[0].test if group else None
    if test is None or any(p.test is None or not np.array_equal(p.test.x, test.x) for p in group):
        return None
    models = [
        trained_model(circuit, p.model.circuit, r.theta)
        for p, r in zip(group, results, strict=True)
    ]
    nets = [m.inference_network() for m in models]
    loads = [_test_loads(m, test.x) for m in models]
    try:
        packed, initial = _packed_loads(nets, loads, share_inputs=True)
    except _Conflict:  # the copies load an input differently (e.g. other standardisation)
        packed, initial = _packed_loads(nets, loads, share_inputs=False)
    except SbmlcrnError:
        return None
    ends = np.cumsum([0, *(len(net.readouts) for net in nets)])  # copy by copy, in order
    outs = [packed.readouts[a:b] for a, b in itertools.pairwise(ends)]
    values = simulate_batch(
        to_sbml(packed),
        models[0].config.horizon,
        initial,
        [s for ro in packed.readouts for s in (ro.plus, ro.minus)],
        tolerances=group[0].tolerances,
    )
    return [
        outputs_to_predictions(
            m, np.column_stack([values[ro.plus] - values[ro.minus] for ro in copy])
        )
        for m, copy in zip(models, outs, strict=True)
    ]


def _train_group(
    circuit: str, data: Dataset, group: Sequence[_Prepared], say: Callable[[str], None]
) -> list[TrainingRun | SbmlcrnError]:
    """Simulate a group of runs with one clock as one packed model and finish each run."""
    results = None
    if len(group) > 1:
        say(f"training {len(group)} runs of {circuit} as one packed model")
        try:
            results, packing_s = _simulate_pack(group)
        except SbmlcrnError:
            results = None
    if results is None:
        # one run, or a pack CVODE could not integrate: each run alone, as train runs it
        # (a run that fails alone fails; the others are not lost with it)
        return [_alone(circuit, data, p) for p in group]
    finished: dict[int, TrainingRun | SbmlcrnError] = {}
    deviations: dict[int, float] = {}
    for i, (p, result) in enumerate(zip(group, results, strict=True)):
        try:
            deviations[i] = check_deviation(p.model.base, result, p.reference, None, checked=True)
        except SbmlcrnError as exc:
            finished[i] = exc
    ok = sorted(deviations)
    t0 = time.perf_counter()
    try:
        preds = _predict_pack(circuit, [group[i] for i in ok], [results[i] for i in ok])
    except SbmlcrnError:
        preds = None  # each run predicts alone (and fails alone, if it does)
    shared_test_s = (time.perf_counter() - t0) / max(1, len(ok))
    for j, i in enumerate(ok):
        p = group[i]
        if preds is not None:
            p.timings["test_s"] = shared_test_s
        try:
            finished[i] = _finish(
                circuit, data, p, results[i], place=(i, len(group)),
                extra={"packing_s": packing_s, "predicted_packed": preds is not None},
                deviation=deviations[i], predictions=None if preds is None else preds[j],
            )  # fmt: skip
        except SbmlcrnError as exc:
            finished[i] = exc
    return [finished[i] for i in range(len(group))]


def train_packed(
    circuit: str,
    data: Dataset,
    configs: Sequence[Config | None],
    *,
    test: Dataset | None = None,
    tolerances: Tolerances | None = None,
    progress: Callable[[str], None] | None = None,
    max_pack: int = MAX_PACK,
) -> list[TrainingRun | SbmlcrnError]:
    """Train ``circuit`` on ``data`` once per config, simulating runs that share a clock as
    one packed model.

    Parameters
    ----------
    circuit, data, test, tolerances
        As for :func:`~sbmlcrn.training.pipeline.train` (the ``events`` engine and clock).
    configs
        One config per run.
    progress
        Called with a status line before each packed simulation.
    max_pack
        Most runs simulated in one model.

    Returns
    -------
    list
        One item per config, in order: its :class:`TrainingRun` (parameters equal to the
        unpacked run's to CVODE's tolerance; ``simulate_s`` is its share of the pack's
        simulation, the ``packed`` section of its record says which pack), or the
        :class:`~sbmlcrn.errors.SbmlcrnError` that ``train`` would have raised for it.
    """
    if isinstance(max_pack, bool) or not isinstance(max_pack, int) or max_pack < 1:
        raise InputError(
            f"The max_pack parameter of train_packed must be a positive integer. Got "
            f"{max_pack!r} instead."
        )
    say = progress or (lambda _msg: None)
    out: list[TrainingRun | SbmlcrnError | None] = [None] * len(configs)
    prepared = []
    for i, config in enumerate(configs):
        try:
            prepared.append(_prepare(circuit, data, test, config, i, tolerances))
        except SbmlcrnError as exc:
            out[i] = exc
    for group in _groups(prepared, max_pack):
        for p, item in zip(group, _train_group(circuit, data, group, say), strict=True):
            out[p.slot] = item
    return [item for item in out if item is not None]


def _alone(circuit: str, data: Dataset, p: _Prepared) -> TrainingRun | SbmlcrnError:
    """Simulate and finish one prepared run unpacked, exactly as ``train`` does."""
    try:
        result = simulate_model(
            "events", p.model, None, tolerances=p.tolerances, checkpoint=None, seed=0
        )
        return _finish(circuit, data, p, result)
    except SbmlcrnError as exc:
        return exc
