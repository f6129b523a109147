"""A piece of work in a forked child process, with a deadline, that dies with its parent.

:class:`_Child` runs libSBML's checks (:mod:`sbmlcrn.validation.libsbml_checks`) away from the
caller's process: a crash of libSBML ends the child, not the caller, and a check that runs too
long is killed at its deadline. The child

- leaves with ``os._exit`` (no cleanup of objects a crashing validator may have corrupted);
- holds none of the caller's files: its stdin, stdout and stderr are /dev/null and every other
  inherited descriptor is closed, so a caller waiting for the end of a pipe (``$(sbmlcrn
  validate …)``, ``subprocess.run(capture_output=True)``) is never kept waiting by it;
- is killed by the kernel when its parent dies (Linux ``PR_SET_PDEATHSIG``), and by the parent
  itself on ``KeyboardInterrupt`` or any other exception while it waits;
- ignores SIGINT (a Ctrl-C reaches the whole process group): the parent decides;
- cannot open external documents: libSBML's registry of URI resolvers is emptied first, so the
  ``comp`` package's ``externalModelDefinition`` sources are never resolved.

Without ``os.fork`` (Windows) the work runs in this process when the result is asked for, with
the resolvers removed for its duration (and no deadline).
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import faulthandler
import json
import os
import select
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import libsbml

from sbmlcrn.validation.report import Finding

# A logged libSBML finding and the package that logged it ("" for SBML core).
_Logged = tuple[Finding, str]

_PR_SET_PDEATHSIG = 1


def _find_prctl() -> Any:
    """libc's ``prctl`` on Linux, looked up once here (not in a forked child), else None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
        return None


_PRCTL = _find_prctl()
_MAX_FD = max(1 << 16, min(os.sysconf("SC_OPEN_MAX") if hasattr(os, "sysconf") else 0, 1 << 20))


@contextlib.contextmanager
def no_resolvers() -> Iterator[None]:
    """libSBML's URI resolvers removed for the duration (they are what opens the documents
    that ``comp:externalModelDefinition`` elements name), put back afterwards."""
    registry = libsbml.SBMLResolverRegistry.getInstance()
    saved = []
    while registry.getNumResolvers():
        resolver = registry.getResolverByIndex(0)
        saved.append(resolver.clone() if resolver is not None else None)
        registry.removeResolver(0)
    try:
        yield
    finally:
        for resolver in saved:
            if resolver is not None:
                registry.addResolver(resolver)


def _above_stdio(fd: int) -> int:
    """``fd`` or a duplicate of it numbered 3 or more (0, 1 and 2 are about to be replaced)."""
    while fd < 3:
        fd = os.dup(fd)
    return fd


def _isolate(keep: int, parent: int) -> int:
    """In the child: die with the parent, ignore Ctrl-C, hold no file of the caller's but
    ``keep`` (returned, renumbered if it was 0, 1 or 2)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()
    keep = _above_stdio(keep)
    devnull = _above_stdio(os.open(os.devnull, os.O_RDWR))
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    low, high = sorted((keep, devnull))
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, _MAX_FD)
    os.close(devnull)
    registry = libsbml.SBMLResolverRegistry.getInstance()
    while registry.getNumResolvers():
        registry.removeResolver(0)
    return keep


class _Child:
    """``work()`` run in a forked child process, its items sent back as JSON lines.

    Parameters
    ----------
    work : callable
        Yields lists of logged findings; each list is one line sent back.
    fork : bool
        Run in a child process (False: in this process, when the result is asked for).
    deadline : float or None
        ``time.monotonic()`` value after which the child is killed (None: no limit).
    """

    def __init__(
        self,
        work: Callable[[], Iterable[list[_Logged]]],
        *,
        fork: bool = True,
        deadline: float | None = None,
    ) -> None:
        self._work = work
        self._pid = 0
        self._read_end = -1
        self._deadline = deadline
        self._started = time.monotonic()
        self._done: tuple[list[list[_Logged]], str] | None = None
        if not fork:
            return
        parent = os.getpid()
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():
            # Python >= 3.12 warns about fork() in multi-threaded processes; the child only
            # runs libSBML and json, then calls os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child process (coverage does not see it)
            status = 1
            try:
                os.close(read_end)
                with os.fdopen(_isolate(write_end, parent), "wb") as out:
                    for rows in work():
                        line = [[*dataclasses.astuple(f), package] for f, package in rows]
                        out.write(json.dumps(line).encode("utf-8") + b"\n")
                        out.flush()
                    out.write(b'"done"\n')
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    def result(self) -> tuple[list[list[_Logged]], str]:
        """The items ``work`` yielded, and ``""`` or why the child ended early: a crash, or
        ``"timed out after N s"``."""
        if self._done is None:
            if self._pid:
                self._done = self._collect()
            else:
                with no_resolvers():
                    self._done = (list(self._work()), "")
        return self._done

    def kill(self) -> None:
        """End the child (its results are not wanted)."""
        if self._pid and self._done is None:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
            self._done = ([], "killed")
            self._reap()

    def _reap(self) -> int | None:
        with contextlib.suppress(OSError):
            os.close(self._read_end)
        try:
            return os.waitpid(self._pid, 0)[1]
        except ChildProcessError:  # reaped elsewhere (SIGCHLD ignored)
            return None

    def _read_all(self) -> tuple[bytes, bool]:
        """Everything the child writes until it closes the pipe; False if the deadline came
        first (the child is then killed)."""
        chunks = []
        poller = select.poll()
        poller.register(self._read_end, select.POLLIN)
        while True:
            wait = None if self._deadline is None else self._deadline - time.monotonic()
            if wait is not None and wait <= 0:
                return b"".join(chunks), False
            if not poller.poll(None if wait is None else max(1, int(wait * 1000) + 1)):
                continue
            chunk = os.read(self._read_end, 1 << 16)
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)

    def _collect(self) -> tuple[list[list[_Logged]], str]:
        try:
            payload, finished_in_time = self._read_all()
        except BaseException:  # KeyboardInterrupt included: never leave the child running
            self.kill()
            raise
        if not finished_in_time:
            with contextlib.suppress(OSError):
                os.kill(self._pid, signal.SIGKILL)
        wait_status = self._reap()
        items, finished, readable = _parse(payload)
        if not finished_in_time:
            return items, f"timed out after {time.monotonic() - self._started:.0f} s"
        if not readable:
            return items, "its output was unreadable"
        if wait_status is not None and os.WIFSIGNALED(wait_status):
            number = os.WTERMSIG(wait_status)
            try:
                return items, f"signal {signal.Signals(number).name}"
            except ValueError:
                return items, f"signal {number}"
        if not finished or (
            wait_status is not None and os.waitstatus_to_exitcode(wait_status) != 0
        ):
            return items, "the checking process failed"
        return items, ""


def _parse(payload: bytes) -> tuple[list[list[_Logged]], bool, bool]:
    """The items of a child's complete output lines, whether the end mark came, and whether
    every line was readable."""
    items: list[list[_Logged]] = []
    lines = payload.split(b"\n")
    try:
        for line in lines[:-1]:  # the last piece is empty or an incomplete line
            item = json.loads(line)
            if item == "done":
                return items, True, True
            items.append([(Finding(*row[:6]), str(row[6])) for row in item])
    except (ValueError, TypeError, IndexError):
        return items, False, False
    return items, False, True
