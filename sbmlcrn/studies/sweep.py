"""Hyper-parameter sweeps: every combination of a grid, trained in parallel, in one table.

``sbmlcrn sweep CIRCUIT --data X.csv --grid lr=0.01,0.05 horizon=0.5,1 seed=0..9 --out DIR``
trains the circuit once per combination of the grid's values — each run an ordinary
:func:`sbmlcrn.training.pipeline.train` (its own SBML model, simulated in RoadRunner, checked
against the
reference) — and writes one table of the results and a plot of the metric against each
swept parameter.

Decisions
---------
* **Grid keys are the config's fields** (:class:`~sbmlcrn.circuits.linear.LinearConfig` or
  :class:`~sbmlcrn.circuits.nonlinear.NonlinearConfig`): the same names as in
  ``result.json``'s ``config``; an unknown key is refused before anything runs, with the valid
  keys and a did-you-mean. Values are parsed by the field's type; ``a..b`` is an inclusive
  range of integers (integer fields only), ``none`` resets an optional field to its default
  (e.g. ``lr=none``: chosen from the data). A key with one value is a fixed setting. Every
  combination's config is built (and so checked) before the first run starts.
* **Local processes by default** (``concurrent.futures`` with the ``spawn`` start method:
  RoadRunner and LLVM are not fork-safe, and each process holds one RoadRunner at a time);
  one worker runs the grid in this process. **Dask** with ``--dask tcp://host:port``: the
  scheduler is reached (or refused, as :class:`ClusterError`) before anything is written, the
  data are scattered once, and each run is one task with a key unique to this sweep. Within a
  worker process runs are serialised by a lock, so threads of one Dask worker never simulate
  at the same time (``simulate`` holds the GIL anyway).
* **A failed run is a row, not the end of the sweep**: a diverging learning rate or an
  unusable setting is recorded with its error message; the sweep fails (:class:`SweepError`)
  only if every run failed, or if a worker process died (:class:`ClusterError`).
* **Metric**: with ``--test``, the test MSE (regression) or accuracy (classification);
  otherwise the last epoch's training loss.
* **Packed runs** (``--pack``, :mod:`sbmlcrn.training.packing`): combinations that share
  the schedule train as copies of the network in one SBML model, the events and the compile
  paid once per pack; a pack is one job, its time shared out equally between its rows.
* **Output written atomically** (as ``train``'s run directories): a temporary sibling
  directory renamed at the end; an existing ``--out`` is replaced only if it is empty or
  holds a previous sweep's files, any other non-empty directory is refused before running.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import os
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sbmlcrn._version import __version__
from sbmlcrn.circuits.registry import CIRCUITS
from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import InputError, SbmlcrnError
from sbmlcrn.io.atomic import atomic_output_dir, check_output_dir
from sbmlcrn.io.outlock import output_lock
from sbmlcrn.simulate import roadrunner_version
from sbmlcrn.studies.grid import (
    combination_label,
    combinations,
    config_class,
    parse_grid,
    value_text,
)
from sbmlcrn.studies.packs import deliver, pack_size, packed_as, plan_packs
from sbmlcrn.studies.parallel import parallel_map
from sbmlcrn.training.packing import train_packed
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.run import TrainingRun

__all__ = [
    "SWEEP_FILES",
    "ClusterError",
    "SweepError",
    "SweepResult",
    "check_sweep_out",
    "combinations",
    "parse_grid",
    "run_sweep",
    "write_sweep",
]

#: The files a sweep directory holds; a directory holding anything else is not replaced.
SWEEP_FILES = frozenset({"results.csv", "results.md", "sweep.json", "metric.png"})
INSTALL_HINT = "pip install 'sbmlcrn[dask]'"


class SweepError(SbmlcrnError):
    """A sweep could not finish: every run failed, or its workers failed."""


class ClusterError(SweepError):
    """The Dask scheduler could not be reached, or a worker died during a sweep."""


# --------------------------------------------------------------------------- one run

_RUN_LOCK = threading.Lock()


def _failed(exc: SbmlcrnError, seconds: float, cpu_seconds: float) -> dict[str, Any]:
    """The row of a run that failed with ``exc``."""
    return {
        "status": "failed",
        "error": str(exc),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "pid": os.getpid(),
    }


def _ok(circuit: str, run: TrainingRun, seconds: float, cpu_seconds: float) -> dict[str, Any]:
    """The row of a finished run."""
    row: dict[str, Any] = {
        "status": "ok",
        "error": "",
        "train_loss": float(run.train_loss[-1]),
        "lr_used": float(run.circuit.config.lr),  # type: ignore[arg-type]
        "max_abs_deviation": float(run.max_abs_deviation),
        "parameters": {k: float(v) for k, v in run.parameters.items()},
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "pid": os.getpid(),
    }
    if run.test is not None:
        key = "test_mse" if CIRCUITS[circuit] == "regression" else "test_accuracy"
        row[key] = float(run.test["mse" if key == "test_mse" else "accuracy"])
    return row


def _run_one(
    circuit: str, data: Dataset, test: Dataset | None, settings: dict[str, Any]
) -> dict[str, Any]:
    """Train one combination; a failure of sbmlcrn's own (bad setting, divergence) is a row."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    with _RUN_LOCK, warnings.catch_warnings():
        # a diverging run makes numpy warn (overflow) before train refuses it; the refusal
        # is the row's error, the warnings would only clutter the sweep's output
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            config = config_class(circuit, settings.get("design"))(**settings)
            run = train(circuit, data, test=test, config=config)
        except SbmlcrnError as exc:
            return _failed(exc, time.perf_counter() - t0, time.process_time() - c0)
    return _ok(circuit, run, time.perf_counter() - t0, time.process_time() - c0)


