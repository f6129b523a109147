"""Progress display for long runs: a live bar on a terminal, plain lines or silence elsewhere.

A :class:`Progress` is the ``progress`` callable the library's long jobs take
(:func:`sbmlcrn.training.pipeline.train`, sweeps, studies): called with a message it shows a status
line;
:meth:`Progress.epoch` reports a simulated epoch with the loss the chemistry reached in it, and
:meth:`Progress.advance` a finished job of a sweep or of ``reproduce`` (a bar of runs).

Modes
-----
``"bar"``
    One line redrawn in place (carriage return and the ANSI erase-line code): epochs done, a
    bar, the epoch's training loss, elapsed time and the ETA. Redrawn at most 10 times a
    second; the finished bar stays as one line.
``"lines"``
    Plain lines, no control characters: status messages, and one ``epoch k/N`` line with loss
    and ETA at most every 2 s (and the last one).
``"none"``
    Nothing.
``"auto"`` (default)
    ``"bar"`` if the stream is a terminal; otherwise status messages only, without the
    per-epoch lines, so that CI logs stay short and free of control characters.

Decision: the ETA is the elapsed simulation time per epoch times the epochs left. Every epoch
of a run simulates the same number of phases of the same lengths, so the rate is steady after
the first epoch (which also absorbs RoadRunner's warm-up).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import TextIO

from sbmlcrn.errors import InputError

__all__ = ["MODES", "Progress", "format_duration"]

MODES = ("auto", "bar", "lines", "none")
_BAR_WIDTH = 24
_BAR_INTERVAL = 0.1
_LINE_INTERVAL = 2.0


def format_duration(seconds: float) -> str:
    """``h:mm:ss`` or ``m:ss``; ``--:--`` for an unknown (NaN or infinite) duration."""
    if not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class Progress:
    """Show the progress of a long run on ``stream`` (default ``sys.stderr``).

    Parameters
    ----------
    mode
        ``"auto"``, ``"bar"``, ``"lines"`` or ``"none"`` (see the module docstring).
    stream
        Where to write; ``None`` for the current ``sys.stderr``.
    clock
        Monotonic time source in seconds (for tests).

    Raises
    ------
    InputError
        If ``mode`` is not one of :data:`MODES`.
    """

    def __init__(
        self,
        mode: str = "auto",
        stream: TextIO | None = None,
        *,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if mode not in MODES:
            raise InputError(
                f"The mode parameter of Progress must be one of {', '.join(MODES)}. "
                f"Got {mode!r} instead."
            )
        self._stream = stream
        self._clock = clock or time.monotonic
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if callable(isatty) and isatty() else "messages"
        self.mode = mode
        self._start: float | None = None
        self._last_draw = -math.inf
        self._bar_open = False  # a bar line is on screen without its newline

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def __call__(self, message: str) -> None:
        """Show a status message on its own line (above a live bar)."""
        if self.mode == "none":
            return
        if self._bar_open:
            self._write("\r\x1b[K")
            self._bar_open = False
            self._last_draw = -math.inf  # the bar is redrawn on the next epoch
        self._write(f"[sbmlcrn] {message}\n")

    def start(self, total: int, unit: str = "epoch") -> None:
        """The clock of the ETA starts: ``total`` epochs (or runs, …) are about to be done."""
        self._start = self._clock()
        self._last_draw = -math.inf
        if self.mode == "bar":
            self._draw(0, total, None, force=True, unit=unit)

    def advance(self, done: int, total: int, unit: str = "run") -> None:
        """``done`` of ``total`` jobs (runs of a sweep, seeds of a table) are finished.

        Only a live bar shows it (with the ETA); in the other modes the job's own status line
        already says it.
        """
        if self._start is None:
            self._start = self._clock()
        if self.mode == "bar":
            self._draw(done, total, None, force=True, unit=unit)
            if done >= total:
                self._write("\n")
                self._bar_open = False

    def epoch(self, done: int, total: int, loss: float | None) -> None:
        """Epoch ``done`` of ``total`` is simulated; ``loss`` is its mean ½‖ŷ − t‖²."""
        if self._start is None:
            self._start = self._clock()
        if self.mode == "bar":
            self._draw(done, total, loss, force=done >= total)
            if done >= total:
                self._write("\n")
                self._bar_open = False
        elif self.mode == "lines":
            now = self._clock()
            if done < total and now - self._last_draw < _LINE_INTERVAL:
                return
            self._last_draw = now
            self._write(f"[sbmlcrn] {self._text(done, total, loss)}\n")

    def close(self) -> None:
        """End an unfinished bar line (an interrupted or failed run)."""
        if self._bar_open:
            self._write("\n")
            self._bar_open = False

    def _text(self, done: int, total: int, loss: float | None, unit: str = "epoch") -> str:
        elapsed = self._clock() - (self._start if self._start is not None else self._clock())
        eta = elapsed / done * (total - done) if done > 0 else math.nan
        loss_text = f"loss {loss:.4g}" if loss is not None and math.isfinite(loss) else "loss -"
        return (
            f"{unit} {done}/{total} {loss_text if unit == 'epoch' else ''}"
            f"{' ' if unit == 'epoch' else ''}elapsed {format_duration(elapsed)} "
            f"ETA {format_duration(eta) if done < total else '0:00'}"
        )

    def _draw(
        self, done: int, total: int, loss: float | None, *, force: bool, unit: str = "epoch"
    ) -> None:
        now = self._clock()
        if not force and now - self._last_draw < _BAR_INTERVAL:
            return
        self._last_draw = now
        frac = done / total if total > 0 else 1.0
        filled = round(frac * _BAR_WIDTH)
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        words = self._text(done, total, loss, unit).split(" ", 2)  # unit, "k/N", rest
        self._write(f"\r\x1b[K[sbmlcrn] {unit} {words[1]} [{bar}] {frac:4.0%} {words[2]}")
        self._bar_open = True
