"""The inference network of the nonlinear circuits: the forward phase alone, for one sample."""

from __future__ import annotations

from collections.abc import Sequence

from sbmlcrn.circuits.common import inference_parameters, output_observables, rail_pair
from sbmlcrn.circuits.nonlinear_model import NonlinearConfig, topology
from sbmlcrn.circuits.nonlinear_reactions import (
    ReactionBuilder,
    annihilation_reactions,
    core_species,
    forward_reactions,
)
from sbmlcrn.core.network import Network, Parameter, Readout, Role
from sbmlcrn.errors import InputError

__all__ = ["nonlinear_inference_network"]


def nonlinear_inference_network(
    task: str,
    theta: Sequence[float],
    config: NonlinearConfig,
    n_features: int,
    n_classes: int = 2,
) -> Network:
    """The forward phase alone, for one sample, with parameters as initial concentrations.

    Set ``x<i>_p/_m`` and the units ``z<i>_p/_m`` that start at an input to the rails of the
    loaded (standardised) input, simulate from 0 to ``T`` and read ``yhat = yhat_p − yhat_m``
    (``yhat<k>`` for several outputs). No events; the forward gate is a constant 1.

    With the per-rail square the units' rails annihilate at the training rate (``−c·z|z|``
    needs one rail near 0, and the training network's forward phase annihilates them too);
    the exact signed and cubic terms need no annihilation, so their networks have none.
    """
    augmented = config.augmentation is not None
    top = topology(task, n_features + int(augmented), augmented, n_classes)
    if len(theta) != len(top.connections):
        raise InputError(f"Expected {len(top.connections)} parameters. Got {len(theta)} instead.")
    species = core_species(top, config.augmentation, theta)
    outs = ["yhat"] if top.n_outputs == 1 else [f"yhat{k + 1}" for k in range(top.n_outputs)]
    for o in outs:
        species += rail_pair(o, 0.0, Role.OUTPUT)
    b = ReactionBuilder()
    forward_reactions(b, top, config, outs)
    if config.square == "per-rail":
        annihilation_reactions(b, [f"z{u}" for u in top.units], config.annihilation)
    params = [Parameter(k, v) for k, v in b.rates.items()]
    params += inference_parameters(config.horizon)
    outputs = tuple(Readout(o, f"{o}_p", f"{o}_m", Role.OUTPUT) for o in outs)
    return Network(
        id=f"nonlinear_{task}_inference",
        species=tuple(species),
        parameters=tuple(params),
        reactions=tuple(b.reactions),
        readouts=outputs,
        observables=output_observables(outputs),
        notes=(
            f"sbmlcrn nonlinear-{task} inference network: set x<i>_p/x<i>_m and the units "
            "that start at an input to the rails of the standardised input, simulate to t_end "
            "and read yhat_p - yhat_m."
        ),
    )