def _run_pack(
    circuit: str, data: Dataset, test: Dataset | None, pack: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Train a pack of combinations as one packed model
    (:func:`~sbmlcrn.training.packing.train_packed`); one row per combination, as
    :func:`_run_one` gives it. The pack's wall and CPU time are shared out equally between its
    rows (the runs share one simulation), so the rows' ``seconds`` still add up to the
    worker's busy time."""
    t0 = time.perf_counter()
    c0 = time.process_time()
    outcome: list[TrainingRun | SbmlcrnError | None] = [None] * len(pack)
    with _RUN_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # as in _run_one
        configs, slots = [], []
        for i, settings in enumerate(pack):
            try:
                configs.append(config_class(circuit, settings.get("design"))(**settings))
                slots.append(i)
            except SbmlcrnError as exc:
                outcome[i] = exc
        for i, run in zip(slots, train_packed(circuit, data, configs, test=test), strict=True):
            outcome[i] = run
    seconds = (time.perf_counter() - t0) / len(pack)
    cpu = (time.process_time() - c0) / len(pack)
    return [
        _ok(circuit, r, seconds, cpu) if isinstance(r, TrainingRun) else _failed(r, seconds, cpu)
        for r in outcome
        if r is not None
    ]


# --------------------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepResult:
    """What a sweep produced.

    Attributes
    ----------
    circuit
        The circuit trained.
    grid
        Parameter → the values swept (in the order given).
    rows
        One dict per combination, in grid order: the combination's values under their keys,
        ``status`` (``ok`` or ``failed``), ``error``, the metric, ``train_loss``, ``lr_used``,
        ``max_abs_deviation``, ``parameters`` and ``seconds``.
    metric
        ``test_mse``, ``test_accuracy`` or ``train_loss``.
    backend
        ``local`` or the Dask scheduler's address.
    workers
        Worker processes (local) or Dask workers.
    elapsed_s
        Wall time of the runs.
    out
        The directory written (None if nothing was written).
    pack
        The most runs simulated as one packed model (1: one model per run).
    """

    circuit: str
    grid: Mapping[str, tuple[Any, ...]]
    rows: list[dict[str, Any]]
    metric: str
    backend: str
    workers: int
    elapsed_s: float
    data_name: str = ""
    out: Path | None = field(default=None)
    pack: int = 1

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "test_accuracy"

    @property
    def ok_rows(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == "ok"]

    def best(self) -> dict[str, Any] | None:
        """The successful row with the best metric (None if every run failed)."""
        rows = [r for r in self.ok_rows if math.isfinite(r.get(self.metric, math.nan))]
        if not rows:
            return None
        pick = max if self.higher_is_better else min
        return pick(rows, key=lambda r: r[self.metric])

    def label(self, row: Mapping[str, Any]) -> str:
        """The grid values of ``row`` as ``key=value …``."""
        return combination_label({k: row[k] for k in self.grid})

    @property
    def utilisation(self) -> float:
        """Sum of the runs' times over ``workers × elapsed``: how busy the workers were."""
        busy = sum(r["seconds"] for r in self.rows)
        return busy / (self.workers * self.elapsed_s) if self.elapsed_s > 0 else math.nan


def check_sweep_out(out: str | os.PathLike[str]) -> Path:
    """Refuse an ``--out`` that a sweep must not write or replace.

    It may not exist yet (its nearest existing ancestor must be a directory), be empty, or
    hold only a previous sweep's files (``results.csv`` among them).
    """
    return check_output_dir(out, files=SWEEP_FILES, marker="results.csv", what="a previous sweep")


def _check_address(address: str) -> None:
    from distributed.comm import parse_address, parse_host_port

    try:
        _, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"--dask {address!r}: not a scheduler address like tcp://host:8786 ({exc})."
        ) from None
    if not host or not port:
        raise InputError(f"--dask {address!r}: not a scheduler address like tcp://host:8786.")


