"""The reactions of the product-unit circuits (see :mod:`sbmlcrn.circuits.products` for the
construction): the species names, the product units, the readout into the error (or the
margin), the updates and the annihilation, per batch slot.
"""

from __future__ import annotations

from collections.abc import Sequence

from sbmlcrn.circuits.common import SIGNS, catalysis, rail_product
from sbmlcrn.core.network import Reaction

__all__ = [
    "error_ids",
    "parameter_id",
    "rails_of",
    "readout_reactions",
    "slot_reactions",
    "training_reactions",
    "unit_id",
    "unit_reactions",
]

# ----------------------------------------------------------------------------- naming


def unit_id(channels: Sequence[str], pair: tuple[int, int]) -> str:
    return f"{channels[pair[0]]}_{channels[pair[1]]}"


def parameter_id(channels: Sequence[str], pair: tuple[int, int], k: int, n_out: int) -> str:
    return unit_id(channels, pair) if n_out == 1 else f"c{k + 1}_{unit_id(channels, pair)}"


# ----------------------------------------------------------------------------- reactions


def rails_of(channel: str) -> tuple[str, ...]:
    """The rails of a channel that can be non-zero (the constant has only ``p``)."""
    return ("p",) if channel == "b" else SIGNS


def unit_reactions(
    channels: Sequence[str], pairs: Sequence[tuple[int, int]], slot: str = ""
) -> list[Reaction]:
    """The product units ``h_f`` of batch slot ``slot``: ``x_i^a + x_j^b → … + h_f^(a·b)``
    (forward gate); ``slot`` ``""`` is the one sample of a per-sample network."""
    reactions = []
    for pair in pairs:
        ci, cj = channels[pair[0]], channels[pair[1]]
        uid = unit_id(channels, pair)
        xi, xj = f"x{ci}{slot}", f"x{cj}{slot}"
        for a in rails_of(ci):
            for b in rails_of(cj):
                if ci == cj and (a, b) == ("m", "p"):
                    continue  # a square's cross rails: one reaction at twice the rate
                rate = "k_h2" if ci == cj and a != b else "k_h"
                reactions.append(
                    Reaction(
                        f"h{uid}{slot}_{a}{b}",
                        (f"{xi}_{a}", f"{xj}_{b}"),
                        (f"{xi}_{a}", f"{xj}_{b}", f"h{uid}{slot}_{rail_product(a, b)}"),
                        rate,
                        ("g_fwd",),
                    )
                )
    return reactions


def readout_reactions(
    channels: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    n_out: int,
    out: Sequence[str],
    hinge: bool,
    slot: str = "",
) -> list[Reaction]:
    """Output ``k`` gains ``Σ w φ`` (from ``h``) or the margin loses it (from ``u = ℓ h``)."""
    reactions = []
    for k in range(n_out):
        for pair in pairs:
            pid = parameter_id(channels, pair, k, n_out)
            uid = unit_id(channels, pair)
            if hinge:
                reactions += catalysis(
                    f"y{pid}{slot}", f"p{pid}", f"u{k + 1}_{uid}{slot}", out[k], -1, "k_m",
                    ("g_fwd",),
                )  # fmt: skip
            else:
                reactions += catalysis(
                    f"y{pid}{slot}", f"p{pid}", f"h{uid}{slot}", out[k], +1, "k_y", ("g_fwd",)
                )
    return reactions


def error_ids(n_out: int, slot: str = "") -> list[str]:
    """The error (or margin) species of every output in batch slot ``slot``."""
    return [f"e{k + 1}{slot}" if n_out > 1 else f"e{slot}" for k in range(n_out)]


def slot_reactions(
    channels: Sequence[str], pairs: Sequence[tuple[int, int]], n_out: int, hinge: bool, slot: str
) -> list[Reaction]:
    """One batch slot's forward and backward reactions (its units, outputs and updates)."""
    errors = error_ids(n_out, slot)
    reactions = unit_reactions(channels, pairs, slot)
    if hinge:
        for k in range(n_out):
            for pair in pairs:
                uid = unit_id(channels, pair)
                u = f"u{k + 1}_{uid}{slot}"
                reactions += catalysis(u, f"t{k + 1}{slot}", f"h{uid}{slot}", u, +1, "k_u",
                                        ("g_fwd",))  # fmt: skip
    reactions += readout_reactions(channels, pairs, n_out, errors, hinge, slot)
    for k, err in enumerate(errors):
        for pair in pairs:
            pid = parameter_id(channels, pair, k, n_out)
            uid = unit_id(channels, pair)
            if hinge:  # the positive rail of the margin alone: the chemical ReLU
                u = f"u{k + 1}_{uid}{slot}"
                for b in SIGNS:
                    reactions.append(
                        Reaction(
                            f"bw{pid}{slot}_p{b}",
                            (f"{err}_p", f"{u}_{b}"),
                            (f"{err}_p", f"{u}_{b}", f"p{pid}_{b}"),
                            "k_bw",
                            ("g_bwd",),
                        )
                    )
            else:
                reactions += catalysis(
                    f"bw{pid}{slot}", err, f"h{uid}{slot}", f"p{pid}", -1, "k_bw", ("g_bwd",)
                )
        if hinge:
            reactions.append(
                Reaction(f"ann_{err}", (f"{err}_p", f"{err}_m"), (), "k_ann", ("g_bwd",))
            )
    return reactions


def training_reactions(
    channels: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    n_out: int,
    hinge: bool,
    slots: Sequence[str] = ("",),
) -> list[Reaction]:
    reactions = []
    for slot in slots:
        reactions += slot_reactions(channels, pairs, n_out, hinge, slot)
    if not hinge:  # the squared loss reads no rail alone: annihilation changes no result
        bases = [
            *(e for slot in slots for e in error_ids(n_out, slot)),
            *(f"p{parameter_id(channels, p, k, n_out)}" for k in range(n_out) for p in pairs),
        ]
        reactions += [Reaction(f"ann_{b}", (f"{b}_p", f"{b}_m"), (), "k_ann") for b in bases]
    return reactions
