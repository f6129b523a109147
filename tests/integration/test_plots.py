"""The run plots (issue 17, friction 7): decision regions with test accuracy, misclassified
points and a confusion matrix; predicted vs measured with R² and the CLI's MSE, residuals and
the fitted curve; the loss plot's honest label, the parameters over simulated time (raw units
where they exist) and a training metric without a test set; legends off the data; the same
bytes for the same run; and their small pure helpers.

Tiny fresh runs are trained here (the session fixtures of ``conftest.py`` are runs read back
from disk, which no longer hold the data the plots need); each trains in well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sbmlcrn.core.data import Dataset
from sbmlcrn.errors import InputError
from sbmlcrn.training import plots
from sbmlcrn.training.pipeline import train
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.store import load_run, save_run
from tests.helpers import linear_data, separable_data, tiny_training

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _split(data: Dataset, n_train: int, target: str) -> tuple[Dataset, Dataset]:
    y = data.y
    assert y is not None
    train_set = Dataset(data.features, data.x[:n_train], y[:n_train], target)
    test_set = Dataset(data.features, data.x[n_train:], y[n_train:], target)
    return train_set, test_set


def _three_blobs(n: int, *, seed: int) -> Dataset:
    """Three 2-D clusters labelled 0, 1, 2 (alternating), target column ``kind``."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n) % 3).astype(float)
    centres = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 2.0]])
    x = centres[y.astype(int)] + rng.normal(0.0, 0.3, size=(n, 2))
    return Dataset(("width", "height"), x, y, "kind")


@pytest.fixture(scope="module")
def binary_run() -> TrainingRun:
    data = separable_data(16, seed=2)
    train_set, test_set = _split(data, 8, "label")
    return train(
        "linear-classification",
        train_set,
        test=test_set,
        config=tiny_training("linear-classification")[1],
    )


@pytest.fixture(scope="module")
def multiclass_run() -> TrainingRun:
    train_set, test_set = _split(_three_blobs(15, seed=3), 9, "kind")
    config = tiny_training("nonlinear-multiclass")[1]
    return train("nonlinear-multiclass", train_set, test=test_set, config=config)


@pytest.fixture(scope="module")
def curve_run() -> TrainingRun:
    """Linear regression with one input (``dose`` → ``response``) and a test set."""
    data, _, _ = linear_data(14, 1, seed=1, noise=0.1)
    assert data.y is not None
    full = Dataset(("dose",), data.x, data.y, "response")
    train_set, test_set = _split(full, 8, "response")
    return train(
        "linear-regression", train_set, test=test_set, config=tiny_training("linear-regression")[1]
    )


