"""Packed networks and sweep packs, without simulating (the simulations are in
tests/integration/test_packing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.cli import main
from sbmlcrn.core.expr import Const, Op, Sym
from sbmlcrn.core.network import Event, Network, Parameter, Reaction, Readout, Role, Species
from sbmlcrn.errors import InputError, NetworkError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.studies.packs import pack_size, plan_packs
from sbmlcrn.training.packing import clock_signature, copy_suffix, pack_networks, rename_expr
from sbmlcrn.training.pipeline import build_model
from tests.helpers import linear_data

DATA = linear_data(12, 2, seed=5, noise=0.1)[0]


def _network(**config: object) -> Network:
    model, _ = build_model("linear-regression", DATA, None, LinearConfig(**config), None)
    return model.circuit.network


def _below(name: str) -> Op:
    return Op("<", (Sym(name), Const(1.0)))


def _tiny(k: float, gate: Op | Const, reads: str = "idx") -> Network:
    """A one-reaction network whose event sets a gate from ``gate`` and loads ``x``."""
    return Network(
        "tiny",
        (Species("x", 0.0, Role.INPUT), Species("y_p", 0.0, Role.OUTPUT), Species("y_m")),
        (
            Parameter("k", k),
            Parameter("g", 0.0, Role.GATE, constant=False),
            Parameter("idx", 0.0, Role.CLOCK, constant=False),
            Parameter("w", 1.0, Role.RATE, constant=False),
        ),
        (Reaction("r", ("x",), ("x", "y_p"), "k", ("g",)),),
        (
            Event(
                "ev",
                Op(">=", (Sym("time"), Const(1.0))),
                (("g", gate), ("x", Op("piecewise", (Const(2.0), _below(reads), Const(3.0))))),
            ),
        ),
        (Readout("y", "y_p", "y_m", Role.OUTPUT),),
    )  # fmt: skip


def test_rename_expr_renames_only_the_given_symbols() -> None:
    expr = Op("+", (Sym("a"), Op("*", (Sym("idx"), Const(2.0)))))
    assert rename_expr(expr, {"a": "a__k1"}) == Op("+", (Sym("a__k1"), expr.args[1]))
    assert rename_expr(expr, {}) is expr


def test_pack_holds_the_clock_once_and_every_copy_renamed() -> None:
    nets = [_network(epochs=2, seed=s) for s in range(3)]
    packed = pack_networks(nets)
    one = nets[0]
    clock = [p for p in one.parameters if p.role in (Role.CLOCK, Role.GATE)]
    assert [p for p in packed.parameters if p.role in (Role.CLOCK, Role.GATE)] == clock
    own = [s.id for s in one.species if not s.id.startswith("x")]  # the inputs are shared
    assert set(packed.species_ids()) == {s.id for s in one.species if s.id.startswith("x")} | {
        f"{s}{copy_suffix(k)}" for s in own for k in range(3)
    }
    assert len(packed.reactions) == 3 * len(one.reactions)
    assert packed["fx1_p__k2"].rate == "k_fx__k2" and packed["fx1_p__k2"].gates == ("g_fwd",)
    assert [ro.name for ro in packed.readouts][: len(one.readouts)] == [
        f"{ro.name}__k0" for ro in one.readouts
    ]
    assert clock_signature(packed) == clock_signature(one)
    for ev, original in zip(packed.events, one.events, strict=True):
        assert ev.trigger == original.trigger
        targets = [t for t, _ in ev.assignments]
        assert len(targets) == len(set(targets))
        for target, _ in original.assignments:
            shared = target in {p.id for p in clock} or target.startswith("x")
            expected = [target] if shared else [f"{target}__k{k}" for k in range(3)]
            assert all(t in targets for t in expected)
    # each copy keeps its own initial parameters
    assert packed["p1_p__k1"] == Species("p1_p__k1", nets[1]["p1_p"].initial, Role.PARAMETER)


def test_inputs_are_copied_when_not_shared() -> None:
    nets = [_network(epochs=2, seed=s) for s in range(2)]
    packed = pack_networks(nets, share_inputs=False)
    assert len(packed.species) == 2 * len(nets[0].species)
    assert "x1_p__k1" in packed.species_ids() and "x1_p" not in packed.species_ids()


def test_pack_is_deterministic() -> None:
    first = to_sbml(pack_networks([_network(epochs=2, seed=s) for s in range(3)]))
    again = to_sbml(pack_networks([_network(epochs=2, seed=s) for s in range(3)]))
    assert first == again
    assert first != to_sbml(pack_networks([_network(epochs=2, seed=s) for s in (0, 2, 1)]))


@pytest.mark.parametrize(
    ("other", "names"),
    [({"epochs": 3}, "'t_end'"), ({"horizon": 0.5}, "'period'"), ({"backward": 2.0}, "'period'")],
)
def test_refuses_networks_with_different_clocks(other: dict, names: str) -> None:
    nets = [_network(epochs=2), _network(**{"epochs": 2, "seed": 1, **other})]
    with pytest.raises(NetworkError, match=f"must hold networks with one clock.*copy 1.*{names}"):
        pack_networks(nets)


def test_refuses_an_empty_list_and_different_gate_assignments() -> None:
    with pytest.raises(InputError, match="must not be empty"):
        pack_networks([])
    epoch_gate = Op("piecewise", (Const(1.0), Op("<", (Sym("idx"), Const(1.0))), Const(0.0)))
    with pytest.raises(NetworkError, match="clock and gate assignments or flags of event 'ev'"):
        pack_networks([_tiny(1.0, epoch_gate), _tiny(1.0, Const(1.0))])


def test_gate_assignments_are_kept_once_whatever_their_expression() -> None:
    epoch_gate = Op("piecewise", (Const(1.0), Op("<", (Sym("idx"), Const(1.0))), Const(0.0)))
    packed = pack_networks([_tiny(1.0, epoch_gate), _tiny(2.0, epoch_gate)])
    assert dict(packed.events[0].assignments)["g"] == epoch_gate  # once, unchanged
    assert packed.parameter("k__k1").value == 2.0 and packed.parameter("w__k0").value == 1.0
    assert "x" in packed.species_ids()  # the same load in both: one shared input
    # a load reading a copy's own parameter is the copy's own
    mine = pack_networks([_tiny(1.0, epoch_gate, reads="w"), _tiny(2.0, epoch_gate, reads="w")])
    loads = dict(mine.events[0].assignments)
    assert "x" not in loads and Sym("w__k1") in loads["x__k1"].args[1].args
    with pytest.raises(NetworkError, match="sets the clock variable 'g' from \\['w'\\]"):
        pack_networks([_tiny(1.0, Sym("w")), _tiny(1.0, Sym("w"))])


def test_plan_packs() -> None:
    seeds = [{"seed": s} for s in range(16)]
    assert plan_packs(seeds, 2, None) == [list(range(8)), list(range(8, 16))]
    assert plan_packs(seeds, 1, None) == [list(range(16))]
    assert plan_packs(seeds, 2, 1) == [[i] for i in range(16)]
    assert [len(p) for p in plan_packs(seeds[:10], 1, 8)] == [5, 5]  # near-equal packs
    grid = [{"horizon": h, "seed": s} for h in (0.5, 1.0) for s in range(3)]
    assert plan_packs(grid, 2, None) == [[0, 1, 2], [3, 4, 5]]  # one clock per pack
    assert plan_packs([{"epochs": e} for e in (1, 2, 3)], 1, None) == [[0], [1], [2]]
    assert pack_size(40, 2, None, 40) == 16  # at most MAX_AUTO_PACK
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InputError, match="The pack parameter of run_sweep must be"):
            pack_size(4, 1, bad)  # type: ignore[arg-type]


def test_cli_refuses_a_bad_pack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["sweep", "linear-regression", "--data", str(tmp_path / "d.csv"), "--grid", "seed=1"]
    argv += ["--out", str(tmp_path / "out"), "--pack"]
    assert main([*argv, "0"]) == 2
    err = capsys.readouterr().err
    assert "The --pack option of sweep must be a positive integer. Got 0 instead." in err
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "two"])
    assert exit_.value.code == 2
    assert "--pack must be a number. Got 'two'." in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
