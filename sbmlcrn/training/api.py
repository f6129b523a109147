"""The notebook-friendly entry point behind :func:`sbmlcrn.train`: data as a CSV path, a
DataFrame or a :class:`~sbmlcrn.core.data.Dataset`; hyper-parameters as keyword options;
an optional output directory."""

from __future__ import annotations

import dataclasses
import difflib
import os
from typing import Any

from sbmlcrn.circuits.registry import circuit_spec, circuit_task
from sbmlcrn.core.data import Dataset, as_dataset
from sbmlcrn.errors import InputError
from sbmlcrn.training.pipeline import train as run_pipeline
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.store import check_out_dir, save_run

__all__ = ["PIPELINE_OPTIONS", "train"]

#: Keyword options of :func:`train` that go to the pipeline rather than the circuit's config.
PIPELINE_OPTIONS = frozenset(
    {
        "engine",
        "clock",
        "clock_config",
        "molecules",
        "seed",
        "ssa_seed",
        "tolerances",
        "progress",
        "max_deviation",
        "checkpoint",
        "max_reactions",
    }
)


def train(
    circuit: str,
    data: Dataset | str | os.PathLike[str] | Any,
    *,
    test: Dataset | str | os.PathLike[str] | Any | None = None,
    out: str | os.PathLike[str] | None = None,
    target: str = "y",
    config: Any = None,
    plots: bool = True,
    **options: Any,
) -> TrainingRun:
    """Train a Neural CRN: compile ``circuit`` on ``data``, simulate its SBML model, read what
    the chemistry learned.

    Parameters
    ----------
    circuit
        ``linear-regression``, ``linear-classification``, ``nonlinear-regression``,
        ``nonlinear-classification`` or ``nonlinear-multiclass``.
    data, test
        Training (and optional held-out) data: a CSV path, a pandas DataFrame or a
        :class:`~sbmlcrn.core.data.Dataset`; the ``target`` column is the target, every other
        column an input. The test metric is computed by the CRN inference network.
    out
        If given, the run directory to write (``model.xml``, ``model.ant``, ``result.json``,
        plots); checked before training, written atomically after it.
    target
        Name of the target column of tables.
    config
        A ready :class:`~sbmlcrn.circuits.linear.LinearConfig`,
        :class:`~sbmlcrn.circuits.products.ProductConfig` (the default design of the
        ``nonlinear-*`` circuits) or :class:`~sbmlcrn.circuits.nonlinear.NonlinearConfig`
        (``design="node"``, the paper's circuits); or give its fields as options
        (``design="node"`` selects the paper's circuits' options).
    plots
        Write plots into ``out``.
    **options
        Fields of the circuit's config (``epochs``, ``lr``, ``horizon``, ``seed``, …) and the
        pipeline's options (``engine``, ``clock``, ``molecules``, ``tolerances``, ``progress``,
        … — see :func:`sbmlcrn.training.pipeline.train`). ``ssa_seed`` is the stochastic
        engine's seed (the pipeline's ``seed``; ``seed`` itself is the config's, which draws
        the initial parameters), as ``--ssa-seed`` on the command line.

    Returns
    -------
    TrainingRun
        ``.parameters``, ``.effective_model``, ``.test``, ``.predict(X)``, ``.network``,
        ``.roadrunner()``.
    """
    spec = circuit_spec(circuit)
    design = options.get("design")
    if config is not None and design is None:
        design = getattr(config, "design", None)
    config_class = spec.family_for(design).config_class
    fields = {f.name for f in dataclasses.fields(config_class)}
    pipeline = {k: v for k, v in options.items() if k in PIPELINE_OPTIONS and k not in fields}
    settings = {k: v for k, v in options.items() if k in fields}
    unknown = sorted(set(options) - set(pipeline) - set(settings))
    if "ssa_seed" in pipeline:  # ``seed`` is the config's (initial parameters) in every circuit
        pipeline["seed"] = pipeline.pop("ssa_seed")
    if unknown:
        known = sorted(fields | PIPELINE_OPTIONS)
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"train got an unknown option {unknown[0]!r} for circuit {circuit!r}; options are "
            f"the fields of {config_class.__name__} and {', '.join(sorted(PIPELINE_OPTIONS))}."
            f"{hint}"
        )
    if config is not None and settings:
        raise InputError(
            "The config parameter of train must not be combined with config fields given as "
            f"options. Got config and {', '.join(sorted(settings))}."
        )
    if config is None:
        try:
            config = config_class(**settings)
        except TypeError as exc:
            raise InputError(f"Invalid options for {config_class.__name__}: {exc}.") from None
    if out is not None:
        check_out_dir(out)
    labels = circuit_task(circuit) != "regression"  # text class labels, sorted
    train_data = as_dataset(data, target=target, parameter="data", labels=labels)
    test_labels = train_data.class_labels or labels  # the training data's mapping
    test_data = (
        None
        if test is None
        else as_dataset(test, target=target, parameter="test", labels=test_labels)
    )
    run = run_pipeline(circuit, train_data, test=test_data, config=config, **pipeline)
    if out is not None:
        save_run(run, out, plots=plots)
    return run
