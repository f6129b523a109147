"""Checkpoints of a training simulation, so that an interrupted run can be resumed.

:func:`simulate_checkpointed` runs :func:`sbmlcrn.simulate.simulate_segments` (the RoadRunner
calls of :func:`sbmlcrn.simulate.simulate`: same loader, tolerances, output grid, segments split
at the epoch breakpoints and Adams-then-BDF fallback) and, after every segment, stores the
model's complete state (:class:`~sbmlcrn.simulate.SegmentState`, plain values) in a checkpoint
directory: the time, every floating species' amount, every global parameter's value (the gates,
``step``, ``idx`` and the ``t_<phase>`` trigger times the clock's events changed), the sampled
rows and which integrator was used. A later call with the same model hands the last stored
state back to ``simulate_segments``, which continues on a fresh RoadRunner instance with that
state restored; RoadRunner restarts CVODE at every segment anyway, so the resumed trajectory is
the uninterrupted one (measured: bit-identical parameters).

Files (all written to a temporary name and renamed, so a checkpoint is never half-written):

``state.npz``
    The state after the last completed segment (no pickles; read with ``allow_pickle=False``).
``rows-NNNNN.npy``
    The rows sampled in segment ``NNNNN``.
``command.json``
    The command line of the run (a JSON list of strings), written with the first state. A
    resume whose command differs (display options aside) is refused, so two runs never mix;
    a fresh run removes it with the old state. It is read with size and depth limits: any
    defect is ``… is not a valid run record (…)``.

Decision: the rows are stored per segment rather than rewritten in full each time, so the
cost of checkpointing grows linearly with the run, not quadratically.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sbmlcrn.errors import InputError
from sbmlcrn.io.atomic import write_atomic
from sbmlcrn.simulate import (
    SegmentProgress,
    SegmentState,
    SimulationResult,
    Tolerances,
    model_ids,
    segment_bounds,
    simulate_segments,
)

__all__ = [
    "CheckpointStore",
    "checkpoint_dir",
    "saved_command",
    "simulate_checkpointed",
]

_FORMAT = 1
_MAX_COMMAND_BYTES = 2**20  # a larger command.json is not a command line
_MAX_ARGS = 10_000
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_DISPLAY = ("--quiet",)  # options that change what is shown, not what is computed


def _comparable(command: Sequence[str]) -> list[str]:
    """``command`` without its display options (``--quiet``, ``--progress [MODE]``)."""
    out: list[str] = []
    skip = False
    for arg in command:
        if skip:
            skip = False
        elif arg == "--progress":
            skip = True
        elif arg not in _DISPLAY and not arg.startswith("--progress="):
            out.append(arg)
    return out


def _parse_command(raw: bytes, where: Path) -> list[str]:
    """The command line in the bytes of ``command.json``, checked before and after parsing."""

    def bad(what: str) -> InputError:
        return InputError(f"{where}: is not a valid run record ({what}).")

    if len(raw) > _MAX_COMMAND_BYTES:
        raise bad(f"larger than {_MAX_COMMAND_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise bad(f"not UTF-8: {exc.reason}") from None
    depth = 0
    for bracket in re.findall(r"[\[\]{}]", _STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > 1:
            raise bad("it nests deeper than a list of strings")
    try:
        saved = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise bad(f"not JSON: {exc}") from None
    if not isinstance(saved, list) or not saved:
        raise bad("it must be a non-empty list of strings")
    if len(saved) > _MAX_ARGS or not all(isinstance(a, str) for a in saved):
        raise bad(f"it must be a list of at most {_MAX_ARGS} strings")
    return saved


def checkpoint_dir(out: str | os.PathLike[str]) -> Path:
    """Where the checkpoint of a run writing to ``out`` lives: the hidden sibling
    ``.<name>.checkpoint`` (never inside ``out``, which is written only when the run ends)."""
    target = Path(out).resolve()
    return target.parent / f".{target.name}.checkpoint"


def saved_command(out: str | os.PathLike[str]) -> list[str]:
    """The command line of the interrupted run that was writing to ``out``.

    Parameters
    ----------
    out
        The run directory the interrupted run was writing (its checkpoint is
        :func:`checkpoint_dir` of it).

    Returns
    -------
    list of str
        The stored command line (path options absolute, without ``--resume``).

    Raises
    ------
    InputError
        No checkpoint with a command line exists for ``out``, or it is damaged.
    """
    return CheckpointStore(checkpoint_dir(out)).read_command()


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

    def write_json(self, name: str, data: object) -> None:
        """Write ``data`` as JSON file ``name`` in the directory, atomically."""
        write_atomic(self.path / name, json.dumps(data, indent=2) + "\n")

    def read_json(self, name: str) -> object:
        """The JSON file ``name`` of the directory; InputError if missing or corrupt."""
        path = self.path / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{self.path}: holds no checkpoint ({name} is missing).") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(f"{path}: is not a valid checkpoint file ({exc}).") from None

    def read_command(self) -> list[str]:
        """The command line stored as ``command.json`` (for ``--resume DIR`` alone).

        Raises
        ------
        InputError
            ``command.json`` is missing, unreadable, larger than 1 MiB, nested, or not a
            non-empty list of strings (``… is not a valid run record (…)``).
        """
        path = self.path / "command.json"
        try:
            with path.open("rb") as fh:
                raw = fh.read(_MAX_COMMAND_BYTES + 1)
        except FileNotFoundError:
            raise InputError(
                f"{self.path}: holds no checkpoint (command.json is missing)."
            ) from None
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
        return _parse_command(raw, path)

    def check_command(self) -> None:
        """Refuse to resume a checkpoint stored by another command line.

        The saved ``command.json`` and :attr:`command` are compared without their display
        options; nothing is compared when either is missing (runs of the library store none).

        Raises
        ------
        InputError
            The commands differ, or ``command.json`` is damaged.
        """
        if self.command is None or not (self.path / "command.json").exists():
            return
        saved = self.read_command()
        if _comparable(saved) != _comparable(self.command):
            raise InputError(
                f"{self.path}: the checkpoint was stored by another command "
                f"({' '.join(saved)[:300]}); rerun that command with --resume, or start "
                "afresh without --resume."
            )
        self._command_written = True  # it is the stored one

    def clear(self) -> None:
        """Remove the checkpoint directory and everything in it."""
        shutil.rmtree(self.path, ignore_errors=True)

    def exists(self) -> bool:
        """Whether a simulation state is stored."""
        return (self.path / "state.npz").is_file()

    def _save(self, key: str, state: SegmentState, rows: np.ndarray) -> None:
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
        rows_buf = io.BytesIO()
        np.save(rows_buf, rows, allow_pickle=False)
        state_buf = io.BytesIO()
        np.savez(
            state_buf, meta=np.array(json.dumps(meta)), amounts=state.amounts, values=state.values
        )
        if self.command is not None and not self._command_written:
            self.write_json("command.json", self.command)
            self._command_written = True
        write_atomic(self.path / f"rows-{state.segment:05d}.npy", rows_buf.getvalue())
        # last: it makes the segment count
        write_atomic(self.path / "state.npz", state_buf.getvalue())
        self.completed = state.segment + 1

    def _load_state(self, key: str) -> tuple[SegmentState, list[np.ndarray]]:
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
            state = SegmentState(
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

    Parameters
    ----------
    sbml, times, species, tolerances, breakpoints, progress
        As for :func:`sbmlcrn.simulate.simulate`.
    store
        The checkpoint directory (and whether to resume from it).

    Returns
    -------
    SimulationResult
        The result of the uninterrupted run.

    Raises
    ------
    InputError
        ``store.resume`` and the store holds no checkpoint, a damaged one or one of another
        model.
    SimulationError
        If the model cannot be loaded or integrated.
    """
    tol = tolerances or Tolerances()
    grid, bounds = segment_bounds(times, breakpoints)
    store.total = len(bounds) - 1
    keys: dict[tuple[str, ...], str] = {}

    def key_of(ids: Sequence[str]) -> str:
        if tuple(ids) not in keys:
            keys[tuple(ids)] = _key(sbml, grid, ["time", *(f"[{s}]" for s in ids)], tol, bounds)
        return keys[tuple(ids)]

    def save(state: SegmentState, rows: np.ndarray) -> None:
        if store.failed_write is None:
            try:  # species None samples every floating species: those of the state
                key = key_of(species if species is not None else state.species)
                store._save(key, state, np.asarray(rows, dtype=float))
            except OSError as exc:
                store.failed_write = f"{exc.strerror or exc}: {exc.filename or store.path}"

    start: SegmentState | None = None
    done: list[np.ndarray] = []
    if store.resume:
        ids = model_ids(sbml) if species is None else None
        start, done = store._load_state(key_of(species if ids is None else ids[0]))
        if (start.species, start.parameters) != (ids or model_ids(sbml)):
            raise InputError(f"{store.path}: the checkpoint does not match the model.")
        store.check_command()  # the same model, and the same run's command
        store.completed = start.segment + 1
    else:  # a fresh run: nothing of an earlier run's checkpoint may stay, its command neither
        with contextlib.suppress(OSError):
            for old in (
                *store.path.glob("rows-*.npy"),
                store.path / "state.npz",
                store.path / "command.json",
            ):
                old.unlink(missing_ok=True)
    return simulate_segments(
        sbml,
        times,
        species=species,
        tolerances=tol,
        breakpoints=breakpoints,
        progress=progress,
        start=start,
        rows=done,
        after_segment=save,
    )
