"""The phase-by-phase driver: one loaded, event-free network integrated phase by phase.

RoadRunner's Gillespie integrator tests event triggers only after a reaction has fired, so an
event fires late, phases get the wrong lengths, and a phase that passes with no reaction skips
its trigger (the self-rescheduling clock then stalls). The driver avoids events by design:
:func:`sbmlcrn.simulate.simulate_phases` loads the event-free variant of the *same* network
once and integrates it phase by phase to the exact event times, assigning between phases
exactly what the clock's events assign (:mod:`sbmlcrn.training.schedule`): the gates of the
next phase and, at each cycle start, the sample's data values and cleared transients. With
CVODE it reproduces the one SBML model's training to ~1e-11; with Gillespie (``molecules``)
it is the stochastic training. The random stream is seeded once per run and continues across
phases, so the same seed, molecule count and schedule give the same run.

Its cost is linear in the samples: the loads come from one walk over each lookup tree
(:func:`lookup_values`) and the phases are made as the simulator asks for them, so 100,000
samples train in about 0.45 ms each and 0.5 GB (BENCHMARKS.md, "Scale").
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from sbmlcrn.circuits.registry import Circuit, family_of
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import Tolerances, simulate_phases
from sbmlcrn.training.schedule import Schedule, schedule
from sbmlcrn.training.transforms import check_molecules, quantize_network

__all__ = ["DriveResult", "drive", "epoch_loss", "signed_rails"]


def signed_rails(column: Mapping[str, np.ndarray], pairs: Iterable[tuple[str, str]]) -> np.ndarray:
    """The signed values ``plus − minus`` of dual-rail ``pairs``, one column per pair.

    ``column`` maps a species id to its sampled values (a simulation result, or the columns of
    an observation matrix); the one rail reader of every engine.
    """
    return np.column_stack([np.asarray(column[p]) - np.asarray(column[m]) for p, m in pairs])


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


def epoch_loss(circuit: Circuit, errors: np.ndarray) -> float:
    """The training loss of one epoch from its error readouts (``cycles × readouts``): the
    circuit's own loss (the squared hinge of the product units' margins, the squared error
    otherwise) per sample, a mini-batch's slots being its samples (what the final loss curve
    uses, shown while training)."""
    per_sample = circuit.sample_errors(np.asarray(errors, dtype=float)[None, ...])
    return float(family_of(circuit).train_loss(circuit.task, circuit.config, per_sample)[0])


class _Phases(Sequence[tuple[float, float, dict[str, float]]]):
    """Every phase ``(start, end, assignments)`` of a schedule, made when asked for.

    A training run has ``cycles × phases`` of them (200,000 for 100,000 samples); a list of
    them, built while the compiled network's millions of expression nodes are alive, cost
    5.6 s of garbage collection at that size (0.6 s without). Made on the fly, each is freed
    as soon as the driver has applied it. The gate assignments of a phase without loads are one
    dict shared by all cycles (the driver only reads them).
    """

    def __init__(self, sched: Schedule, scale: float, integer: bool) -> None:
        self._gates = [{g: 1.0 if g in on else 0.0 for g in sched.gates} for on in sched.on]
        loads = {sid: np.asarray(v) * scale for sid, v in sched.loads.items()}
        if integer:
            loads = {sid: np.round(v) for sid, v in loads.items()}
        self._columns = [(sid, v.tolist()) for sid, v in loads.items()]
        self._starts = sched.starts.ravel().tolist()  # cycle-major: phase k starts at [k]
        self._end = float(sched.end_time)
        self._n_ph = len(sched.durations)
        self._n_samples = sched.n_samples

    def __len__(self) -> int:
        return len(self._starts)

    def _make(self, k: int) -> tuple[float, float, dict[str, float]]:
        starts = self._starts
        end = starts[k + 1] if k + 1 < len(starts) else self._end
        j = k % self._n_ph
        if j:
            return starts[k], end, self._gates[j]
        assign = dict(self._gates[0])
        sample = (k // self._n_ph) % self._n_samples
        assign.update({sid: v[sample] for sid, v in self._columns})
        return starts[k], end, assign

    @overload
    def __getitem__(self, k: int) -> tuple[float, float, dict[str, float]]: ...

    @overload
    def __getitem__(self, k: slice) -> list[tuple[float, float, dict[str, float]]]: ...

    def __getitem__(self, k: int | slice) -> Any:
        if isinstance(k, slice):
            return [self._make(i) for i in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError("phase index out of range")
        return self._make(k)

    def __iter__(self) -> Iterator[tuple[float, float, dict[str, float]]]:
        return map(self._make, range(len(self)))


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
    volume ``N`` on whole molecules (``to_sbml(..., molecules=N)`` of the network that
    :func:`~sbmlcrn.training.transforms.quantize_network` rounds), seeded with ``seed``.
    ``epoch_done(done, epochs, loss)`` is called after every simulated epoch with the mean
    ``½‖ŷ − t‖²`` of its samples.
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
        n = check_molecules(molecules)
        qnet = quantize_network(net, n)
        sbml = to_sbml(qnet, molecules=n)
        scale = float(n)
        initial = {s.id: float(round(s.initial * n)) for s in qnet.species}
        method = "gillespie"
    n_ph = len(sched.durations)
    per_epoch = n_ph * sched.n_samples
    n_epochs = sched.cycles // sched.n_samples
    n_err = 2 * len(pspecies)
    epoch_errors: list[np.ndarray] = []

    def after_phase(k: int, row: np.ndarray) -> Callable[[], None] | None:
        if epoch_done is None:
            return None
        if k == 0:
            epoch_errors.clear()  # a restart with BDF after Adams failed begins again here
        if k % n_ph == 0:  # the end of a forward phase: the errors of this cycle
            epoch_errors.append((row[n_err::2] - row[n_err + 1 :: 2]) / scale)
        if (k + 1) % per_epoch:
            return None
        loss = epoch_loss(circuit, np.array(epoch_errors))
        epoch_errors.clear()
        return functools.partial(epoch_done, (k + 1) // per_epoch, n_epochs, loss)

    result = simulate_phases(
        sbml,
        _Phases(sched, scale, molecules is not None),
        observe=observe,
        method=method,
        seed=seed,
        tolerances=tolerances,
        initial_amounts=initial,
        after_phase=after_phase if epoch_done is not None else None,
    )
    obs = np.asarray(result.observed) / scale
    column = dict(zip(observe, obs.T, strict=True))
    theta_all = signed_rails(column, pspecies.values())
    err_all = signed_rails(column, err_species)
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
    train_loss = family_of(circuit).train_loss(
        circuit.task, circuit.config, circuit.sample_errors(errors)
    )
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
