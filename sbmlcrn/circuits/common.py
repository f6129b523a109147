"""Building blocks shared by the circuit builders (linear and nonlinear).

Dual-rail encoding, the checks of the hyper-parameters that every circuit has, the default
learning rate and initial parameters, the two-phase schedule, and the readouts of a compiled
training network. Each builder composes these; none of them knows a particular circuit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from sbmlcrn.circuits.clock import Phase, PhaseClock
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.expr import Const, Expr, Op, Sym
from sbmlcrn.core.network import (
    Network,
    Observable,
    Parameter,
    Reaction,
    Readout,
    Role,
    Species,
    unique_ids,
)
from sbmlcrn.errors import DataError, InputError

__all__ = [
    "MAX_CYCLES",
    "SIGNS",
    "TrainingReadouts",
    "batch_slots",
    "catalysis",
    "channel_ids",
    "check_batch",
    "check_finite",
    "check_positive",
    "check_schedule",
    "check_seed",
    "check_training_data",
    "default_learning_rate",
    "finite_init",
    "inference_parameters",
    "initial_parameters",
    "load_rails",
    "output_observables",
    "parameter_readouts",
    "rail_pair",
    "rail_product",
    "rails",
    "slot_values",
    "theta_ids",
    "training_observables",
    "two_phase_clock",
    "unique_name",
]

#: Most SGD steps (samples × epochs) one training model may hold; the output grid and the
#: simulator's event handling grow with it (10⁶ steps is about an hour of simulation).
MAX_CYCLES = 1_000_000
#: The two rails of a signed value: ``v = v_p − v_m``.
SIGNS = ("p", "m")


def rails(value: float) -> tuple[float, float]:
    """Dual-rail encoding ``(max(v, 0), max(−v, 0))`` of a signed value."""
    v = float(value)
    return (v, 0.0) if v >= 0 else (0.0, -v)


def rail_pair(base: str, value: float, role: Role) -> list[Species]:
    """The dual-rail species ``base_p``, ``base_m`` holding the signed ``value``."""
    plus, minus = rails(value)
    return [Species(f"{base}_p", plus, role), Species(f"{base}_m", minus, role)]


def load_rails(
    loads: dict[str, list[float]], base: str, values: np.ndarray | Sequence[float]
) -> None:
    """Record in ``loads`` the rails of one signed value per sample for the species ``base``."""
    pairs = [rails(v) for v in values]
    loads[f"{base}_p"] = [p for p, _ in pairs]
    loads[f"{base}_m"] = [m for _, m in pairs]


def rail_product(a: str, b: str, sign: int = 1) -> str:
    """The rail (``p`` or ``m``) that ``sign · u_a · v_b`` adds to: ``p`` where it is positive."""
    return "p" if (a == b) == (sign > 0) else "m"


def catalysis(
    rid: str, u: str, v: str, target: str, sign: int, rate: str, gates: tuple[str, ...]
) -> list[Reaction]:
    """``u_a + v_b → u_a + v_b + target_s`` for the four rail pairs ``(a, b)``: together they
    add ``sign · u · v`` to ``target`` (``s`` = :func:`rail_product`), at ``rate`` times the
    ``gates``."""
    return [
        Reaction(
            f"{rid}_{a}{b}",
            (f"{u}_{a}", f"{v}_{b}"),
            (f"{u}_{a}", f"{v}_{b}", f"{target}_{rail_product(a, b, sign)}"),
            rate,
            gates,
        )
        for a in SIGNS
        for b in SIGNS
    ]


def batch_slots(batch_size: int) -> tuple[str, ...]:
    """The suffixes of a mini-batch's slots: ``("",)`` for one sample per step (the per-sample
    network's names), else ``("s1", …, "sB")``."""
    return ("",) if batch_size == 1 else tuple(f"s{i + 1}" for i in range(batch_size))