def _connect(address: str, timeout: float):
    """A Dask client of the scheduler at ``address``; :class:`ClusterError` if unreachable."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(f"--dask needs Dask's distributed package: {INSTALL_HINT}") from None
    _check_address(address)
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {address} ({exc}); is it running, and is "
            "the address right?"
        ) from None


def _metric_of(circuit: str, test: Dataset | None) -> str:
    if test is None or test.y is None:
        return "train_loss"
    return "test_mse" if CIRCUITS[circuit] == "regression" else "test_accuracy"


def _warm_up() -> None:
    """Load the simulation stack (RoadRunner) in a new worker process, before its first run."""
    roadrunner_version()


def _jobs(
    circuit: str, data: Any, test: Any, combos: list[dict[str, Any]], packs: list[list[int]]
) -> tuple[Callable[..., Any], list[tuple[Any, ...]]]:
    """The function and jobs of a sweep: one :func:`_run_one` per combination when every pack
    holds one run (today's path, ``--pack 1``), else one :func:`_run_pack` per pack."""
    if all(len(p) == 1 for p in packs):
        return _run_one, [(circuit, data, test, combos[p[0]]) for p in packs]
    return _run_pack, [(circuit, data, test, [combos[i] for i in p]) for p in packs]


def _local(
    circuit: str,
    data: Dataset,
    test: Dataset | None,
    combos: list[dict[str, Any]],
    packs: list[list[int]],
    workers: int,
    done: Callable[[int, dict[str, Any]], None],
) -> None:
    fn, jobs = _jobs(circuit, data, test, combos, packs)
    try:
        parallel_map(
            fn, jobs, workers, on_result=deliver(packs, done), ordered=False, initializer=_warm_up
        )
    except BrokenProcessPool:
        raise ClusterError(
            "a worker process died (a crash in the simulator?) during the sweep; "
            "nothing was written."
        ) from None


def _dask(
    client,
    circuit: str,
    data: Dataset,
    test: Dataset | None,
    combos: list[dict[str, Any]],
    packs: list[list[int]],
    done: Callable[[int, dict[str, Any]], None],
) -> None:
    from distributed import as_completed

    tag = uuid.uuid4().hex[:12]
    data_f = client.scatter(data, broadcast=True)
    test_f = client.scatter(test, broadcast=True) if test is not None else None
    fn, jobs = _jobs(circuit, data_f, test_f, combos, packs)
    to_rows = deliver(packs, done)
    futures = {
        client.submit(fn, *job, key=f"sbmlcrn-sweep-{tag}-{j}", pure=False): j
        for j, job in enumerate(jobs)
    }
    try:
        for future in as_completed(list(futures), loop=client.loop):
            try:
                result = future.result()
            except SbmlcrnError:
                raise
            except Exception as exc:
                raise ClusterError(
                    f"run {packs[futures[future]][0] + 1} failed on the Dask cluster: "
                    f"{type(exc).__name__}: {exc} (is sbmlcrn installed on the workers?)"
                ) from None
            to_rows(futures[future], result)
    finally:
        for f in futures:
            f.cancel()


def _run_all(
    client: Any,
    dask: str | None,
    workers: int | None,
    pack: int | None,
    task: tuple[str, Dataset, Dataset | None],
    combos: list[dict[str, Any]],
    done: Callable[[int, dict[str, Any]], None],
    say: Callable[[str], None],
) -> tuple[str, int, list[list[int]]]:
    """Run the sweep's packs on the Dask ``client`` or local processes; the backend, the
    number of workers and the packs."""
    circuit, data, test = task
    if client is not None:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        packs = plan_packs(combos, n_workers, pack)
        where = f"the Dask cluster at {dask}"
        say(f"sweep {circuit}: {len(combos)} runs on {where}{packed_as(packs)}")
        _dask(client, circuit, data, test, combos, packs, done)
        return str(dask), n_workers, packs
    n_workers = min(workers or os.cpu_count() or 1, len(combos))
    packs = plan_packs(combos, n_workers, pack)
    n_workers = min(n_workers, len(packs))
    say(f"sweep {circuit}: {len(combos)} runs on {n_workers} local process(es){packed_as(packs)}")
    _local(circuit, data, test, combos, packs, n_workers, done)
    return "local", n_workers, packs


def run_sweep(
    circuit: str,
    data: Dataset,
    grid: Mapping[str, Sequence[Any]],
    out: str | os.PathLike[str] | None,
    *,
    test: Dataset | None = None,
    workers: int | None = None,
    dask: str | None = None,
    dask_timeout: float = 10.0,
    progress: Callable[[str], None] | None = None,
    plot: bool = True,
    pack: int | None = None,
) -> SweepResult:
    """Train ``circuit`` on ``data`` once per combination of ``grid``; write the results.

    Parameters
    ----------
    circuit
        One of :data:`sbmlcrn.training.pipeline.CIRCUITS`.
    data, test
        Training data, and optional test data for the metric.
    grid
        Config field → values (see :func:`parse_grid`).
    out
        Directory for ``results.csv``, ``results.md``, ``sweep.json`` and ``metric.png``
        (None: write nothing).
    workers
        Local worker processes (default: the number of CPUs, at most the number of runs).
    dask
        Address of a Dask scheduler (``tcp://host:port``); runs go to its workers instead.
    dask_timeout
        Seconds to wait for the scheduler.
    progress
        Called with a status line as runs finish.
    pack
        Most runs trained as one packed model (:mod:`sbmlcrn.training.packing`); None
        (default): automatic (:func:`~sbmlcrn.studies.packs.plan_packs`); 1: one per run.

    Raises
    ------
    InputError
        Unknown circuit or grid key, an invalid combination, an unusable ``out``.
    ClusterError
        The scheduler is unreachable or a worker died.
    SweepError
        Every run failed.
    """
    say = progress or (lambda _msg: None)
    advance = getattr(progress, "advance", None)  # a live bar of runs, if the display has one
    designs = grid.get("design", (None,))
    cls = config_class(circuit, designs[0] if len(designs) == 1 else None)
    target = check_sweep_out(out) if out is not None else None
    grid = {k: tuple(v) for k, v in grid.items()}
    fields = {f.name for f in dataclasses.fields(cls)}
    for key in grid:
        if key not in fields:
            raise InputError(f"unknown parameter {key!r} for {circuit}.")
    combos = combinations(grid)
    if not combos:
        raise InputError("The grid has no combination (a parameter with no values).")
    for combo in combos:
        try:
            cls(**combo)
        except InputError as exc:
            raise InputError(f"grid combination {combination_label(combo)}: {exc}") from None
    if workers is not None and (workers < 1 or isinstance(workers, bool)):
        raise InputError(f"--workers must be a positive integer. Got {workers!r}.")
    pack_size(len(combos), 1, pack)  # refuse a bad pack before connecting
    client = _connect(dask, dask_timeout) if dask is not None else None
    metric = _metric_of(circuit, test)
    rows: list[dict[str, Any] | None] = [None] * len(combos)
    finished = [0]

    def done(i: int, result: dict[str, Any]) -> None:
        rows[i] = {**combos[i], **result}
        finished[0] += 1
        if result["status"] == "ok":
            value = result.get(metric, math.nan)
            what = f"{metric.replace('_', ' ')} {value:.6g}"
        else:
            what = f"failed: {result['error'][:120]}"
        say(
            f"run {finished[0]}/{len(combos)} ({combination_label(combos[i])}): {what}, "
            f"{result['seconds']:.1f} s"
        )
        if advance is not None:
            advance(finished[0], len(combos), "run")

    t0 = time.perf_counter()
    if advance is not None:
        progress.start(len(combos), "run")  # type: ignore[union-attr]
    try:
        backend, n_workers, packs = _run_all(
            client, dask, workers, pack, (circuit, data, test), combos, done, say
        )
    finally:
        if client is not None:
            client.close()
    elapsed = time.perf_counter() - t0
    result = SweepResult(
        circuit=circuit,
        grid=grid,
        rows=[r for r in rows if r is not None],
        metric=metric,
        backend=backend,
        workers=n_workers,
        elapsed_s=elapsed,
        data_name=data.name,
        pack=max(map(len, packs)),
    )
    if not result.ok_rows:
        first = result.rows[0]["error"] if result.rows else ""
        raise SweepError(f"every run of the sweep failed; the first: {first}")
    if target is not None:
        write_sweep(result, target, plot=plot)
        result = dataclasses.replace(result, out=target)
    return result


# --------------------------------------------------------------------------- output


def _columns(result: SweepResult) -> tuple[list[str], list[str]]:
    keys = list(result.grid)
    metrics = [m for m in ("test_mse", "test_accuracy") if m == result.metric]
    base = [*keys, "status", *metrics, "train_loss", "lr_used", "max_abs_deviation", "seconds"]
    names: list[str] = []
    for r in result.rows:
        for name in r.get("parameters", {}):
            if name not in names:
                names.append(name)
    return base, names


def _cell(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def results_csv(result: SweepResult) -> str:
    """``results.csv``: one row per combination, parameters as ``theta_<name>`` columns."""
    base, names = _columns(result)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*base, *(f"theta_{n}" for n in names), "error"])
    for r in result.rows:
        params = r.get("parameters", {})
        writer.writerow(
            [
                *(_cell(r.get(k, "")) if k in r else "" for k in base),
                *(_cell(params[n]) if n in params else "" for n in names),
                r.get("error", ""),
            ]
        )
    return buf.getvalue()


