"""Typed errors of sbmlcrn.

Every error sbmlcrn raises on purpose derives from :class:`SbmlcrnError`, so callers can catch
one class. The command line maps :class:`InputError` (bad data, options or files given by the
user) to exit status 2 and prints ``error: <message>``; other errors are bugs or failures of the
simulation and also exit non-zero without a traceback.
"""

from __future__ import annotations

__all__ = [
    "CopasiError",
    "DataError",
    "InputError",
    "NetworkError",
    "SbmlcrnError",
    "SimulationError",
    "WriterError",
]


class SbmlcrnError(Exception):
    """Base class of every error raised by sbmlcrn."""


class InputError(SbmlcrnError, ValueError):
    """A value given by the user (an option, a file, an argument) is unusable."""


class DataError(InputError):
    """A data file or array cannot be used for training or prediction."""


class NetworkError(SbmlcrnError, ValueError):
    """A reaction network description violates one of its invariants."""


class WriterError(SbmlcrnError):
    """A network could not be written as Antimony or SBML."""


class SimulationError(SbmlcrnError, RuntimeError):
    """The simulator could not load or integrate a model."""


class CopasiError(SbmlcrnError):
    """COPASI failed: it could not import or simulate a model, crashed, or timed out."""