def slot_values(values: np.ndarray, batch_size: int, slot: int, fill: float = 0.0) -> np.ndarray:
    """What slot ``slot`` holds in each of the ``⌈n / B⌉`` batches: sample ``k·B + slot`` of
    ``values``, or ``fill`` where the last batch is short (an empty slot)."""
    v = np.asarray(values, dtype=float)
    n_batches = -(-len(v) // batch_size)
    out = np.full(n_batches, float(fill))
    picked = v[slot::batch_size]
    out[: len(picked)] = picked
    return out


def unique_name(name: str, taken: Sequence[str]) -> str:
    """``name``, with underscores appended until it is not in ``taken``."""
    while name in taken:
        name += "_"
    return name


def channel_ids(n: int, augmented: bool) -> tuple[str, ...]:
    """Species suffixes of ``n`` loaded input channels: ``1 … d``, then ``b`` for the constant."""
    ids = [str(i + 1) for i in range(n - int(augmented))]
    if augmented:
        ids.append("b")
    return tuple(ids)


# ----------------------------------------------------------------------------- checks


def check_positive(
    name: str, option: str, value: float | int | None, *, integer: bool = False
) -> None:
    """Refuse a ``value`` that is not a positive finite number (or integer)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or value <= 0:
        kind = "a positive integer" if integer else "a positive finite number"
        raise InputError(f"The {name} ({option}) must be {kind}. Got {value!r} instead.")


def check_finite(name: str, value: object) -> None:
    """Refuse a ``value`` that is neither None nor a finite number."""
    if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
        raise InputError(f"The {name} must be a finite number. Got {value!r} instead.")


class _Schedule(Protocol):
    horizon: float
    lr: float | None
    epochs: int
    backward: float | None
    annihilation: float
    init: tuple[float, ...] | None
    seed: int


def check_schedule(config: _Schedule) -> None:
    """Check the horizon, learning rate, epochs, backward duration and annihilation rate."""
    check_positive("horizon", "--horizon", config.horizon)
    if config.lr is not None:
        check_positive("learning rate", "--lr", config.lr)
    check_positive("number of epochs", "--epochs", config.epochs, integer=True)
    if config.backward is not None:
        check_positive("backward duration", "--backward", config.backward)
    check_positive("annihilation rate", "--annihilation", config.annihilation)


def finite_init(init: Sequence[float] | None) -> tuple[float, ...] | None:
    """The initial parameters as a tuple of floats; refused unless every value is finite."""
    if init is None:
        return None
    values = tuple(float(v) for v in init)
    if not all(math.isfinite(v) for v in values):
        raise InputError(f"The initial parameters must be finite. Got {init!r}.")
    return values


def check_seed(seed: object) -> None:
    """Refuse a seed that is not an integer >= 0."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InputError(f"The seed (--seed) must be an integer >= 0. Got {seed!r}.")


def check_training_data(data: Dataset, epochs: int) -> None:
    """Refuse training data without a target, with fewer than 2 rows, or whose
    ``samples × epochs`` exceed :data:`MAX_CYCLES` (shared by every circuit compiler)."""
    if data.y is None:
        raise DataError(f"{data.name}: training data needs a target column.")
    if len(data) < 2:
        raise DataError(f"{data.name}: has {len(data)} rows; training needs at least 2.")
    if len(data) * epochs > MAX_CYCLES:
        raise InputError(
            f"{len(data)} samples x {epochs} epochs = {len(data) * epochs} "
            f"training steps; at most {MAX_CYCLES} fit in one model (lower --epochs)."
        )


def check_batch(batch_size: int, n_samples: int) -> None:
    """Refuse a mini-batch larger than the training data (its slots would stay empty)."""
    if batch_size > n_samples:
        raise InputError(
            f"The batch size (--batch-size) must be at most the number of training samples "
            f"({n_samples}). Got {batch_size} instead."
        )


# ----------------------------------------------------------------------------- resolving


def default_learning_rate(horizon: float, x_tilde: np.ndarray, per_output: int = 1) -> float:
    """``η = 0.1 / (T² · n · mean‖x̃‖²)``, ``n`` the parameters per output along one input.

    Raises
    ------
    InputError
        If the horizon is so extreme that the rate is not a positive finite number.
    """
    mean_sq = float(np.mean(np.sum(x_tilde**2, axis=1)))
    with np.errstate(all="ignore"):
        lr = float(0.1 / (np.float64(horizon) ** 2 * per_output * max(mean_sq, 1e-12)))
    if not (math.isfinite(lr) and lr > 0):
        raise InputError(
            f"The horizon (--horizon) {horizon!r} is too extreme to choose a learning "
            "rate from the data; use a horizon between 1e-6 and 1e6 or give --lr."
        )
    return lr


def initial_parameters(
    init: tuple[float, ...] | None, n: int, seed: int, scale: float, folded: bool = False
) -> tuple[float, ...]:
    """``init`` if given (it must have ``n`` values), else ``n`` draws of ``N(0, scale²)``
    (their absolute values ``|N(0, scale²)|`` if ``folded``, the authors' half-normal)."""
    if init is None:
        rng = np.random.default_rng(seed)
        draws = rng.normal(0.0, scale, n)
        return tuple(float(v) for v in (np.abs(draws) if folded else draws))
    if len(init) != n:
        raise InputError(f"The initial parameters must have {n} values. Got {len(init)} instead.")
    return init


# ----------------------------------------------------------------------------- networks


def two_phase_clock(horizon: float, backward: float, n_samples: int, epochs: int) -> PhaseClock:
    """The forward (gate ``g_fwd``) then backward (gate ``g_bwd``) schedule of a training run."""
    return PhaseClock(
        (Phase("fwd", horizon, ("g_fwd",)), Phase("bwd", backward, ("g_bwd",))),
        n_samples=n_samples,
        epochs=epochs,
    )


def parameter_readouts(names: Sequence[str], ids: Sequence[str]) -> list[Readout]:
    """The readout ``p<id>_p − p<id>_m`` of every learned parameter."""
    return [
        Readout(name, f"p{c}_p", f"p{c}_m", Role.PARAMETER)
        for name, c in zip(names, ids, strict=True)
    ]


#: Id of the loss observable of a training network.
LOSS_ID = "loss"
_CONC = "mole_per_litre"
_LOSS_UNITS = "mole2_per_litre2"


def theta_ids(names: Sequence[str]) -> tuple[str, ...]:
    """The observable ids ``theta_<col>`` of learned parameters named ``names`` (the data's
    column names, in order): SBML ids made unique, never ``loss``; what every writer and reader
    (SED-ML, COPASI) derives from ``result.json``'s parameter names."""
    return tuple(unique_ids(names, "theta_", frozenset({LOSS_ID})))


def _difference(ro: Readout) -> Expr:
    return Op("-", (Sym(ro.plus), Sym(ro.minus)))


def training_observables(
    readouts: Sequence[Readout],
    *,
    hinge: bool = False,
    slots: int = 1,
    labels: Sequence[tuple[str, str]] = (),
) -> tuple[Observable, ...]:
    """The observables of a training network: ``theta_<col>`` per learned parameter and
    ``loss``.

    ``theta_<col>`` (ids :func:`~sbmlcrn.core.network.unique_ids` of the parameter readouts'
    names, which are the data's column names; SBML ``name`` = that column name) is the rail
    difference ``plus − minus``. ``loss`` is the family's per-sample loss of the error
    readouts: ``½ Σ (e⁺ − e⁻)²`` for the squared loss, ``½ Σ max(0, m⁺ − m⁻)²`` of the margins
    for the squared hinge, divided by
    ``slots`` for a mini-batch (the mean over its slots; an empty slot of a short last batch
    holds a zero error). ``labels``: for the squared hinge, the rails of the label of each
    error readout, in order; a margin counts only while its label is loaded (non-zero), so
    the empty slots of a short batch, whose margins stay at 1, add nothing. Its value at a
    time inside a backward phase is the loss of that cycle's sample (batch); during a forward
    phase it shows the error being accumulated. Products, not powers, so that every SED-ML and
    SBML reader renders it alike.

    Decision: the squared hinge is written ``¼ (m·m + m·(m·m)^½)`` (``m = m⁺ − m⁻``), not with
    ``piecewise`` or ``max``: RoadRunner reads either, but COPASI turns every condition into a
    root of its LSODA integration, and a margin that converges to 0 (or an empty slot's label
    at exactly 0) made it stop with "Internal step limit exceeded" (measured on the tiny
    multiclass product-unit run in batches of 2).
    """
    params = [ro for ro in readouts if ro.role is Role.PARAMETER]
    ids = theta_ids([ro.name for ro in params])
    out = [
        Observable(i, _difference(ro), ro.name, Role.PARAMETER, _CONC)
        for i, ro in zip(ids, params, strict=True)
    ]
    terms: list[Expr] = []
    errors = [ro for ro in readouts if ro.role is Role.ERROR]
    if labels and len(labels) != len(errors):
        raise InputError(
            "The labels parameter of training_observables must have one pair per error "
            f"readout ({len(errors)}). Got {len(labels)} instead."
        )
    for j, ro in enumerate(errors):
        d = _difference(ro)
        square: Expr = Op("*", (d, d))
        if hinge:  # 2 max(0, d)² = d·d + d·|d|, with |d| = (d·d)^½: no condition, no root
            size = Op("^", (square, Const(0.5, "dimensionless")))
            square = Op("+", (square, Op("*", (d, size))))
            if labels:  # |t| = 1 while a label is loaded, 0 in an empty slot
                loaded = Op("+", (Sym(labels[j][0]), Sym(labels[j][1])))
                square = Op("*", (Op("/", (loaded, Const(1.0, _CONC))), square))
        terms.append(square)
    if terms:
        half = Const((0.25 if hinge else 0.5) / slots, "dimensionless")
        one = terms[0]
        if len(terms) > 1:
            loss: Expr = Op("*", (half, Op("+", tuple(terms))))
        elif isinstance(one, Op) and one.op == "*":
            loss = Op("*", (half, *one.args))
        else:
            loss = Op("*", (half, one))
        out.append(Observable(LOSS_ID, loss, "loss", Role.ERROR, _LOSS_UNITS))
    return tuple(out)


def output_observables(readouts: Sequence[Readout]) -> tuple[Observable, ...]:
    """The ``prediction`` observable (``prediction_<k>`` for several outputs) of an inference
    network: the rail difference of each output readout, in standardised units."""
    outs = [ro for ro in readouts if ro.role is Role.OUTPUT]
    ids = ["prediction"] if len(outs) == 1 else [f"prediction_{k}" for k in range(1, len(outs) + 1)]
    return tuple(
        Observable(i, _difference(ro), f"prediction {ro.name} (standardised)", Role.OUTPUT)
        for i, ro in zip(ids, outs, strict=True)
    )


def inference_parameters(horizon: float) -> list[Parameter]:
    """The constant forward gate and the end time of an inference network."""
    return [
        Parameter("g_fwd", 1.0, Role.GATE),
        Parameter("t_end", horizon, Role.CLOCK, units="second"),
    ]


class TrainingReadouts:
    """What every compiled circuit offers for reading its training network: the species of
    the parameters and errors, the initial parameters and the times at which to read them.
    Needs ``network``, ``clock`` and ``config`` (with ``init`` and ``epochs``)."""

    network: Network
    clock: PhaseClock

    @property
    def theta0(self) -> np.ndarray:
        """Initial parameters."""
        return np.array(self.config.init, dtype=float)  # type: ignore[attr-defined]

    @property
    def parameter_species(self) -> dict[str, tuple[str, str]]:
        """Parameter name → (plus species id, minus species id)."""
        return {
            ro.name: (ro.plus, ro.minus)
            for ro in self.network.readouts
            if ro.role is Role.PARAMETER
        }

    @property
    def error_species(self) -> list[tuple[str, str]]:
        """Rails of every output's error, in output order."""
        return [(ro.plus, ro.minus) for ro in self.network.readouts if ro.role is Role.ERROR]

    def sample_errors(self, errors: np.ndarray) -> np.ndarray:
        """Errors read per cycle (``epochs × cycles × readouts``) as errors per sample
        (``epochs × n × K``): a mini-batch's slots are its samples, in order, and the empty
        slots of a short last batch are dropped. The identity for one sample per cycle."""
        e = np.asarray(errors, dtype=float)
        batch = int(getattr(self.config, "batch_size", 1))  # type: ignore[attr-defined]
        if batch == 1:
            return e
        n = len(self.inputs)  # type: ignore[attr-defined]
        per_slot = e.reshape(e.shape[0], e.shape[1], batch, -1)
        return per_slot.reshape(e.shape[0], e.shape[1] * batch, -1)[:, :n, :]

    def forward_error_times(self) -> list[float]:
        """Times in every cycle's backward phase, where the error species hold ``ŷ − t``."""
        return self.clock.phase_times(1, 0.5)

    def epoch_start_times(self) -> list[float]:
        """Mid-forward times of each epoch's first cycle (parameters are then unchanged)."""
        mids = self.clock.phase_times(0, 0.5)
        epochs = self.config.epochs  # type: ignore[attr-defined]
        return [mids[e * self.clock.n_samples] for e in range(epochs)]
