"""Checkpoints of a training simulation, so that an interrupted run can be resumed.

:func:`simulate_checkpointed` runs exactly the RoadRunner calls of
:func:`sbmlcrn.simulate.simulate` (same loader, tolerances, output grid, segments split at the
epoch breakpoints and Adams-then-BDF fallback) and, after every segment, stores the model's
complete state in a checkpoint directory: the time, every floating species' amount, every
global parameter's value (the gates, ``step``, ``idx`` and the ``t_<phase>`` trigger times the
clock's events changed), the sampled rows and which integrator was used. A later call with the
same model continues from the last stored segment on a fresh RoadRunner instance with that state
restored; RoadRunner restarts CVODE at every segment anyway, so the resumed trajectory is the
uninterrupted one (measured: bit-identical parameters).

Files (all written to a temporary name and renamed, so a checkpoint is never half-written):

``state.npz``
    The state after the last completed segment (no pickles; read with ``allow_pickle=False``).
``rows-NNNNN.npy``
    The rows sampled in segment ``NNNNN``.

Decision: the rows are stored per segment rather than rewritten in full each time, so the
cost of checkpointing grows linearly with the run, not quadratically.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from sbmlcrn.errors import InputError, SimulationError
from sbmlcrn.simulate import (
    SegmentProgress,
    SimulationResult,
    Tolerances,
    _runner,
    _segment_bounds,
    collect_result,
    configure_cvode,
    integrate_segments,
)

__all__ = [
    "CheckpointStore",
    "checkpoint_dir",
    "simulate_checkpointed",
]

_FORMAT = 1


def checkpoint_dir(out: str | os.PathLike[str]) -> Path:
    """Where the checkpoint of a run writing to ``out`` lives: the hidden sibling
    ``.<name>.checkpoint`` (never inside ``out``, which is written only when the run ends)."""
    target = Path(out).resolve()
    return target.parent / f".{target.name}.checkpoint"


@dataclass(frozen=True)
class _State:
    segment: int
    time: float
    stiff: bool
    species: tuple[str, ...]
    amounts: np.ndarray
    parameters: tuple[str, ...]
    values: np.ndarray


class CheckpointStore:
    """A directory holding the checkpoint of one training simulation.

    Parameters
    ----------
    path
        The directory (created when the first checkpoint is written).
    resume
        If true, :func:`simulate_checkpointed` continues from the stored state (which must
        exist and belong to the same model); otherwise any stored state is discarded and the
        run starts at t = 0.
    """

    def __init__(self, path: str | os.PathLike[str], *, resume: bool = False) -> None:
        self.path = Path(path)
        self.resume = resume
        self.completed: int = 0  # segments stored (set while simulating)
        self.total: int = 0
        self.failed_write: str | None = None
        #: a command line stored as ``command.json`` with the first state (for ``--resume``)
        self.command: list[str] | None = None
        self._command_written = False

    # ---------------------------------------------------------------- files

    def _write_atomic(self, name: str, write: Callable[[Path], None]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=self.path)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            write(tmp)
            os.replace(tmp, self.path / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def write_json(self, name: str, data: object) -> None:
        """Write ``data`` as JSON file ``name`` in the directory, atomically."""
        text = json.dumps(data, indent=2) + "\n"
        self._write_atomic(name, lambda p: p.write_text(text, encoding="utf-8"))

    def read_json(self, name: str) -> object:
        """The JSON file ``name`` of the directory; InputError if missing or corrupt."""
        path = self.path / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{self.path}: holds no checkpoint ({name} is missing).") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{path}: is not a valid checkpoint file ({exc}).") from None

    def clear(self) -> None:
        """Remove the checkpoint directory and everything in it."""
        shutil.rmtree(self.path, ignore_errors=True)

    def exists(self) -> bool:
        """Whether a simulation state is stored."""
        return (self.path / "state.npz").is_file()

    def _save(self, key: str, state: _State, rows: np.ndarray) -> None:
        def rows_writer(p: Path) -> None:
            with p.open("wb") as fh:
                np.save(fh, rows, allow_pickle=False)

        def state_writer(p: Path) -> None:
            meta = {
                "format": _FORMAT,
                "key": key,
                "segment": state.segment,
                "total": self.total,
                "time": state.time,
                "stiff": state.stiff,
                "species": list(state.species),
                "parameters": list(state.parameters),
            }
            with p.open("wb") as fh:
                np.savez(
                    fh,
                    meta=np.array(json.dumps(meta)),
                    amounts=state.amounts,
                    values=state.values,
                )

        if self.command is not None and not self._command_written:
            self.write_json("command.json", self.command)
            self._command_written = True
        self._write_atomic(f"rows-{state.segment:05d}.npy", rows_writer)
        self._write_atomic("state.npz", state_writer)  # last: it makes the segment count
        self.completed = state.segment + 1

    def _load_state(self, key: str) -> tuple[_State, list[np.ndarray]]:
        path = self.path / "state.npz"
        if not path.is_file():
            raise InputError(
                f"{self.path}: holds no checkpoint to resume from; run the same command "
                "without --resume."
            )
        try:
            with np.load(path, allow_pickle=False) as npz:
                meta = json.loads(str(npz["meta"]))
                amounts = np.array(npz["amounts"], dtype=float)
                values = np.array(npz["values"], dtype=float)
            if meta.get("format") != _FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, expected {_FORMAT}")
            state = _State(
                segment=int(meta["segment"]),
                time=float(meta["time"]),
                stiff=bool(meta["stiff"]),
                species=tuple(map(str, meta["species"])),
                amounts=amounts,
                parameters=tuple(map(str, meta["parameters"])),
                values=values,
            )
            if meta["key"] != key:
                raise InputError(
                    f"{self.path}: the checkpoint belongs to another training model (other "
                    "data, circuit or options); rerun the interrupted command unchanged with "
                    "--resume, or start afresh without --resume."
                )
            if (
                amounts.shape != (len(state.species),)
                or values.shape != (len(state.parameters),)
                or not np.all(np.isfinite(amounts))
                or not np.all(np.isfinite(values))
                or state.segment < 0
            ):
                raise ValueError("inconsistent state arrays")
            pieces = []
            for k in range(state.segment + 1):
                rows = np.load(self.path / f"rows-{k:05d}.npy", allow_pickle=False)
                if rows.ndim != 2 or rows.dtype != np.float64:
                    raise ValueError(f"rows-{k:05d}.npy is not a table of numbers")
                pieces.append(rows)
        except InputError:
            raise
        except Exception as exc:  # whatever a damaged or hostile file makes numpy raise
            raise InputError(
                f"{self.path}: the checkpoint is damaged ({exc}); start afresh without --resume."
            ) from None
        return state, pieces


def _key(
    sbml: str, grid: np.ndarray, selections: Sequence[str], tol: Tolerances, bounds: list[int]
) -> str:
    h = hashlib.sha256()
    h.update(sbml.encode("utf-8"))
    h.update(np.ascontiguousarray(grid, dtype=float).tobytes())
    h.update(json.dumps([list(selections), bounds, tol.relative, tol.absolute]).encode())
    h.update(json.dumps([tol.max_steps, tol.stiff]).encode())
    return h.hexdigest()


def simulate_checkpointed(
    sbml: str,
    times: Sequence[float] | np.ndarray,
    *,
    store: CheckpointStore,
    species: Sequence[str] | None = None,
    tolerances: Tolerances | None = None,
    breakpoints: Sequence[float] = (),
    progress: SegmentProgress | None = None,
) -> SimulationResult:
    """:func:`sbmlcrn.simulate.simulate`, storing the state in ``store`` after every segment.

    With ``store.resume`` the run continues after the last stored segment (InputError if the
    store holds no checkpoint or one of another model). A failed checkpoint write (a full
    disk) does not stop the simulation: it is recorded in ``store.failed_write`` and no
    further checkpoint is attempted.
    """
    tol = tolerances or Tolerances()
    grid, bounds = _segment_bounds(times, breakpoints)
    store.total = len(bounds) - 1
    messages: list[str] = []
    resumed: tuple[_State, list[np.ndarray]] | None = None

    def run(stiff: bool) -> SimulationResult:
        with _runner(sbml) as rr:
            configure_cvode(rr, tol, stiff)
            model = rr.model
            ids = list(species) if species is not None else list(model.getFloatingSpeciesIds())
            selections = ["time", *(f"[{s}]" for s in ids)]
            key = _key(sbml, grid, selections, tol, bounds)
            done: list[np.ndarray] = []
            first = 0
            if resumed is not None:
                state, done = resumed
                if (
                    tuple(model.getFloatingSpeciesIds()) != state.species
                    or tuple(model.getGlobalParameterIds()) != state.parameters
                ):
                    raise InputError(f"{store.path}: the checkpoint does not match the model.")
                model.setTime(state.time)
                model.setFloatingSpeciesAmounts(state.amounts)
                model.setGlobalParameterValues(state.values)
                first = state.segment + 1

            def after(k: int, rr: Any, piece: np.ndarray) -> None:
                if store.failed_write is None:
                    model = rr.model
                    state = _State(
                        segment=k,
                        time=float(model.getTime()),
                        stiff=stiff,
                        species=tuple(model.getFloatingSpeciesIds()),
                        amounts=np.array(model.getFloatingSpeciesAmounts(), dtype=float),
                        parameters=tuple(model.getGlobalParameterIds()),
                        values=np.array(model.getGlobalParameterValues(), dtype=float),
                    )
                    rows = piece if k == 0 else piece[1:]
                    try:
                        store._save(key, state, np.asarray(rows, dtype=float))
                    except OSError as exc:
                        store.failed_write = f"{exc.strerror or exc}: {exc.filename or store.path}"
                if progress is not None:
                    cols = {"time": piece[:, 0], **{s: piece[:, j] for j, s in enumerate(ids, 1)}}
                    progress(float(piece[-1, 0]), float(grid[-1]), MappingProxyType(cols))

            pieces = integrate_segments(
                rr, grid, bounds, selections, messages, first=first, after=after
            )
            return collect_result(rr, ids, grid, [*done, *pieces], messages)

    if store.resume:
        if species is not None:
            ids = list(species)
        else:
            with _runner(sbml) as rr:
                ids = list(rr.model.getFloatingSpeciesIds())
        key = _key(sbml, grid, ["time", *(f"[{s}]" for s in ids)], tol, bounds)
        resumed = store._load_state(key)
        store.completed = resumed[0].segment + 1
        stiff_first = resumed[0].stiff
    else:
        with contextlib.suppress(OSError):
            for old in (*store.path.glob("rows-*.npy"), store.path / "state.npz"):
                old.unlink(missing_ok=True)
        stiff_first = bool(tol.stiff) if tol.stiff is not None else False
    if tol.stiff is None and not stiff_first:
        try:
            return run(False)
        except SimulationError:
            messages.clear()
            resumed = None  # as the uninterrupted run: BDF from t = 0
            return run(True)
    return run(stiff_first)
