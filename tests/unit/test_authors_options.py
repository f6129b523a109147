"""The options that run the authors' circuits: checked on construction, resolved as documented."""

from __future__ import annotations

import numpy as np
import pytest

from sbmlcrn.circuits.nonlinear import NonlinearConfig, compile_nonlinear
from sbmlcrn.core.data import make_task
from sbmlcrn.errors import InputError


def test_linapprox_needs_the_per_rail_square() -> None:
    with pytest.raises(InputError, match="--square per-rail"):
        NonlinearConfig(gradient="linapprox")
    NonlinearConfig(gradient="linapprox", square="per-rail")  # accepted


def test_per_rail_square_is_quadratic_only() -> None:
    with pytest.raises(InputError, match="quadratic term"):
        NonlinearConfig(square="per-rail", nonlinearity="cubic")


@pytest.mark.parametrize("bad", ["uniform", "", None])
def test_init_dist_is_checked(bad: object) -> None:
    with pytest.raises(InputError, match="--init-dist"):
        NonlinearConfig(init_dist=bad)  # type: ignore[arg-type]


def test_half_normal_draws_are_the_absolute_values_of_the_normal_ones() -> None:
    data = make_task("xor", 0, n_train=6).train
    normal = compile_nonlinear("classification", data, NonlinearConfig(init_scale=0.5, seed=3))
    folded = compile_nonlinear(
        "classification", data, NonlinearConfig(init_scale=0.5, seed=3, init_dist="half-normal")
    )
    np.testing.assert_array_equal(np.abs(normal.theta0), folded.theta0)
    assert np.any(np.asarray(normal.theta0) < 0)


def test_linapprox_runs_the_backward_unscaled_for_its_time() -> None:
    """The linapprox backward runs for T_b at unit rates (not rescaled to [0, T]) and has no
    reversal of the square."""
    data = make_task("xor", 0, n_train=6).train
    cfg = NonlinearConfig(
        gradient="linapprox", square="per-rail", horizon=0.4, backward=2.0, lr=0.5,
        degradation=0.15,
    )  # fmt: skip
    net = compile_nonlinear("classification", data, cfg).network
    rates = {p.id: p.value for p in net.parameters}
    assert rates["k_rc"] == 1.0  # z reversed by −θx̃ at rate 1 …
    assert rates["k_aw"] == pytest.approx(0.3)  # … the adjoint decays by 2α|z| = 0.3|z| …
    assert rates["k_up"] == 0.5  # … and θ moves by −η e w
    assert not [r for r in net.reactions if r.id.startswith("rd")]  # no reversal of −α z|z|
    assert net.events[1].id == "ev_bwd"


def test_rail_predict_approaches_the_ideal_odd_square_with_fast_annihilation() -> None:
    from sbmlcrn.reference import RailModel

    data = make_task("xor", 0, n_train=6).train
    cfg = NonlinearConfig(square="per-rail", init_scale=1.0, degradation=0.5)
    circuit = compile_nonlinear("classification", data, cfg)
    model = circuit.model()
    ideal = model.predict(circuit.theta0, circuit.inputs)
    gaps = []
    for k_ann in (1.0, 100.0, 10_000.0):
        rails = RailModel(model, k_ann, 1.0, 0.1)
        gaps.append(float(np.max(np.abs(rails.predict(circuit.theta0, circuit.inputs) - ideal))))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-3
