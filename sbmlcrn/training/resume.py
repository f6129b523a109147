"""A training run that can be resumed: its checkpoint's lifecycle around train and save.

:class:`CheckpointedRun` wraps :func:`sbmlcrn.training.pipeline.train` and
:func:`sbmlcrn.training.store.save_run` for a run writing to one output directory. The
simulation stores its state after every epoch in the hidden sibling ``.<out>.checkpoint``
(:func:`sbmlcrn.training.checkpoint.checkpoint_dir`), with the command line that started it.
The checkpoint is removed once the run is saved, or once it has failed for good (a simulation
or input error: the same run would fail the same way), and kept after Ctrl-C or an OS error (a
full disk), so that a later run with ``resume`` continues it. An input error of a resumed run
(e.g. a checkpoint of another model) keeps it too: the right command can still resume it.

One owner per output directory: :meth:`CheckpointedRun.train` takes the lock of ``out``
(:func:`sbmlcrn.io.outlock.acquire_output_lock`, ``flock`` on ``.<out>.lock`` beside it) and
holds it until the run is saved or has failed, so a second run to the same ``out`` is refused
at once (naming the holder's pid and start time) and never shares the checkpoint; a resume
whose command differs from the checkpoint's ``command.json`` is refused too.

Stochastic and chemical-clock runs keep no checkpoint (``checkpoint=False``): they are trained
and saved as they are, and cannot be resumed.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sbmlcrn.core.data import Dataset, read_csv
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.io.outlock import acquire_output_lock, release_output_lock
from sbmlcrn.training.checkpoint import CheckpointStore, checkpoint_dir
from sbmlcrn.training.limits import MAX_TRAINING_ROWS
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.store import save_run

__all__ = ["CheckpointedRun", "TrainingInterrupted"]


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during a checkpointed training run, and what the checkpoint kept.

    Attributes
    ----------
    completed, total
        Epochs simulated and stored in the checkpoint, and epochs of the run; both None when
        the run was interrupted before the first epoch was stored (nothing was kept).
    """

    def __init__(self, completed: int | None = None, total: int | None = None) -> None:
        super().__init__()
        self.completed = completed
        self.total = total

    @property
    def resumable(self) -> bool:
        """Whether the checkpoint was kept, so that the run can be resumed."""
        return self.completed is not None


class CheckpointedRun:
    """The checkpoint lifecycle of one training run writing to ``out``.

    Parameters
    ----------
    out
        The run directory to write.
    resume
        The output directory of the interrupted run to continue (it must be ``out``), or None
        to start afresh (discarding any checkpoint of ``out``).
    command
        The command line to store with the first checkpoint (for a resume by directory alone).
    checkpoint
        False for runs that keep no checkpoint (stochastic and chemical-clock runs): then
        :meth:`train` and :meth:`save` are plain ``train`` and ``save_run``, and
        :meth:`read_data` reads without a row limit.

    Raises
    ------
    InputError
        ``resume`` is given for a run without checkpoint, or differs from ``out``.
    """

    def __init__(
        self,
        out: str | os.PathLike[str],
        *,
        resume: str | os.PathLike[str] | None = None,
        command: Sequence[str] | None = None,
        checkpoint: bool = True,
    ) -> None:
        if resume is not None:
            if not checkpoint:
                raise InputError(
                    "--resume continues deterministic runs with the event clock; --stochastic, "
                    "--molecules and --clock chemical runs cannot be resumed."
                )
            if Path(resume).resolve() != Path(out).resolve():
                raise InputError(
                    f"--resume {resume} and --out {out} differ; --resume takes the --out "
                    "of the interrupted run."
                )
        self.out = out
        self.enabled = checkpoint
        self.store = CheckpointStore(checkpoint_dir(out), resume=resume is not None)
        if command is not None:
            self.store.command = list(command)
        self._owned: Path | None = None  # ``out`` resolved while its lock is held

    def claim(self) -> None:
        """Take the lock of ``out`` (done by :meth:`train`; nothing if already held).

        Raises
        ------
        InputError
            Another run holds it (the message names its pid and start time).
        """
        if self._owned is None:
            self._owned = acquire_output_lock(self.out)

    def release(self) -> None:
        """Release the lock of ``out`` (done when the run is saved or fails)."""
        owned, self._owned = self._owned, None
        if owned is not None:
            release_output_lock(owned)

    @property
    def path(self) -> Path:
        """The checkpoint directory."""
        return self.store.path

    @property
    def resuming(self) -> bool:
        """Whether the run continues from a stored checkpoint."""
        return self.enabled and self.store.resume

    def read_data(self, path: str | os.PathLike[str], *, target: str = "y") -> Dataset:
        """The training data (at least 2 rows), read with the row limit of one model
        (:data:`sbmlcrn.training.limits.MAX_TRAINING_ROWS`) when the run is checkpointed."""
        if not self.enabled:
            return read_csv(path, target=target, min_rows=2)
        return read_csv(path, target=target, min_rows=2, max_rows=MAX_TRAINING_ROWS)

    def train(self, circuit: str, data: Any, **options: Any) -> TrainingRun:
        """:func:`sbmlcrn.training.pipeline.train` with the checkpoint, holding the lock of
        ``out`` (released if training fails; otherwise by :meth:`save`).

        Raises
        ------
        InputError
            Another run holds the lock of ``out``.
        TrainingInterrupted
            Ctrl-C (checkpointed runs; the checkpoint is kept if an epoch was stored).
        SbmlcrnError
            As ``train``; the checkpoint is removed (kept on an input error of a resumed run).
        """
        self.claim()
        try:
            return self._train(circuit, data, **options)
        except BaseException:
            self.release()
            raise

    def _train(self, circuit: str, data: Any, **options: Any) -> TrainingRun:
        if not self.enabled:
            return train(circuit, data, **options)
        store = self.store
        try:
            return train(circuit, data, checkpoint=store, **options)
        except KeyboardInterrupt:
            if not store.exists():
                store.clear()
                raise TrainingInterrupted() from None
            raise TrainingInterrupted(store.completed, store.total) from None
        except SbmlcrnError as exc:
            if not (store.resume and isinstance(exc, InputError)):
                store.clear()  # the same run would fail the same way: nothing to resume
            raise

    def save(self, run: TrainingRun, **options: Any) -> Path:
        """:func:`sbmlcrn.training.store.save_run` to ``out``, then remove the checkpoint;
        the lock of ``out`` is released in any case."""
        try:
            self.claim()
            target = save_run(run, self.out, **options)
            if self.enabled:
                self.store.clear()
        finally:
            self.release()
        return target