@pytest.fixture(scope="module")
def no_test_run() -> TrainingRun:
    """Linear regression with two inputs and no test set."""
    data, config = tiny_training("linear-regression")
    return train("linear-regression", data, config=config)


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The figures the plot functions save, for looking at their texts."""
    seen: list[Any] = []
    save = plots._save

    def keep(fig: Any, path: str | Path) -> Path:
        seen.append(fig)
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return seen


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 5000


def _legend(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --- pure helpers ------------------------------------------------------------------------------


def test_r_squared() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert plots.r_squared(y, y) == 1.0
    assert plots.r_squared(y, np.full(4, y.mean())) == pytest.approx(0.0)
    assert plots.r_squared(y, y[::-1]) == pytest.approx(1.0 - 20.0 / 5.0)
    assert np.isnan(plots.r_squared(np.ones(3), np.zeros(3)))
    with pytest.raises(InputError, match="predicted parameter of r_squared"):
        plots.r_squared(y, y[:3])


def test_misclassified_and_balanced_accuracy() -> None:
    y = np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    p = np.array([0.0, 0.0, 0.0, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(plots.misclassified(y, p), [0, 0, 0, 1, 0, 1])
    assert plots.balanced_accuracy(y, p) == pytest.approx(0.5 * (0.75 + 0.5))
    assert plots.balanced_accuracy(y, y) == 1.0
    assert np.isnan(plots.balanced_accuracy(np.array([]), np.array([])))
    with pytest.raises(InputError, match="predicted parameter of misclassified"):
        plots.misclassified(y, p[:2])


def test_class_label_prints_the_data_values() -> None:
    assert plots.class_label("species", 2.0) == "species = 2"
    assert plots.class_label(None, 1.0) == "y = 1"
    assert plots.class_label("t", 0.5) == "t = 0.5"


# --- plots -------------------------------------------------------------------------------------


def test_decision_plot_binary_shows_accuracy_and_misclassified(
    binary_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    out = plots.plot_decision(binary_run, tmp_path / "decision.png", resolution=20)
    assert _is_png(out)
    ax = figures[-1].axes[0]
    assert "test accuracy" in ax.get_title() and "balanced" in ax.get_title()
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    test = binary_run.test_data
    assert test is not None and test.y is not None and binary_run.test_predictions is not None
    wrong = int(np.sum(binary_run.test_predictions != test.y))
    legend = _legend(ax)
    assert legend[:2] == ["label = 0", "label = 1"]
    assert f"misclassified ({wrong} of {len(test)})" in legend
    assert len(legend) == 5  # two classes, training, test, misclassified


def test_decision_plot_multiclass_names_the_classes(
    multiclass_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    out = plots.plot_decision(multiclass_run, tmp_path / "decision.png", resolution=12)
    assert _is_png(out)
    ax = figures[-1].axes[0]
    legend = _legend(ax)
    assert legend[:3] == ["kind = 0", "kind = 1", "kind = 2"]
    assert any(t.startswith("misclassified (") and t.endswith(" of 6)") for t in legend)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("width", "height")


def test_decision_plot_without_test_set(tmp_path: Path, figures: list[Any]) -> None:
    data, config = tiny_training("linear-classification")
    run = train("linear-classification", data, config=config)
    assert _is_png(plots.plot_decision(run, tmp_path / "d.png", resolution=10))
    ax = figures[-1].axes[0]
    assert "no test set" in ax.get_title()
    assert not any(t.startswith("misclassified") for t in _legend(ax))


def test_regression_plot_one_input_has_fitted_curve(
    curve_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    assert _is_png(plots.plot_predictions(curve_run, tmp_path / "p.png", points=25))
    fig = figures[-1]
    ax, rx, bx = fig.axes
    assert ax.get_xlabel() == "response (measured)"
    assert ax.get_ylabel() == "response (predicted)"
    test = curve_run.test_data
    assert test is not None and test.y is not None and curve_run.test_predictions is not None
    r2 = plots.r_squared(test.y, curve_run.test_predictions)
    assert f"R² = {r2:.3f}" in ax.get_title() and "test set" in ax.get_title()
    assert curve_run.test is not None
    # the quantity and the name the CLI prints (``test mse = …``), never ½MSE
    assert f"MSE = {curve_run.test['mse']:.4g} (response units²)" in ax.get_title()
    assert "½" not in ax.get_title()
    assert bx.get_xlabel() == "dose" and bx.get_ylabel() == "response"
    (line,) = bx.get_lines()
    assert len(line.get_xdata()) == 25
    # residuals: measured − predicted against the prediction
    assert rx.get_ylabel().startswith("residual") and rx.get_xlabel() == "response (predicted)"
    offsets = np.asarray(rx.collections[0].get_offsets())
    np.testing.assert_allclose(offsets[:, 0], curve_run.test_predictions)
    np.testing.assert_allclose(offsets[:, 1], test.y - curve_run.test_predictions)
    assert "RMSE" in rx.get_title()


def test_regression_plot_without_test_uses_training_set(
    no_test_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    assert _is_png(plots.plot_predictions(no_test_run, tmp_path / "p.png"))
    ax, rx = figures[-1].axes
    assert "training set" in ax.get_title() and "R² = " in ax.get_title()
    assert "MSE = " in ax.get_title()
    assert ax.get_xlabel() == "y (measured)" and rx.get_ylabel().startswith("residual")


def test_loss_plot_labels_the_loss(
    curve_run: TrainingRun, binary_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    assert _is_png(plots.plot_loss(curve_run, tmp_path / "loss.png"))
    label = figures[-1].axes[0].get_ylabel()
    # the training loss is ½MSE on the standardised target, and says so
    assert label.startswith("training loss: ½MSE") and "standardised target" in label
    assert "class values" in plots.loss_label(binary_run)


def test_plots_refuse_runs_they_cannot_draw(binary_run: TrainingRun, tmp_path: Path) -> None:
    saved = save_run(binary_run, tmp_path / "run", plots=False)
    loaded = load_run(saved)
    with pytest.raises(InputError, match="fresh run holding its training data"):
        plots.plot_decision(loaded, tmp_path / "d.png")
    with pytest.raises(InputError, match="fresh run holding its reference run"):
        plots.plot_loss(loaded, tmp_path / "l.png")
    x = np.random.default_rng(5).normal(size=(8, 3))
    three = Dataset(("a", "b", "c"), x, (np.arange(8) % 2).astype(float), "y")
    run = train("linear-classification", three, config=tiny_training("linear-classification")[1])
    with pytest.raises(InputError, match=r"must be a run with 2 inputs\. Got 3 inputs"):
        plots.plot_decision(run, tmp_path / "d.png")


def test_save_run_writes_the_plots(
    binary_run: TrainingRun, curve_run: TrainingRun, tmp_path: Path
) -> None:
    out = save_run(binary_run, tmp_path / "cls", plots=True)
    assert _is_png(out / "loss.png") and _is_png(out / "decision.png")
    out = save_run(curve_run, tmp_path / "reg", plots=True)
    assert _is_png(out / "predictions.png") and not (out / "decision.png").exists()


# --- friction 7: what a scientist looks for -----------------------------------------------------


def _cells(ax: Any) -> list[int]:
    """The counts written in a confusion-matrix panel."""
    return [int(t.get_text()) for t in ax.texts]


def _ticks(ax: Any, axis: str) -> list[str]:
    labels = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in labels]


def _legend_clear_of_data(fig: Any, ax: Any) -> bool:
    """Whether the legend of ``ax`` lies outside the axes (drawn with the Agg renderer)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box = ax.get_legend().get_window_extent(renderer)
    return not box.overlaps(ax.get_window_extent(renderer))


