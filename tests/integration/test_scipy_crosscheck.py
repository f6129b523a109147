"""RoadRunner vs scipy on one phase of a training network: catches writer bugs.

The scipy side integrates the rate equations built from the :class:`Network` object directly
(not from any SBML or Antimony text), so a wrong kinetic law, stoichiometry or unit in the
writers shows up as a disagreement.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from sbmlcrn.circuits.linear import LinearConfig, compile_linear, rails
from sbmlcrn.core.network import Parameter, Role, Species
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import simulate
from tests.helpers import linear_data, mass_action_rhs


@pytest.mark.parametrize("phase", ["forward", "backward"])
def test_one_phase_matches_scipy(phase: str) -> None:
    data, _, _ = linear_data(10, 3, seed=7)
    compiled = compile_linear("regression", data, LinearConfig(horizon=0.7, lr=0.2, bias=0.3))
    net = compiled.network
    gates = {
        "g_fwd": 1.0 if phase == "forward" else 0.0,
        "g_bwd": 1.0 if phase == "backward" else 0.0,
    }
    # Load sample 4 by hand; in the backward phase the error species holds a signed value.
    x = compiled.inputs[4]
    init: dict[str, float] = {}
    for j, v in enumerate(x[:-1], start=1):
        init[f"x{j}_p"], init[f"x{j}_m"] = rails(v)
    init["e_p"], init["e_m"] = (1.3, 0.4) if phase == "backward" else rails(-compiled.targets[4])
    species = tuple(replace(s, initial=init.get(s.id, s.initial)) for s in net.species)
    params = tuple(
        Parameter(p.id, gates[p.id], Role.GATE) if p.id in gates else p
        for p in net.parameters
        if p.role is not Role.CLOCK
    )
    one_phase = replace(net, species=species, parameters=params, events=())
    times = np.linspace(0.0, 0.7, 8)
    rr = simulate(to_sbml(one_phase), times)
    ids, rhs = mass_action_rhs(one_phase, gates)
    y0 = np.array([s.initial for s in species])
    sol = solve_ivp(rhs, (0.0, 0.7), y0, method="LSODA", t_eval=times, rtol=1e-11, atol=1e-13)
    assert sol.success
    for i, sid in enumerate(ids):
        np.testing.assert_allclose(rr[sid], sol.y[i], rtol=1e-7, atol=1e-9, err_msg=sid)
    assert isinstance(species[0], Species)
