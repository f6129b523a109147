"""sbmlcrn: Neural CRNs — chemical reaction networks that learn — as SBML models.

A learning task is compiled into one mass-action reaction network whose SBML events switch
between the forward and backward phases and load each training sample; simulating the model
trains it.

The public API:

- :func:`train` — train a circuit on data (CSV path, DataFrame or :class:`Dataset`);
- :func:`load_run` — read a run directory back as a :class:`TrainingRun`;
- :func:`validate` — validate an SBML file or text (a :class:`ValidationReport`);
- :func:`validate_run` — check a run directory's model.xml still learns what result.json says;
- :func:`read_csv`, :class:`Dataset`, :class:`Network`, and the errors.

The layers below are loaded on first use, so ``import sbmlcrn`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sbmlcrn._version import __version__
from sbmlcrn.errors import (
    CopasiError,
    DataError,
    InputError,
    NetworkError,
    SbmlcrnError,
    SimulationError,
    WriterError,
)

if TYPE_CHECKING:  # the names __getattr__ serves, for type checkers and IDEs
    from sbmlcrn.core.data import Dataset, read_csv
    from sbmlcrn.core.network import Network
    from sbmlcrn.training.api import train
    from sbmlcrn.training.run import TrainingRun
    from sbmlcrn.training.store import load_run
    from sbmlcrn.training.validate_run import validate_run
    from sbmlcrn.validation import ValidationReport, validate

#: Public name → the module that defines it (imported on first access, PEP 562).
_LAZY = {
    "train": "sbmlcrn.training.api",
    "load_run": "sbmlcrn.training.store",
    "TrainingRun": "sbmlcrn.training.run",
    "validate": "sbmlcrn.validation",
    "validate_run": "sbmlcrn.training.validate_run",
    "ValidationReport": "sbmlcrn.validation",
    "Network": "sbmlcrn.core.network",
    "Dataset": "sbmlcrn.core.data",
    "read_csv": "sbmlcrn.core.data",
}

__all__ = [
    "CopasiError",
    "DataError",
    "Dataset",
    "InputError",
    "Network",
    "NetworkError",
    "SbmlcrnError",
    "SimulationError",
    "TrainingRun",
    "ValidationReport",
    "WriterError",
    "__version__",
    "load_run",
    "read_csv",
    "train",
    "validate",
    "validate_run",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sbmlcrn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
