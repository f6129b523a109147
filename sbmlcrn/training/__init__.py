"""Training: one pipeline (compile → transform → write → run → check), engines, prediction,
run directories, checkpoints and progress.

The entry points are re-exported here: :func:`train`, :func:`load_run`, :func:`save_run`,
:class:`TrainingRun`, :class:`TrainedModel`, :func:`predict`.
"""

from sbmlcrn.training.engines import ENGINES
from sbmlcrn.training.model import TrainedModel, predict
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.store import load_run, save_run
from sbmlcrn.training.transforms import CLOCKS

__all__ = [
    "CLOCKS",
    "ENGINES",
    "TrainedModel",
    "TrainingRun",
    "load_run",
    "predict",
    "save_run",
    "train",
]