def test_decision_plot_has_a_confusion_matrix(
    binary_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    plots.plot_decision(binary_run, tmp_path / "d.png", resolution=10)
    fig = figures[-1]
    ax, cx = fig.axes
    test = binary_run.test_data
    assert test is not None and test.y is not None and binary_run.test_predictions is not None
    expected = plots.confusion_matrix(test.y, binary_run.test_predictions, [0.0, 1.0])
    assert _cells(cx) == expected.ravel().tolist() and sum(_cells(cx)) == len(test)
    assert _ticks(cx, "x") == ["0", "1"] and _ticks(cx, "y") == ["0", "1"]
    assert (cx.get_xlabel(), cx.get_ylabel()) == ("predicted label", "true label")
    assert "balanced" in cx.get_title() and "majority-class baseline" in cx.get_title()
    assert _legend_clear_of_data(fig, ax)


def test_text_labels_name_the_classes_everywhere(tmp_path: Path, figures: list[Any]) -> None:
    data = separable_data(16, seed=2)
    assert data.y is not None
    labels = ("benign", "tumor")
    train_set = Dataset(data.features, data.x[:10], data.y[:10], "diagnosis", class_labels=labels)
    test_set = Dataset(data.features, data.x[10:], data.y[10:], "diagnosis", class_labels=labels)
    config = tiny_training("linear-classification")[1]
    run = train("linear-classification", train_set, test=test_set, config=config)
    plots.plot_decision(run, tmp_path / "d.png", resolution=10)
    ax, cx = figures[-1].axes
    assert _legend(ax)[:2] == ["diagnosis = benign", "diagnosis = tumor"]
    assert _ticks(cx, "y") == ["benign", "tumor"] and cx.get_ylabel() == "true diagnosis"
    plots.plot_loss(run, tmp_path / "l.png")
    train_cx = figures[-1].axes[2]
    assert _ticks(train_cx, "x") == ["benign", "tumor"]
    assert sum(_cells(train_cx)) == len(train_set)


def test_loss_plot_reports_a_training_metric_without_test_set(
    no_test_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    plots.plot_loss(no_test_run, tmp_path / "l.png")
    _, _, mx, rx = figures[-1].axes
    data = no_test_run.train_data
    assert data is not None and data.y is not None
    pred = no_test_run.predict(data.x)
    mse = float(np.mean((pred - data.y) ** 2))
    assert "training set (n = 8)" in mx.get_title()
    assert f"R² = {plots.r_squared(data.y, pred):.3f}, MSE = {mse:.4g}" in mx.get_title()
    assert rx.get_ylabel().startswith("residual")


def test_classifier_loss_plot_has_confusion_matrices_and_baseline(
    multiclass_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    plots.plot_loss(multiclass_run, tmp_path / "l.png")
    _, _, cx, tx = figures[-1].axes
    assert "training set (n = 9)" in cx.get_title() and sum(_cells(cx)) == 9
    assert "test set (n = 6)" in tx.get_title() and sum(_cells(tx)) == 6
    for panel in (cx, tx):
        assert "accuracy" in panel.get_title()
        assert "majority-class baseline (0)" in panel.get_title()
        assert _ticks(panel, "y") == ["0", "1", "2"]


def test_classifier_loss_plot_without_test_set_says_so(tmp_path: Path, figures: list[Any]) -> None:
    data, config = tiny_training("linear-classification")
    run = train("linear-classification", data, config=config)
    plots.plot_loss(run, tmp_path / "l.png")
    _, _, cx, note = figures[-1].axes
    assert "training set" in cx.get_title() and "accuracy" in cx.get_title()
    assert "no test set" in note.texts[0].get_text()


def test_parameters_over_simulated_time_in_raw_units(
    curve_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    plots.plot_loss(curve_run, tmp_path / "l.png")
    fig = figures[-1]
    px = fig.axes[1]
    assert px.get_xlabel().startswith("simulated time")
    assert "raw units" in px.get_title()
    lines = {line.get_label(): line for line in px.get_lines()}
    assert set(lines) == {"dose", "constant"}
    effective = curve_run.effective_model
    assert effective is not None
    dose = lines["dose"]
    assert dose.get_xdata()[-1] == pytest.approx(curve_run.training_end_time)
    assert dose.get_ydata()[-1] == pytest.approx(effective["coef"]["dose"], rel=1e-9)
    assert lines["constant"].get_ydata()[-1] == pytest.approx(effective["intercept"], rel=1e-9)
    assert _legend_clear_of_data(fig, px)
    curve = fig.axes[4]  # one input: the fitted curve, with or without predictions.png
    assert (curve.get_xlabel(), curve.get_ylabel()) == ("dose", "response")


def test_many_parameters_show_the_largest_few_outside_the_axes(
    multiclass_run: TrainingRun, tmp_path: Path, figures: list[Any]
) -> None:
    plots.plot_loss(multiclass_run, tmp_path / "l.png")
    fig = figures[-1]
    px = fig.axes[1]
    n = len(multiclass_run.parameters)
    assert n > 8
    legend = _legend(px)
    assert len(legend) <= 8 and legend[0] == f"{n - 6} smaller (grey)"
    assert f"largest 6 of {n} named" in px.get_title()
    final = {k: abs(v) for k, v in multiclass_run.parameters.items()}
    largest = sorted(final, key=lambda k: -final[k])[:6]
    assert legend[1:] == [f"θ[{k}]" for k in largest]
    assert _legend_clear_of_data(fig, px)


def test_same_run_gives_the_same_bytes(
    curve_run: TrainingRun, multiclass_run: TrainingRun, tmp_path: Path
) -> None:
    for run, jobs in (
        (curve_run, ("loss", "predictions")),
        (multiclass_run, ("loss", "decision")),
    ):
        for name in jobs:
            first, second = tmp_path / f"{name}1.png", tmp_path / f"{name}2.png"
            plots.draw_plots(run, [(name, first)])
            plots.draw_plots(run, [(name, second)])
            assert first.read_bytes() == second.read_bytes(), name


def test_worker_draws_the_same_files_as_this_process(
    curve_run: TrainingRun, tmp_path: Path
) -> None:
    jobs = [("loss", "loss.png"), ("predictions", "predictions.png")]
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    plots.draw_plots(curve_run, [(plot, here / f) for plot, f in jobs])
    with plots.PlotWorker.start(when_idle=False) as worker:
        worker.draw(curve_run, [(plot, there / f) for plot, f in jobs])
    for _, f in jobs:
        assert (here / f).read_bytes() == (there / f).read_bytes(), f
