"""One parallel map for the studies: run a function over jobs in worker processes.

Worker processes are started with the ``spawn`` method (RoadRunner and LLVM are not fork-safe).
One worker runs the jobs in this process, one after the other.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

__all__ = ["parallel_map"]

R = TypeVar("R")


def parallel_map(
    fn: Callable[..., R],
    jobs: Sequence[tuple[Any, ...]],
    workers: int,
    *,
    on_result: Callable[[int, R], None] | None = None,
    ordered: bool = True,
    initializer: Callable[[], None] | None = None,
) -> list[R]:
    """``[fn(*job) for job in jobs]``, computed by ``workers`` processes.

    Parameters
    ----------
    fn
        A module-level function (it is pickled by name for the worker processes).
    jobs
        The positional arguments of each call.
    workers
        Worker processes; ``1`` (or less) runs every job in this process, in order.
    on_result
        Called in this process with ``(index of the job, its result)`` as results arrive:
        in job order when ``ordered``, else as the jobs finish.
    ordered
        Report results in job order (waiting for earlier jobs) rather than as they finish.
    initializer
        Run once in each new worker process before its first job.

    Returns
    -------
    list
        The results in job order.

    Notes
    -----
    An exception raised by a job, or an interrupt, is re-raised here after the jobs still
    waiting are cancelled (jobs already running finish in their processes).
    """
    results: list[Any] = [None] * len(jobs)
    if workers <= 1:
        for i, job in enumerate(jobs):
            results[i] = fn(*job)
            if on_result is not None:
                on_result(i, results[i])
        return results
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=initializer)
    try:
        futures: dict[Future[R], int] = {pool.submit(fn, *job): i for i, job in enumerate(jobs)}
        for future in list(futures) if ordered else as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if on_result is not None:
                on_result(i, results[i])
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results
