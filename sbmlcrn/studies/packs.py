"""How a sweep's combinations are packed: which runs share one packed model.

:func:`plan_packs` groups the combinations of a grid that can share a phase clock and splits
each group into packs; :func:`sbmlcrn.training.packing.train_packed` trains a pack as one SBML
model holding one copy of the training network per run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sbmlcrn.errors import InputError

__all__ = [
    "MAX_AUTO_PACK",
    "PACKABLE_KEYS",
    "deliver",
    "pack_size",
    "packed_as",
    "plan_packs",
]

#: Grid keys whose values leave a circuit's schedule (its phase clock) alone: combinations
#: differing only in them are packed together. Decision: only a plan; ``train_packed``
#: compares the compiled clocks, so a run put in a pack it cannot share is simulated on its
#: own (or with its equals), never wrongly.
PACKABLE_KEYS = frozenset(
    {
        "seed",
        "lr",
        "init",
        "init_scale",
        "init_dist",
        "annihilation",
        "bias",
        "class_values",
        "augmentation",
        "standardize",
        "standardize_target",
        "degradation",
    }
)
#: Most runs an automatic pack holds.
MAX_AUTO_PACK = 16


def plan_packs(
    combos: Sequence[Mapping[str, Any]], workers: int, pack: int | None
) -> list[list[int]]:
    """The packs of a sweep: lists of combination indices, in grid order.

    Combinations that differ only in :data:`PACKABLE_KEYS` form a group; each group is split
    into near-equal packs of at most ``pack`` runs. ``pack`` None (automatic) is
    ``ceil(runs / workers)``, at most :data:`MAX_AUTO_PACK`, so that every worker gets a pack;
    ``1`` when no two combinations can share a pack.
    """
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, combo in enumerate(combos):
        key = tuple((k, repr(v)) for k, v in combo.items() if k not in PACKABLE_KEYS)
        groups.setdefault(key, []).append(i)
    size = pack_size(len(combos), workers, pack, max(map(len, groups.values())))
    packs = []
    for members in groups.values():
        n = -(-len(members) // size)  # packs of this group, of near-equal sizes
        packs += [members[j * len(members) // n : (j + 1) * len(members) // n] for j in range(n)]
    return sorted(packs)


def pack_size(runs: int, workers: int, pack: int | None, largest_group: int = 0) -> int:
    """The pack size a sweep uses: ``pack`` if given, else automatic (see :func:`plan_packs`)."""
    if pack is not None:
        if isinstance(pack, bool) or not isinstance(pack, int) or pack < 1:
            raise InputError(
                f"The pack parameter of run_sweep must be a positive integer. Got {pack!r} instead."
            )
        return pack
    if largest_group < 2:
        return 1
    return max(1, min(MAX_AUTO_PACK, -(-runs // max(1, workers)), largest_group))


def packed_as(packs: list[list[int]]) -> str:
    """How a sweep's runs are packed, for its status line."""
    if all(len(p) == 1 for p in packs):
        return ""
    return f", in {len(packs)} packed model(s) of up to {max(map(len, packs))} runs"


def deliver(
    packs: list[list[int]], done: Callable[[int, dict[str, Any]], None]
) -> Callable[[int, Any], None]:
    """``done`` for every row of job ``j``'s result (a row, or a pack's list of rows)."""

    def each_row(j: int, result: Any) -> None:
        rows = result if isinstance(result, list) else [result]
        for i, row in zip(packs[j], rows, strict=True):
            done(i, row)

    return each_row