def results_markdown(result: SweepResult) -> str:
    """``results.md``: the settings, the best combination and the table."""
    base, _ = _columns(result)
    grid = ", ".join(f"{k} = {', '.join(map(value_text, v))}" for k, v in result.grid.items())
    failed = len(result.rows) - len(result.ok_rows)
    lines = [
        f"# sbmlcrn sweep: {result.circuit} on {result.data_name}",
        "",
        f"- grid: {grid} ({len(result.rows)} runs, {failed} failed)",
        f"- metric: {result.metric.replace('_', ' ')} "
        f"({'higher' if result.higher_is_better else 'lower'} is better)",
        f"- ran on: {result.backend}, {result.workers} worker(s), {result.elapsed_s:.1f} s "
        f"(workers busy {result.utilisation:.0%} of the time)"
        + (f", up to {result.pack} runs per packed model" if result.pack > 1 else ""),
    ]
    best = result.best()
    if best is not None:
        lines.append(
            f"- best: {result.label(best)}: "
            f"{result.metric.replace('_', ' ')} {best[result.metric]:.6g}"
        )
    lines += ["", "| " + " | ".join(base) + " |", "|" + "---|" * len(base)]
    for r in result.rows:
        cells = []
        for k in base:
            v = r.get(k, "")
            if isinstance(v, float) and k not in result.grid:
                v = f"{v:.4g}" if k != "max_abs_deviation" else f"{v:.2g}"
            elif k in result.grid:
                v = value_text(v)
            cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    errors = [(i, r["error"]) for i, r in enumerate(result.rows, 1) if r["status"] != "ok"]
    if errors:
        lines += ["", "Failed runs:", ""]
        lines += [f"- run {i}: {' '.join(msg.split())}" for i, msg in errors]
    return "\n".join(lines) + "\n"


