"""Network transforms: the options of the one training pipeline that change the model.

- **Molecule scaling** (``molecules=N``, stochastic training): one unit of concentration is
  ``N`` molecules. Substances are counted in ``item`` s in the compartment ``C`` of size ``N``,
  every rate constant keeps its numeric value (only its unit changes from mole-based to
  item-based) and every kinetic law is still ``C · k · gates · ∏[S]``, so in concentrations
  the deterministic ODE is the same as the ordinary model's. Initial amounts and every loaded
  data value are rounded to whole molecules (θ₀, inputs and targets are quantised; the
  learning rate and horizons are not).
- **Chemical clock** (``clock="chemical"``): the gates become species of a calibrated
  oscillator in the same network (:mod:`sbmlcrn.circuits.chemclock`); the rails are read where
  the clock's gates peak instead of mid-phase.
- **The event-free form** (``engine="phases"`` with more data values than
  :data:`~sbmlcrn.training.limits.MAX_EVENT_MODEL_DATA_VALUES`): the saved model is the
  training network without its events (what the ``phases`` engine loads) and the data its
  events would load go to ``schedule.csv`` beside it (:mod:`sbmlcrn.training.store`); the
  ``model_form`` section of ``result.json`` says so, why, and how to drive it. The event
  model of so much data is never written, not even in memory (540 MB at 100,000 samples).

:func:`prepare` applies them to a compiled circuit and returns the :class:`TrainingModel` that
the engines run and that is saved as ``model.xml``/``model.ant``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sbmlcrn.circuits.chemclock import ChemicalClockConfig, with_chemical_clock
from sbmlcrn.circuits.registry import Circuit
from sbmlcrn.core.expr import Const, Expr, Op
from sbmlcrn.core.network import Network
from sbmlcrn.errors import InputError
from sbmlcrn.io.sbml import sbml_to_antimony, to_antimony, to_sbml
from sbmlcrn.training.limits import MAX_EVENT_MODEL_DATA_VALUES, event_model_fits

__all__ = [
    "CLOCKS",
    "FORM_SECTION",
    "SCHEDULE_FILE",
    "TrainingModel",
    "check_molecules",
    "chemical_clock_info",
    "event_free_form",
    "prepare",
    "quantize_network",
]

#: How the phases are switched: time events (the standard model) or a chemical oscillator.
CLOCKS = ("events", "chemical")
_CONC = "mole_per_litre"
#: The section of ``result.json`` describing an event-free ``model.xml`` (absent otherwise).
FORM_SECTION = "model_form"
#: The file holding an event-free run's loads: one row per cycle of an epoch, one column per
#: loaded species (the first phase event's species assignments, in their order).
SCHEDULE_FILE = "schedule.csv"


@dataclass(frozen=True)
class TrainingModel:
    """The model one training run simulates, after the network transforms.

    Attributes
    ----------
    circuit
        The compiled circuit (its network transformed).
    base
        The compiled circuit before the transforms.
    sbml, antimony
        The training model as saved (``model.xml``, ``model.ant``): the one SBML model with its
        events, or the event-free network when ``sections`` has :data:`FORM_SECTION`.
    error_times
        One time per cycle at which the error species hold ``ŷ − t``.
    epoch_times
        One time per epoch at which the parameters are those the epoch starts with.
    event_gated
        True when time events switch the phases (the phase-by-phase engines need them).
    molecules
        Molecules per unit of concentration (stochastic training), or None.
    sections
        Extra sections of ``result.json`` describing the transforms (``clock``,
        :data:`FORM_SECTION`).
    """

    circuit: Circuit
    base: Circuit
    sbml: str
    antimony: str
    error_times: tuple[float, ...]
    epoch_times: tuple[float, ...]
    event_gated: bool = True
    molecules: int | None = None
    sections: Mapping[str, Any] = field(default_factory=dict)


def check_molecules(molecules: int) -> int:
    """``molecules`` as an int, or :class:`~sbmlcrn.errors.InputError` unless it is a positive
    integer."""
    return _molecules(molecules)


def prepare(
    compiled: Circuit,
    *,
    engine: str = "events",
    clock: str = "events",
    clock_config: ChemicalClockConfig | None = None,
    molecules: int | None = None,
) -> TrainingModel:
    """Apply the network transforms to ``compiled`` and write the training model.

    A run of the ``phases`` engine (``engine``) on more data values than
    :data:`~sbmlcrn.training.limits.MAX_EVENT_MODEL_DATA_VALUES` gets the event-free form
    (:func:`event_free_form`); any other run on so much data is refused, naming the engine
    that trains it.
    """
    if clock not in CLOCKS:
        raise InputError(
            f"The clock parameter of train must be one of {', '.join(CLOCKS)}. Got {clock!r} "
            "instead."
        )
    n_rows = int(np.shape(compiled.targets)[0])
    if not event_model_fits(n_rows, len(compiled.features)):
        if engine == "phases" and clock == "events" and molecules is None:
            return event_free_form(compiled)
        raise InputError(
            f"The engine parameter of train must be 'phases' (--engine phases) for "
            f"{n_rows:,} samples x {len(compiled.features) + 1} columns: an event model holds "
            f"at most {MAX_EVENT_MODEL_DATA_VALUES:,} data values. Got engine={engine!r}, "
            f"clock={clock!r}, molecules={molecules!r} instead."
        )
    if clock == "chemical":
        circuit, osc = with_chemical_clock(compiled, clock_config)
        n, period = circuit.clock.n_samples, circuit.clock.period
        fwd_peak, bwd_peak = osc.peak_times()[0], osc.peak_times()[-1]
        return TrainingModel(
            circuit=circuit,
            base=compiled,
            sbml=to_sbml(circuit.network),
            antimony=to_antimony(circuit.network),
            error_times=tuple(c * period + bwd_peak for c in range(circuit.clock.cycles)),
            epoch_times=tuple(e * n * period + fwd_peak for e in range(circuit.config.epochs)),
            event_gated=False,
            sections={"clock": chemical_clock_info(osc, compiled.network, circuit.network)},
        )
    if molecules is not None:
        n = _molecules(molecules)
        sbml = to_sbml(quantize_network(compiled.network, n), molecules=n)
        antimony = sbml_to_antimony(sbml)
    else:
        n = None
        sbml, antimony = to_sbml(compiled.network), to_antimony(compiled.network)
    return TrainingModel(
        circuit=compiled,
        base=compiled,
        sbml=sbml,
        antimony=antimony,
        error_times=tuple(compiled.forward_error_times()),
        epoch_times=tuple(compiled.epoch_start_times()),
        molecules=n,
    )


def event_free_form(compiled: Circuit) -> TrainingModel:
    """The training model of a ``phases`` run too large for its event model: the network
    without its events (the same species, reactions and gate parameters; what the ``phases``
    engine loads), its notes saying how to drive it, and the :data:`FORM_SECTION` section.

    The loads themselves are written by :func:`sbmlcrn.training.store.save_run` as
    :data:`SCHEDULE_FILE`; the event model is never built as text.
    """
    net = compiled.network
    clock = compiled.clock
    species = set(net.species_ids())
    columns = [t for t, _ in net.events[0].assignments if t in species]
    n_rows = int(np.shape(compiled.targets)[0])
    values = n_rows * (len(compiled.features) + 1)
    reason = (
        f"{values:,} data values exceed the {MAX_EVENT_MODEL_DATA_VALUES:,} up to which the "
        "event model is written (about 5.4 kB of SBML per value; larger files are refused by "
        "sbmlcrn validate)"
    )
    first_line = net.notes.splitlines()[0] if net.notes else net.id
    notes = (
        f"{first_line}\n"
        "Event-free form: the events that switch the gates and load each sample were left out "
        f"({reason}).\n"
        f"To train, drive it phase by phase: at each cycle start set the species of the "
        f"{SCHEDULE_FILE} row of that sample; in each phase set its gates to 1 and the others "
        "to 0 (result.json: model_form, schedule); the learned parameters are then "
        "p<i>_p - p<i>_m."
    )
    free = dataclasses.replace(net, events=(), notes=notes)
    section = {
        "form": "event-free",
        "reason": reason,
        "data_values": values,
        "max_event_model_data_values": MAX_EVENT_MODEL_DATA_VALUES,
        "schedule_file": SCHEDULE_FILE,
        "schedule_rows": clock.n_samples,
        "schedule_columns": columns,
        "phase_gates": {p.name: list(p.gates) for p in clock.phases},
    }
    return TrainingModel(
        circuit=compiled,
        base=compiled,
        sbml=to_sbml(free),
        antimony=to_antimony(free),
        error_times=tuple(compiled.forward_error_times()),
        epoch_times=tuple(compiled.epoch_start_times()),
        sections={FORM_SECTION: section},
    )


def chemical_clock_info(clock: Any, events_net: Network, chem_net: Network) -> dict[str, Any]:
    """The ``clock`` section of ``result.json``: the oscillator and what it adds."""
    a, b = events_net.stats(), chem_net.stats()
    return {
        "kind": "chemical",
        "ring_species": clock.config.species,
        "floor": clock.config.floor,
        "total": clock.config.total,
        "rearm": clock.config.rearm,
        "k_clk": clock.rate,
        "start": list(clock.start),
        "gate_species": [clock.ids[s] for s in clock.phase_species],
        "gate_integrals": [clock.integrals[s] for s in clock.phase_species],
        "gate_windows_half_max": [list(w) for w in clock.windows],
        "gate_overlap": clock.overlap,
        "event_gated_network": a,
        "chemical_network": b,
        "extra_species": b["species"] - a["species"],
        "extra_reactions": b["reactions"] - a["reactions"],
    }


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
