"""Plots of training runs (matplotlib, Agg; no display and no pyplot state needed).

Three figures, written by :func:`sbmlcrn.training.store.save_run` for a fresh run (one that
still holds its data):

* :func:`plot_loss` (``loss.png``), the training run: the training loss per epoch (CRN and
  numpy reference; ½MSE, labelled with its units), the learned parameters over simulated time
  (raw-unit coefficients when the model has a closed form; the largest few named), and the
  fit on the training data: predicted against measured and residuals (regression) or the
  confusion matrix with accuracy, balanced accuracy and the majority-class baseline
  (classifiers; the test set's too when there is one);
* :func:`plot_decision` (``decision.png``, 2-input classifiers): decision regions with the
  training and test points and the misclassified test points, and the confusion matrix;
* :func:`plot_predictions` (``predictions.png``, regression): predicted against measured with
  ``R²`` and the MSE in the target's units (the ``test mse`` the CLI prints), residuals, and
  the fitted curve when the model has one input.

Every metric comes from the CRN inference network's predictions (the test predictions of the
run; the training data are predicted here, at most :data:`TRAIN_SAMPLES` of them). The
figures are laid out with fixed margins: no ``tight_layout`` or ``bbox_inches='tight'`` pass,
which cost more than the drawing itself.

:class:`PlotWorker` draws them in a second process that imports and warms up matplotlib
while this one trains (RoadRunner holds the GIL during a simulation, so a thread could not
overlap them); the files are the same as drawn here, which is where they are drawn whenever
the worker is unavailable.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import InputError
from sbmlcrn.training.model import predict
from sbmlcrn.training.plot_metrics import (
    balanced_accuracy,
    class_label,
    confusion_matrix,
    loss_label,
    majority_baseline,
    misclassified,
    parameter_series,
    r_squared,
    sample_indices,
)
from sbmlcrn.training.plot_panels import (
    CLASS_COLORS,
    ERROR_COLOR,
    REGION_COLORS,
    classification_text,
    draw_confusion,
    draw_measured,
    draw_note,
    draw_parameters,
    draw_residuals,
    legend,
)

if TYPE_CHECKING:
    from sbmlcrn.training.run import TrainingRun

__all__ = [
    "TRAIN_SAMPLES",
    "PlotWorker",
    "balanced_accuracy",
    "class_label",
    "confusion_matrix",
    "draw_plots",
    "loss_label",
    "majority_baseline",
    "misclassified",
    "plot_decision",
    "plot_loss",
    "plot_predictions",
    "r_squared",
    "serve",
]

_DPI = 110
#: Training samples predicted for the training-set metrics (evenly spaced when there are more).
TRAIN_SAMPLES = 1000
#: The last training predictions made (model, data, shown subset, predictions): the loss and
#: decision plots of one run share them.
_LAST_TRAIN: list[tuple[Any, Any, Dataset, np.ndarray]] = []


def _pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (for the study plots)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _figure(width: float, height: float) -> Any:
    """A stand-alone figure (no pyplot registry: nothing to close, no global state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _row(
    fig: Any, n: int, *, left: float, right: float, bottom: float, top: float, gap: float
) -> list[Any]:
    """``n`` axes side by side between fixed margins (figure fractions)."""
    width = (right - left - gap * (n - 1)) / n
    return [fig.add_axes((left + i * (width + gap), bottom, width, top - bottom)) for i in range(n)]


def _save(fig: Any, path: str | Path) -> Path:
    fig.savefig(path, dpi=_DPI)
    return Path(path)


# --- data of a run ----------------------------------------------------------------------------


def _train_data(run: TrainingRun, fname: str) -> Dataset:
    data = run.train_data
    if data is None or data.y is None:
        raise InputError(
            f"The run parameter of {fname} must be a fresh run holding its training data. "
            "Got a run without data (loaded from disk?) instead."
        )
    return data


def _test_set(run: TrainingRun) -> tuple[Dataset, np.ndarray] | None:
    """The test data with its predictions (by the CRN inference network), or None."""
    test = run.test_data
    if test is None or test.y is None or len(test) == 0:
        return None
    pred = run.test_predictions
    if pred is None:
        pred = predict(run.model, test.x)
    return test, np.asarray(pred, dtype=float)


def _train_set(run: TrainingRun, fname: str) -> tuple[Dataset, np.ndarray, str]:
    """At most :data:`TRAIN_SAMPLES` training samples (evenly spaced), their predictions by
    the CRN inference network, and how to name them (``training set (n = 41)``)."""
    data = _train_data(run, fname)
    cached = [(s, p) for m, d, s, p in _LAST_TRAIN if m is run.model and d is data]
    if cached:
        shown, pred = cached[0]
    else:
        idx = sample_indices(len(data), TRAIN_SAMPLES)
        shown = data
        if len(idx) < len(data):
            assert data.y is not None
            shown = dataclasses.replace(data, x=data.x[idx], y=data.y[idx])
        pred = np.asarray(predict(run.model, shown.x), dtype=float)
        _LAST_TRAIN[:] = [(run.model, data, shown, pred)]
    part = f"{len(shown)} of {len(data)}, evenly spaced" if len(shown) < len(data) else len(data)
    return shown, pred, f"training set (n = {part})"


def _classes(run: TrainingRun, *labels: np.ndarray) -> np.ndarray:
    """The class values: the model's and every label seen in the data, sorted."""
    seen = [np.asarray(run.model.classes, dtype=float)]
    seen += [np.asarray(v, dtype=float).ravel() for v in labels]
    return np.unique(np.concatenate(seen))


def _confusion(run: TrainingRun, ax: Any, labels: np.ndarray, pred: np.ndarray, which: str) -> None:
    """The confusion matrix of ``labels`` against ``pred`` with its metrics in the title."""
    data = _train_data(run, "the confusion matrix")
    assert data.y is not None
    classes = _classes(run, labels, pred)
    target = run.target or data.target or "y"
    name = run.model.class_name
    draw_confusion(
        ax,
        labels,
        pred,
        classes,
        names=[name(c) for c in classes],
        target=target,
        title=f"{which}\n{classification_text(data.y, labels, pred, name)}",
    )


# --- plots ------------------------------------------------------------------------------------


def plot_loss(run: TrainingRun, path: str | Path) -> Path:
    """The training run: loss per epoch, parameters over simulated time, training-set fit.

    Four panels. Top: the training loss per epoch (the CRN's, read from the error species,
    and the numpy reference's; labelled by :func:`loss_label`), and the learned parameters at
    every epoch start and at the end against simulated time (:func:`parameter_series`: raw-unit
    coefficients for the circuits with a closed form, θ otherwise; beyond 8 the 6 largest are
    named). Bottom, on the training data predicted by the CRN inference network: predicted
    against measured with ``R²`` and MSE, the residuals, and the fitted curve over the data for
    one-input models (regression); the confusion
    matrices of the training and the test set with accuracy, balanced accuracy and the
    majority-class baseline (classifiers; a note when there is no test set).

    Parameters
    ----------
    run
        A fresh run (with its reference run, parameter trajectory and data).
    path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.ticker import MaxNLocator

    if run.reference is None or run.parameter_trajectory is None:
        raise InputError(
            "The run parameter of plot_loss must be a fresh run holding its reference run. "
            "Got a run without one (loaded from disk?) instead."
        )
    shown, pred, which = _train_set(run, "plot_loss")
    assert shown.y is not None
    fig = _figure(11.0, 8.4)
    fig.suptitle(f"{run.circuit_name}: training", fontsize="large", y=0.985)
    ax, bx = _row(fig, 2, left=0.11, right=0.79, bottom=0.59, top=0.9, gap=0.1)
    epochs = np.arange(1, len(run.train_loss) + 1)
    ax.plot(epochs, run.train_loss, "o-", label="CRN (RoadRunner)")
    ax.plot(epochs, run.reference.train_loss, "x--", label="numpy reference")
    ax.set_xlabel("epoch")
    ax.set_ylabel(loss_label(run), fontsize="small")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(
        f"training loss (max |θ CRN − θ reference| = {run.max_abs_deviation:.1e})",
        fontsize="small",
    )
    legend(ax, loc="upper right")
    draw_parameters(bx, parameter_series(run), epochs=len(run.train_loss))
    if run.task == "regression":
        target = run.target or shown.target or "y"
        curve = len(run.features) == 1  # with or without a test set (predictions.png)
        cx, dx, *ex = _row(fig, 2 + curve, left=0.08, right=0.98, bottom=0.11, top=0.43, gap=0.08)
        label = "training samples"
        draw_measured(cx, shown.y, pred, target=target, title=which, label=label)
        draw_residuals(dx, shown.y, pred, target=target, title=which)
        if curve:
            _fitted_curve(run, ex[0], _train_data(run, "plot_loss"), _test_set(run), target, 200)
        return _save(fig, path)
    cx, dx = _row(fig, 2, left=0.12, right=0.95, bottom=0.11, top=0.43, gap=0.14)
    _confusion(run, cx, shown.y, pred, which)
    test = _test_set(run)
    if test is None:
        draw_note(dx, "no test set\n(sbmlcrn train --test FILE\nevaluates held-out data)")
    else:
        assert test[0].y is not None
        _confusion(run, dx, test[0].y, test[1], f"test set (n = {len(test[0])})")
    return _save(fig, path)


def plot_decision(run: TrainingRun, path: str | Path, *, resolution: int = 60) -> Path:
    """Decision regions of a 2-input classifier (binary or multiclass) with the data, and the
    confusion matrix.

    The regions are the CRN inference network's predictions on a ``resolution`` ×
    ``resolution`` grid. Training points are circles and test points triangles, coloured by
    their true class (named ``<target> = <label>`` as in the data); misclassified test points
    are ringed in red and counted in the legend, which is outside the axes. The title gives
    the test accuracy and balanced accuracy, or says there is no test set. The second panel is
    the confusion matrix of the test set (the training set without one) with accuracy,
    balanced accuracy and the majority-class baseline.

    Parameters
    ----------
    run
        A fresh classification or multiclass run with two inputs (holding its data).
    path
        The PNG file to write.
    resolution
        Grid points per axis.

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.colors import ListedColormap

    if len(run.features) != 2:
        raise InputError(
            "The run parameter of plot_decision must be a run with 2 inputs. "
            f"Got {len(run.features)} inputs instead."
        )
    data = _train_data(run, "plot_decision")
    assert data.y is not None
    test = _test_set(run)
    pts = data.x if test is None else np.vstack([data.x, test[0].x])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.05 * (hi - lo) + 1e-9
    g1 = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    g2 = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    mesh = np.column_stack([np.tile(g1, resolution), np.repeat(g2, resolution)])
    labels = np.asarray(predict(run.model, mesh), dtype=float)
    extra = [] if test is None else [test[0].y, test[1]]
    classes = _classes(run, data.y, labels, *extra)
    k = len(classes)
    index = np.searchsorted(classes, labels).reshape(resolution, resolution)
    colors = [CLASS_COLORS[i % len(CLASS_COLORS)] for i in range(k)]
    fig = _figure(11.6, 4.9)
    ax = fig.add_axes((0.06, 0.11, 0.43, 0.72))
    cx = fig.add_axes((0.73, 0.2, 0.24, 0.58))
    regions = [REGION_COLORS[i % len(REGION_COLORS)] for i in range(k)]
    # cells, not contours: contours between classes 0 and 2 would pass through a band of 1
    ax.pcolormesh(
        g1, g2, index, cmap=ListedColormap(regions), vmin=-0.5, vmax=k - 0.5, shading="nearest"
    )
    for c, color in zip(classes, colors, strict=True):
        sel = data.y == c
        label = class_label(run.target, run.model.class_name(c))
        ax.scatter(data.x[sel, 0], data.x[sel, 1], s=16, c=color, label=label)
    ax.scatter([], [], s=16, c="#555555", label=f"training (n = {len(data)})")
    if test is not None:
        tdata, tpred = test
        assert tdata.y is not None
        for c, color in zip(classes, colors, strict=True):
            sel = tdata.y == c
            ax.scatter(tdata.x[sel, 0], tdata.x[sel, 1], s=22, c=color, marker="^")
        wrong = misclassified(tdata.y, tpred)
        ax.scatter([], [], s=22, c="#555555", marker="^", label=f"test (n = {len(tdata)})")
        ax.scatter(
            tdata.x[wrong, 0],
            tdata.x[wrong, 1],
            s=90,
            facecolors="none",
            edgecolors=ERROR_COLOR,
            linewidths=1.4,
            label=f"misclassified ({int(wrong.sum())} of {len(tdata)})",
        )
        _confusion(run, cx, tdata.y, tpred, f"test set (n = {len(tdata)})")
    else:
        shown, pred, which = _train_set(run, "plot_decision")
        assert shown.y is not None
        _confusion(run, cx, shown.y, pred, which)
    ax.set_xlabel(run.features[0])
    ax.set_ylabel(run.features[1])
    ax.set_title(
        f"{run.circuit_name}: decision regions (CRN)\n{_accuracy_text(run, test)}",
        fontsize="medium",
    )
    legend(ax, outside=True)
    return _save(fig, path)


def _accuracy_text(run: TrainingRun, test: tuple[Dataset, np.ndarray] | None) -> str:
    """The test accuracy and balanced accuracy; without a test set, the training set's."""
    if test is None:
        shown, pred, _ = _train_set(run, "plot_decision")
        assert shown.y is not None
        acc = 1.0 - float(np.mean(misclassified(shown.y, pred)))
        bal = balanced_accuracy(shown.y, pred)
        return f"no test set; training accuracy {acc:.1%}, balanced {bal:.1%} (n = {len(shown)})"
    data, pred = test
    assert data.y is not None
    metrics = dict(run.test or {})
    acc = metrics.get("accuracy", 1.0 - float(np.mean(misclassified(data.y, pred))))
    bal = metrics.get("balanced_accuracy", balanced_accuracy(data.y, pred))
    return f"test accuracy {acc:.1%}, balanced {bal:.1%} (n = {len(data)})"


def plot_predictions(run: TrainingRun, path: str | Path, *, points: int = 200) -> Path:
    """Predicted against measured target, and the residuals (regression; CRN inference).

    The test set is shown if the run has one, else the training set (predicted here). The
    first panel's title gives ``R²`` and the MSE in the target's units (the ``test mse`` the
    CLI prints); the second shows the residuals against the prediction. A model with one input
    gets a third panel: the fitted curve on ``points`` inputs spanning the data, with the data.

    Parameters
    ----------
    run
        A fresh regression run (holding its data).
    path
        The PNG file to write.
    points
        Grid points of the fitted curve (one-input models).

    Returns
    -------
    Path
        ``path``.
    """
    data = _train_data(run, "plot_predictions")
    assert data.y is not None
    test = _test_set(run)
    if test is not None:
        shown, pred, which = test[0], test[1], f"test set (n = {len(test[0])})"
    else:
        shown, pred, which = _train_set(run, "plot_predictions")
    assert shown.y is not None
    target = run.target or shown.target or "y"
    one_input = len(run.features) == 1
    n = 3 if one_input else 2
    fig = _figure(4.6 * n, 4.6)
    fig.suptitle(f"{run.circuit_name}: predictions (CRN)", fontsize="medium", y=0.985)
    left = 0.055 if one_input else 0.08
    axes = _row(
        fig, n, left=left, right=0.98, bottom=0.12, top=0.82, gap=0.075 if one_input else 0.11
    )
    label = f"{which.split(' (')[0].replace(' set', '')} samples"
    draw_measured(axes[0], shown.y, pred, target=target, title=which, label=label)
    draw_residuals(axes[1], shown.y, pred, target=target, title=which)
    if one_input:
        _fitted_curve(run, axes[2], data, test, target, points)
    return _save(fig, path)


def _fitted_curve(
    run: TrainingRun,
    ax: Any,
    data: Dataset,
    test: tuple[Dataset, np.ndarray] | None,
    target: str,
    points: int,
) -> None:
    """The prediction over the input range (one-input models) with the data points."""
    xs = data.x[:, 0] if test is None else np.concatenate([data.x[:, 0], test[0].x[:, 0]])
    lo, hi = float(xs.min()), float(xs.max())
    pad = 0.05 * (hi - lo) + 1e-9
    grid = np.linspace(lo - pad, hi + pad, points)
    curve = np.asarray(predict(run.model, grid[:, None]), dtype=float)
    ax.scatter(data.x[:, 0], data.y, s=14, c=CLASS_COLORS[0], label="training data")
    if test is not None:
        ax.scatter(test[0].x[:, 0], test[0].y, s=20, c=CLASS_COLORS[1], marker="^", label="test")
    ax.plot(grid, curve, "k-", lw=1.5, label="CRN prediction")
    ax.set_xlabel(run.features[0])
    ax.set_ylabel(target)
    ax.set_title(f"fitted curve of {target} over {run.features[0]}", fontsize="small")
    legend(ax, loc="best")


# --- drawing in a second process --------------------------------------------------------------

#: The plots a job names (``("loss", path)``, …) and the functions drawing them.
_PLOTS = {"loss": plot_loss, "decision": plot_decision, "predictions": plot_predictions}
#: Seconds a worker may take to draw; a slower one is stopped and the plots are drawn here.
_WORKER_TIMEOUT = 60.0
_WORKER_MAIN = "from sbmlcrn.training.plots import serve; serve()"


def draw_plots(run: TrainingRun, jobs: Sequence[tuple[str, str | Path]]) -> None:
    """Draw the plots ``jobs`` of ``run`` in this process.

    Parameters
    ----------
    run
        A fresh run (holding its reference run and data).
    jobs
        ``(plot, path)`` pairs; ``plot`` is ``loss``, ``decision`` or ``predictions``.
    """
    for plot, path in jobs:
        if plot not in _PLOTS:
            raise InputError(
                f"The jobs parameter of draw_plots must name plots of {sorted(_PLOTS)}. "
                f"Got {plot!r} instead."
            )
        _PLOTS[plot](run, path)


def _warm_up() -> None:
    """Draw a small figure like the run plots (log axis, legend, markers, the run plots'
    symbols) into memory: matplotlib's first drawing loads fonts and builds its parsers."""
    import io

    from matplotlib.ticker import MaxNLocator

    fig = _figure(4.0, 3.0)
    ax, bx = fig.subplots(1, 2)
    steps = np.arange(1, 4)
    ax.plot(steps, [1.0, 0.1, 0.01], "o-", label="½(ŷ − t)² ‖θ‖ p⁺ − p⁻ R²")
    ax.plot(steps, [1.0, 0.2, 0.02], "x--")
    ax.set_yscale("log")
    ax.set_title("warm-up")
    ax.legend(fontsize="small")
    bx.scatter(steps, steps, s=16, c=CLASS_COLORS[0], marker="^")
    bx.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.savefig(io.BytesIO(), format="png", dpi=_DPI)


def serve() -> None:
    """The main of a :class:`PlotWorker` process: warm matplotlib up, then draw the jobs
    pickled on standard input (``(run, jobs)``); nothing to draw at end of input."""
    _warm_up()
    try:
        run, jobs = pickle.load(sys.stdin.buffer)
    except EOFError:
        return
    draw_plots(run, jobs)
    gc.freeze()  # the parent waits for this process to end: skip the collections at exit


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _idle_processor() -> bool:
    """Whether a processor is likely to be idle: the 1-minute load average is below the
    processors this process may use (True when the load is unknown)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return True
    return load < _cpus()


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.kill()
    if process is not None:
        process.wait()


class PlotWorker:
    """A second process that loads matplotlib while this one trains, then draws the plots.

    Importing matplotlib and its first drawing (fonts, text layout, the tick machinery) cost
    about as much as the simulation of a small run. :meth:`start` launches the worker when
    this process may use two or more processors and one of them is likely idle (on a busy
    machine a second process would only slow the simulation down); it imports and warms
    matplotlib up at once; :meth:`draw` hands it a fresh run's plot jobs and waits for the
    files. Whenever the worker cannot draw them (it did not start, died, timed out, or the run
    could not be sent), they are drawn in this process instead: the same files, and the same
    errors. Use it as a context manager, so an unused worker is stopped.
    """

    def __init__(self, process: subprocess.Popen[bytes] | None = None) -> None:
        self._process = process

    @classmethod
    def start(cls, *, when_idle: bool = True) -> PlotWorker:
        """Launch a worker: none on a single processor, nor with ``when_idle`` while the load
        average says no processor is idle (the plots are then drawn here)."""
        if _cpus() < 2 or (when_idle and not _idle_processor()):
            return cls(None)
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parents[2])  # the directory holding sbmlcrn
        if Path(root).name not in ("site-packages", "dist-packages"):  # a source tree only:
            # an installed package is found anyway, and site-packages first on PYTHONPATH
            # could shadow the standard library in the child
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_MAIN],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        except OSError:
            return cls(None)
        return cls(process)

    @property
    def running(self) -> bool:
        """Whether a worker process is waiting for jobs."""
        return self._process is not None and self._process.poll() is None

    def draw(self, run: TrainingRun, jobs: Sequence[tuple[str, str | Path]]) -> bool:
        """Draw the plots ``jobs`` of ``run`` (see :func:`draw_plots`); the worker is used once.

        Returns
        -------
        bool
            Whether the worker drew them (False: they were drawn in this process).
        """
        process, self._process = self._process, None
        jobs = [(plot, str(path)) for plot, path in jobs]
        try:
            drawn = self._send(process, run, jobs)
        finally:  # whatever happens (even an interrupt), the child is stopped and reaped
            _stop(process)
        if not drawn:
            draw_plots(run, jobs)
        return drawn

    @staticmethod
    def _send(
        process: subprocess.Popen[bytes] | None, run: TrainingRun, jobs: list[tuple[str, str]]
    ) -> bool:
        """Hand ``jobs`` to the worker ``process`` and wait; whether it drew every file."""
        if process is None or not jobs or any(plot not in _PLOTS for plot, _ in jobs):
            return False
        try:  # in memory only and not needed by the plots: the compiled circuit
            payload = pickle.dumps((dataclasses.replace(run, circuit=None), jobs))
        except Exception:  # anything that cannot be sent is drawn in this process instead
            return False
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            process.communicate(payload, timeout=_WORKER_TIMEOUT)
        if process.poll() is None:
            return False
        return process.returncode == 0 and all(Path(path).is_file() for _, path in jobs)

    def close(self) -> None:
        """Stop the worker if it was not used."""
        process, self._process = self._process, None
        _stop(process)

    def __enter__(self) -> PlotWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
