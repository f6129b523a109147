"""The Antimony text works in Tellurium and learns the same parameters."""

from __future__ import annotations

import numpy as np
import pytest

from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.circuits.registry import reference_run
from sbmlcrn.io.sbml import to_antimony
from tests.helpers import linear_data


def test_tellurium_loada_reproduces_learned_parameters() -> None:
    te = pytest.importorskip("tellurium")
    data, _, _ = linear_data(15, 2, seed=4, noise=0.1)
    circuit = compile_linear("regression", data, LinearConfig(epochs=3))
    r = te.loada(to_antimony(circuit.network))
    integrator = r.getIntegrator()
    integrator.setValue("relative_tolerance", 1e-10)
    integrator.setValue("absolute_tolerance", 1e-12)
    r.simulate(0, circuit.clock.end_time, 3)
    learned = np.array(
        [r.getValue(f"[{p}]") - r.getValue(f"[{m}]") for p, m in circuit.parameter_species.values()]
    )
    ref = reference_run(circuit)
    np.testing.assert_allclose(learned, ref.theta, atol=1e-6, rtol=0)
