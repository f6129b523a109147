"""Gillespie runs of a whole model, events included (RoadRunner's direct-method SSA)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sbmlcrn.errors import SimulationError
from sbmlcrn.simulate._runner import captured_output, runner

__all__ = ["simulate_gillespie"]


def simulate_gillespie(
    sbml: str,
    end_time: float,
    *,
    selections: Sequence[str],
    seed: int = 0,
    variable_step: bool = True,
    max_rows: int = 50_000_000,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Run a whole model (events included) with RoadRunner's Gillespie integrator.

    With ``variable_step`` (default) there is one output row per reaction firing, so the time
    at which an event's assignments first appear is the time RoadRunner applied them;
    otherwise only the start and end rows.

    Parameters
    ----------
    sbml
        An SBML document as text (amounts in whole molecules).
    end_time
        The run goes from t = 0 to ``end_time``.
    selections
        RoadRunner selections recorded in every row (e.g. ``"time"``, ``"S1"``).
    seed
        Seed of the integrator's random stream.
    variable_step
        One row per reaction firing (True) or only the start and end rows.
    max_rows
        The most rows RoadRunner may record.

    Returns
    -------
    tuple[numpy.ndarray, tuple[str, ...]]
        The ``rows × len(selections)`` array and RoadRunner's messages (it warns that time
        events are imprecise under Gillespie).

    Raises
    ------
    SimulationError
        If the model cannot be loaded or the run fails.
    """
    messages: list[str] = []
    with runner(sbml, cache=False) as rr:
        rr.setIntegrator("gillespie")
        integrator = rr.getIntegrator()
        integrator.setValue("variable_step_size", bool(variable_step))
        integrator.setValue("seed", int(seed))
        integrator.setValue("max_output_rows", int(max_rows))
        rr.timeCourseSelections = list(selections)
        try:
            with captured_output(messages):
                if variable_step:
                    out = np.array(rr.simulate(0.0, float(end_time)))
                else:
                    out = np.array(rr.simulate(0.0, float(end_time), 2))
        except Exception as exc:
            raise SimulationError(f"RoadRunner's Gillespie run failed: {exc}") from exc
        return out, tuple(messages)
