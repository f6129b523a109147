"""sbmlcrn: Neural CRNs — chemical reaction networks that learn — as SBML models.

A learning task is compiled into one mass-action reaction network whose SBML events switch
between the forward and backward phases and load each training sample; simulating the model
trains it. See the README for the command line, and :func:`sbmlcrn.train` for the
API.
"""

from __future__ import annotations

from sbmlcrn._version import __version__
from sbmlcrn.errors import (
    DataError,
    InputError,
    NetworkError,
    SbmlcrnError,
    SimulationError,
    WriterError,
)

__all__ = [
    "DataError",
    "InputError",
    "NetworkError",
    "SbmlcrnError",
    "SimulationError",
    "WriterError",
    "__version__",
]
