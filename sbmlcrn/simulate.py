"""The RoadRunner adapter: the only module of sbmlcrn that imports ``roadrunner``.

:func:`simulate` loads SBML text with the LLJIT backend (it compiles large models several
times faster than MCJIT), integrates it with CVODE at the requested tolerances and returns an
immutable :class:`SimulationResult`. Failures of loading or integrating are raised as
:class:`~sbmlcrn.errors.SimulationError`.

A fresh RoadRunner instance is made for every call: ``reset()`` keeps parameters that events
changed, so reusing an instance would silently start a second run from the first one's gates
and clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .errors import SimulationError

__all__ = ["SimulationResult", "Tolerances", "roadrunner_version", "simulate"]


@dataclass(frozen=True)
class Tolerances:
    """CVODE settings; the defaults are tight enough for the exactness tests (≤ 1e-6)."""

    relative: float = 1e-10
    absolute: float = 1e-12
    max_steps: int = 200_000
    stiff: bool = True

    def __post_init__(self) -> None:
        for name in ("relative", "absolute"):
            value = getattr(self, name)
            if not (isinstance(value, float | int) and 0 < value < 1):
                raise SimulationError(
                    f"The {name} parameter of Tolerances must be in (0, 1). Got {value!r} instead."
                )
        if self.max_steps < 1:
            raise SimulationError(
                f"The max_steps parameter of Tolerances must be >= 1. Got {self.max_steps!r}."
            )


@dataclass(frozen=True)
class SimulationResult:
    """Sampled trajectories and the final state of one simulation.

    Attributes
    ----------
    times
        Output times (read-only array).
    columns
        Read-only mapping from species id to its sampled concentrations (aligned with ``times``).
    final
        Read-only mapping from every species and parameter id to its value at the end time.
    """

    times: np.ndarray
    columns: Mapping[str, np.ndarray]
    final: Mapping[str, float]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.columns[key]


def roadrunner_version() -> str:
    """Version string of the installed libRoadRunner."""
    import roadrunner

    return str(roadrunner.__version__)


def _load(sbml: str):  # noqa: ANN202 - returns a roadrunner.RoadRunner
    import roadrunner

    roadrunner.Config.setValue(roadrunner.Config.LLVM_BACKEND, roadrunner.Config.LLJIT)
    roadrunner.Logger.setLevel(roadrunner.Logger.LOG_ERROR)
    try:
        return roadrunner.RoadRunner(sbml)
    except Exception as exc:  # roadrunner raises plain RuntimeError with the libSBML text
        raise SimulationError(f"RoadRunner could not load the model: {exc}") from exc


def simulate(
    sbml: str,
    times: Sequence[float] | np.ndarray,
    *,
    species: Sequence[str] | None = None,
    tolerances: Tolerances | None = None,
) -> SimulationResult:
    """Simulate SBML text from t = 0 and sample it at ``times``.

    Parameters
    ----------
    sbml
        An SBML document as text.
    times
        Increasing output times; the first must be 0 and the last is the end time.
    species
        Species ids to sample (default: every floating species).
    tolerances
        Integrator settings (default :class:`Tolerances`).

    Returns
    -------
    SimulationResult
        Trajectories at ``times`` and the final values of all species and global parameters.

    Raises
    ------
    SimulationError
        If the model cannot be loaded or CVODE fails (convergence, too many steps).
    """
    tol = tolerances or Tolerances()
    grid = np.asarray(times, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or grid[0] != 0.0 or np.any(np.diff(grid) <= 0):
        raise SimulationError(
            "The times parameter of simulate must be increasing, start at 0 and have 2 or more "
            f"points. Got {grid.size} points instead."
        )
    rr = _load(sbml)
    integrator = rr.getIntegrator()
    integrator.setValue("relative_tolerance", float(tol.relative))
    integrator.setValue("absolute_tolerance", float(tol.absolute))
    integrator.setValue("maximum_num_steps", int(tol.max_steps))
    integrator.setValue("stiff", bool(tol.stiff))
    ids = list(species) if species is not None else list(rr.model.getFloatingSpeciesIds())
    selections = ["time", *(f"[{s}]" for s in ids)]
    try:
        out = rr.simulate(times=grid, selections=selections)
    except Exception as exc:
        raise SimulationError(f"RoadRunner failed to integrate the model: {exc}") from exc
    data = np.array(out, dtype=float)
    if data.shape != (grid.size, len(selections)) or not np.all(np.isfinite(data)):
        raise SimulationError("RoadRunner returned a non-finite or incomplete trajectory.")
    cols = {}
    for j, sid in enumerate(ids, start=1):
        col = data[:, j].copy()
        col.setflags(write=False)
        cols[sid] = col
    final: dict[str, float] = {}
    for sid in rr.model.getFloatingSpeciesIds():
        final[sid] = float(rr.getValue(f"[{sid}]"))
    for pid in rr.model.getGlobalParameterIds():
        final[pid] = float(rr.getValue(pid))
    t = data[:, 0].copy()
    t.setflags(write=False)
    return SimulationResult(
        times=t, columns=MappingProxyType(cols), final=MappingProxyType(final)
    )
