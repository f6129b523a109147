"""Nonlinear Neural CRNs: regression with an exact or first-order gradient, binary and
multi-class classification, trained inside one SBML model.

The learning model
------------------
Inputs ``x̃ ∈ R^D`` are loaded as for the linear circuits (standardised by default, then one
constant entry ``a`` whose weights act as offsets). Hidden units ``z_i`` follow

    dz_i/dt = u_i − φ(z_i),   u_i = Σ_{(i, j) connected} θ_ij x̃_j,   t ∈ [0, T],

with ``φ(z) = c·z²`` (``quadratic``: uni- and bimolecular reactions only) or ``c·z³``
(``cubic``: needs trimolecular reactions). Outputs are sums of units, ``ŷ_k = Σ_{i → k} z_i(T)``,
and the loss is ``½ Σ_k (ŷ_k − t_k)²``. Three topologies:

* ``regression``: one unit per input, ``z_i(0) = x̃_i``, diagonal ``θ`` (the authors'
  ``θ ⊙ x̃ − ½ z ⊙ z``), one output.
* ``classification`` (binary, labels 0/1): one unit per input, ``z_i(0) = x̃_i``, full matrix
  ``θ`` (the authors' ``θ x̃ − α z²`` / ``θ x̃ − z³/6``), one output, label 1 where ``ŷ`` exceeds
  the midpoint of the class values.
* ``multiclass`` (labels 0…K−1): one unit per class, ``z_k(0) = 0``, full ``K × D`` matrix,
  output ``k`` is unit ``k`` (one output per class), one-hot targets, prediction ``argmax ŷ``.

Gradient (``gradient``):

* ``exact`` — the adjoint method, chemically. In reverse time ``s ∈ [0, T]`` the backward phase
  reconstructs ``z`` (``dz/ds = −f``) and runs the adjoint ``a_i`` (``da_i/ds = −φ'(z_i) a_i``,
  ``a_i(0) = ŷ_k − t_k``), and ``∂L/∂θ_ij = ∫ a_i x̃_j ds``.
* ``first-order`` — the paper's approximation: no reconstruction, no adjoint dynamics,
  ``∂L/∂θ_ij ≈ T (ŷ_k − t_k) x̃_j``; the backward phase is the linear circuit's.
* ``linapprox`` — the authors' backward of their quadratic classifier (with the per-rail
  square only): as ``exact``, but ``z`` is reversed with the linear part alone
  (``dz/ds = −u``; their ``z²`` reversal reactions are commented out) and the ODE runs at
  unit rates for the backward time ``T_b`` (their 2.0 with ``T = 0.4``), not rescaled to
  ``[0, T]``. The adjoint decays by ``φ'(z) = 2α|z|``: their ``A + Z → Z`` at rate 0.3 with
  ``α = 0.15``. Not a gradient of the loss; reproduced because it is what they ran.

The chemistry (every computation by mass-action reactions)
-----------------------------------------------------------
Signed values are dual-rail pairs ``v = v_p − v_m``. A polynomial term ``γ·∏ v`` in ``dw/dt``
is expanded over the rails into monomials; each monomial becomes one reaction whose reactants
are the monomial and whose rate constant is ``|γ·κ|`` (``κ`` the monomial's integer
coefficient). The reaction *consumes* one ``w_p`` if the term lowers ``w`` and the monomial
contains ``w_p`` (``w_m`` if it raises ``w`` and contains ``w_m``), otherwise it *produces*
``w_m`` (``w_p``) catalytically. Consuming keeps the rails small; both forms are exact.

* Forward (gate ``g_fwd``, time ``T``): ``p + x → p + x + z (+ e)`` per connection and sign
  combination; the ``−φ(z)`` term per unit; every change of a unit is mirrored in its output's
  error species ``e_k``, which the sample load set to ``−t_k`` and ``x_s → x_s + e_s`` at
  ``1/T`` fills with ``z(0)``, so ``e_k`` ends the phase holding ``ŷ_k − t_k``. For ``exact``,
  ``p_s → p_s + q_s`` at ``1/T`` copies every parameter into a transient ``q`` (cleared to 0 at
  each load): after the phase ``q = θ`` exactly.
* Backward (gate ``g_bwd``, time ``T_b``; every rate times ``T/T_b``, an exact rescaling of
  time): ``exact`` — ``q + x → q + x + z`` with the opposite sign and ``+φ(z)`` reconstruct
  ``z`` from the copy ``q`` (so updating ``θ`` during the phase does not disturb the
  reconstruction); a transient ``w_ij`` loaded with ``x̃_j`` follows ``dw_ij/ds = −φ'(z_i)
  w_ij``, so ``w_ij = x̃_j a_i / a_i(0)``; and ``e_k + w_ij → e_k + w_ij + p_ij`` (sign
  ``−``) at ``η`` moves ``θ_ij`` by exactly ``−η ∫ a_i x̃_j ds``. ``first-order`` —
  ``e_k + x_j → e_k + x_j + p_ij`` at ``η T / T_b``.
* Always: ``v_p + v_m → ∅`` at ``k_ann`` for parameters, units, errors and ``w``.

Decisions
---------
* **The sign problem of squaring** is solved by a *correct signed square*: ``−c z²`` expands to
  ``2 z_p → z_p`` (rate c), ``2 z_m → 3 z_m`` (rate c) and ``z_p + z_m → z_p`` (rate 2c), whose
  net effect on ``z_p − z_m`` is ``−c (z_p − z_m)²`` for *any* rail values. The circuit is then
  exact whatever the annihilation rate: no fast annihilation is needed to make it right, and the
  numpy reference integrates the very same ``−c z²``. The cubic term is likewise expanded
  exactly (it needs the trimolecular cross terms ``2 z_p + z_m`` and ``z_p + 2 z_m``).
* **The authors' per-rail square** (``square="per-rail"``): ``2 z_p → z_p`` and
  ``2 z_m → z_m`` at ``c``, their reactions, give ``d(z_p − z_m)/dt ∋ −c z (z_p + z_m)``:
  the odd, stable ``−c z|z|`` while one rail is 0, which annihilation approaches but never
  reaches. The value of ``z`` then depends on the rails (and through the drive's split on
  the parameters' rails), so no value-level ODE is its exact reference: its reference is
  :mod:`sbmlcrn.reference.rails`, which integrates every rail as the chemistry does; the
  distance to the ideal ``−c z|z|`` is measured and reported separately
  (``scripts/per_rail_square.py``, ``sbmlcrn reproduce``). The adjoint's ``φ'`` is
  ``2c (z_p + z_m)``. The inference network annihilates the units' rails at the training
  rate (without it the rails never meet and the square is far from ``−c z|z|``).
  Rate constants are SBML's (``k·∏[S]``): the authors' Catalyst rate ``k`` on ``2Z → Z``
  is ``c = k/2`` here (their 0.3 is ``α = 0.15``, their 1 is ``½``).
* **Exact adjoint with bimolecular reactions**: ``a_i x̃_j`` is carried by one species pair per
  parameter (``w``), so the update is a bimolecular catalysis by ``e`` and ``w``; a separate
  ``a_i`` would need the trimolecular ``e + a + x``. Cost: 2 species and 4 + 4 reactions per
  parameter (linear in the parameter count).
* **Copy of θ for the reconstruction**: without ``q`` the reconstruction would use parameters
  that the same phase is changing (an error of order ``η``); a third phase would break the
  two-phase design.
* **Multi-class units start at 0**: an output per class needs ``K`` units whatever ``D``; with
  ``z(0) = 0`` each output is a saturating function of ``(θ x̃)_k``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sbmlcrn.circuits.clock import PhaseClock
from sbmlcrn.circuits.common import (
    TrainingReadouts,
    check_training_data,
    load_rails,
    parameter_readouts,
    rail_pair,
    rails,
    training_observables,
    two_phase_clock,
    unique_name,
)
from sbmlcrn.circuits.linear import FeatureMap
from sbmlcrn.circuits.nonlinear_inference import nonlinear_inference_network
from sbmlcrn.circuits.nonlinear_model import (
    GRADIENTS,
    NONLINEARITIES,
    SQUARES,
    TASKS,
    NonlinearConfig,
    Topology,
    class_list,
    encode_labels,
    parameter_names,
    reference_model,
    resolve_config,
    topology,
)
from sbmlcrn.circuits.nonlinear_reactions import (
    ReactionBuilder,
    annihilation_reactions,
    backward_reactions,
    core_species,
    forward_reactions,
)
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network, Parameter, Readout, Role, Species
from sbmlcrn.errors import InputError
from sbmlcrn.reference import NonlinearModel

__all__ = [
    "GRADIENTS",
    "NONLINEARITIES",
    "SQUARES",
    "TASKS",
    "NonlinearCircuit",
    "NonlinearConfig",
    "Topology",
    "compile_nonlinear",
    "encode_labels",
    "nonlinear_inference_network",
    "reference_model",
    "topology",
]


@dataclass(frozen=True)
class NonlinearCircuit(TrainingReadouts):
    """A compiled nonlinear circuit: the training network and what is needed to read it.

    ``config`` is resolved: ``lr``, ``backward``, ``degradation`` and ``init`` are filled in.
    """

    task: str
    config: NonlinearConfig
    features: tuple[str, ...]
    parameter_names: tuple[str, ...]
    feature_map: FeatureMap
    clock: PhaseClock
    network: Network
    topology: Topology
    classes: tuple[float, ...]
    inputs: np.ndarray = field(repr=False)
    targets: np.ndarray = field(repr=False)

    def model(self) -> NonlinearModel:
        """The mathematical model, for the numpy reference."""
        return reference_model(self.topology, self.config)


def compile_nonlinear(
    task: str, data: Dataset, config: NonlinearConfig | None = None
) -> NonlinearCircuit:
    """Compile a nonlinear circuit that trains on ``data`` inside one reaction network.

    Parameters
    ----------
    task
        ``"regression"``, ``"classification"`` (labels 0/1) or ``"multiclass"`` (labels
        0…K−1).
    data
        Training data with a target.
    config
        Hyper-parameters (default :class:`NonlinearConfig`).

    Returns
    -------
    NonlinearCircuit
        Simulating ``circuit.network`` from 0 to ``circuit.clock.end_time`` leaves the learned
        parameters in the parameter species.
    """
    if task not in TASKS:
        raise InputError(
            f"The task parameter of compile_nonlinear must be one of {TASKS}. Got {task!r}."
        )
    config = config or NonlinearConfig()
    check_training_data(data, config.epochs)
    classes = class_list(task, data.y, data.name)
    labels = encode_labels(task, data.y, config, classes, data.name)
    fmap = FeatureMap.fit(
        data.x,
        config.standardize,
        config.augmentation,
        labels[:, 0] if task == "regression" else None,
        config.standardize_target,
    )
    targets = fmap.encode_target(labels) if task == "regression" else labels
    x_tilde = fmap(data.x)
    augmented = config.augmentation is not None
    top = topology(task, x_tilde.shape[1], augmented, max(len(classes), 2))
    config = resolve_config(config, x_tilde, top)
    names = parameter_names(task, top, data.features, augmented)
    species, loads, clears = _training_species(top, config, x_tilde, targets)
    b = _training_reactions(top, config)
    assert config.backward is not None
    clock = two_phase_clock(config.horizon, config.backward, len(data), config.epochs)
    params = [Parameter(k, v) for k, v in b.rates.items()]
    params += list(clock.parameters())
    readouts = tuple(_training_readouts(top, names))
    network = Network(
        id=f"nonlinear_{task}_{config.gradient.replace('-', '_')}",
        species=tuple(species),
        parameters=tuple(params),
        reactions=tuple(b.reactions),
        events=clock.events(loads, clears),
        readouts=readouts,
        notes=_notes(task, config, len(data)),
        observables=training_observables(readouts),
    )
    return NonlinearCircuit(
        task=task,
        config=config,
        features=data.features,
        parameter_names=names,
        feature_map=fmap,
        clock=clock,
        network=network,
        topology=top,
        classes=classes,
        inputs=x_tilde,
        targets=targets,
    )


def _clear(clears: dict[str, float], base: str, value: float) -> None:
    """Record in ``clears`` the constant rails that every load gives the pair ``base``."""
    clears[f"{base}_p"], clears[f"{base}_m"] = rails(value)


def _training_species(
    top: Topology, config: NonlinearConfig, x_tilde: np.ndarray, targets: np.ndarray
) -> tuple[list[Species], dict[str, list[float]], dict[str, float]]:
    """The species of the training network, the values every load event sets per sample
    (inputs, units that start at an input, ``−t`` into the errors, ``x̃`` into ``w``) and
    the constants it sets (the other units and the transients)."""
    assert config.init is not None
    aug = float(config.augmentation) if config.augmentation is not None else 0.0
    species = core_species(top, config.augmentation, config.init)
    loads: dict[str, list[float]] = {}
    clears: dict[str, float] = {}
    for j, ch in enumerate(top.channels):
        if ch != "b":
            load_rails(loads, f"x{ch}", x_tilde[:, j])
    for i, u in enumerate(top.units):
        src = top.sources[i]
        if src >= 0 and top.channels[src] != "b":
            load_rails(loads, f"z{u}", x_tilde[:, src])
        else:
            _clear(clears, f"z{u}", aug if src >= 0 and top.channels[src] == "b" else 0.0)
    for k in range(top.n_outputs):
        base = top.output_id(k)
        species += rail_pair(base, 0.0, Role.ERROR)
        load_rails(loads, base, -targets[:, k])
    if config.gradient != "first-order":  # the adjoint transients q and w
        for (_, j), cid in zip(top.connections, top.connection_ids, strict=True):
            species += rail_pair(f"q{cid}", 0.0, Role.TRANSIENT)
            _clear(clears, f"q{cid}", 0.0)
            ch = top.channels[j]
            species += rail_pair(f"w{cid}", aug if ch == "b" else 0.0, Role.TRANSIENT)
            if ch == "b":
                _clear(clears, f"w{cid}", aug)
            else:
                load_rails(loads, f"w{cid}", x_tilde[:, j])
    return species, loads, clears


def _training_reactions(top: Topology, config: NonlinearConfig) -> ReactionBuilder:
    """Forward, backward and annihilation reactions with their rate parameters."""
    b = ReactionBuilder()
    forward_reactions(b, top, config, [top.output_id(k) for k in range(top.n_outputs)])
    backward_reactions(b, top, config)
    bases = [f"p{cid}" for cid in top.connection_ids]
    bases += [f"z{u}" for u in top.units]
    bases += [top.output_id(k) for k in range(top.n_outputs)]
    if config.gradient != "first-order":  # the adjoint transients q and w
        bases += [f"w{cid}" for cid in top.connection_ids]
    annihilation_reactions(b, bases, config.annihilation)
    return b


def _training_readouts(top: Topology, names: tuple[str, ...]) -> list[Readout]:
    """The learned parameters, then the error of every output."""
    readouts = parameter_readouts(names, top.connection_ids)
    for k in range(top.n_outputs):
        base = top.output_id(k)
        name = "error" if top.n_outputs == 1 else f"error{k}"
        readouts.append(Readout(unique_name(name, names), f"{base}_p", f"{base}_m", Role.ERROR))
    return readouts


def _notes(task: str, config: NonlinearConfig, n_samples: int) -> str:
    return (
        f"sbmlcrn nonlinear-{task} training network ({config.nonlinearity}, {config.gradient} "
        f"gradient, {config.square} square): {n_samples} samples x {config.epochs} epochs, "
        f"T = {config.horizon!r}, T_b = {config.backward!r}, eta = {config.lr!r}, "
        f"c = {config.coefficient!r}.\n"
        "Simulate from t = 0 to t_end; the learned parameters are then p<i>_p - p<i>_m."
    )