def plot_sweep(result: SweepResult, path: Path) -> None:
    """The metric against each swept parameter (every run a point, the mean a line)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    swept = [k for k, v in result.grid.items() if len(v) > 1] or list(result.grid)[:1]
    fig, axes = plt.subplots(1, len(swept), figsize=(4.2 * len(swept), 3.4), squeeze=False)
    rows = [r for r in result.ok_rows if math.isfinite(r.get(result.metric, math.nan))]
    for ax, key in zip(axes[0], swept, strict=True):
        values = list(result.grid[key])
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        position = {v: (float(v) if numeric else i) for i, v in enumerate(values)}
        xs = [position[r[key]] for r in rows]
        ys = [r[result.metric] for r in rows]
        ax.scatter(xs, ys, s=18, alpha=0.6, color="tab:blue", label="runs")
        means = []
        for v in values:
            ys_v = [r[result.metric] for r in rows if r[key] == v]
            if ys_v:
                means.append((position[v], sum(ys_v) / len(ys_v)))
        if means:
            means.sort()
            ax.plot(*zip(*means, strict=True), color="tab:red", marker="o", label="mean")
        if numeric and min(values) > 0 and max(values) / min(values) >= 20:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(list(position.values()), [value_text(v) for v in values])
        elif all(isinstance(v, int) for v in values):
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(key)
        ax.set_ylabel(result.metric.replace("_", " "))
        ax.grid(alpha=0.3)
    axes[0][0].legend(loc="best", fontsize=8)
    fig.suptitle(f"sbmlcrn sweep: {result.circuit}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value


def write_sweep(result: SweepResult, out: str | os.PathLike[str], *, plot: bool = True) -> Path:
    """Write the sweep's files into ``out`` atomically (a temporary directory renamed)."""
    with (
        output_lock(out),  # one writer per directory (re-entrant in the process holding it)
        atomic_output_dir(
            target := check_sweep_out(out), files=SWEEP_FILES, marker="results.csv"
        ) as tmp,
    ):
        (tmp / "results.csv").write_text(results_csv(result), encoding="utf-8")
        (tmp / "results.md").write_text(results_markdown(result), encoding="utf-8")
        doc = {
            "circuit": result.circuit,
            "data": result.data_name,
            "grid": {k: list(v) for k, v in result.grid.items()},
            "metric": result.metric,
            "backend": result.backend,
            "workers": result.workers,
            "pack": result.pack,
            "elapsed_s": result.elapsed_s,
            "utilisation": result.utilisation,
            "sbmlcrn": __version__,
            "runs": [{k: v for k, v in r.items() if k != "pid"} for r in result.rows],
        }
        (tmp / "sweep.json").write_text(
            json.dumps(_json_ready(doc), indent=2) + "\n", encoding="utf-8"
        )
        if plot:
            plot_sweep(result, tmp / "metric.png")
    return target
