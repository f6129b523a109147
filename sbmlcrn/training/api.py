"""The notebook-friendly entry point behind :func:`sbmlcrn.train`: data as a CSV path, a
DataFrame or a :class:`~sbmlcrn.core.data.Dataset`; hyper-parameters as keyword options;
an optional output directory."""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path
from typing import Any

from sbmlcrn.circuits.registry import circuit_spec
from sbmlcrn.core.data import Dataset, as_dataset
from sbmlcrn.errors import InputError
from sbmlcrn.training.pipeline import train as run_pipeline
from sbmlcrn.training.run import TrainingRun
from sbmlcrn.training.store import check_out_dir, save_run

__all__ = ["PIPELINE_OPTIONS", "check_writable", "train"]

#: Keyword options of :func:`train` that go to the pipeline rather than the circuit's config.
PIPELINE_OPTIONS = frozenset(
    {
        "engine",
        "clock",
        "clock_config",
        "molecules",
        "seed",
        "tolerances",
        "progress",
        "max_deviation",
        "checkpoint",
        "max_reactions",
    }
)


def check_writable(out: str | os.PathLike[str], *, option: str = "out") -> None:
    """Refuse, before training, an output location the run could not write.

    The run directory is written through a temporary sibling and the checkpoint lives beside
    it, so the nearest existing ancestor of ``out``'s parent must be a writable, searchable
    directory (and ``out`` itself, when it is an existing directory). Without this check an
    unwritable location was found only after the whole training.

    Parameters
    ----------
    out
        The output directory (it need not exist).
    option
        The option or parameter naming it, used in the message (``--out`` on the CLI).

    Raises
    ------
    InputError
        The location is not writable.
    """
    target = Path(os.path.abspath(os.fspath(out)))
    places = [target] if os.path.isdir(target) else []
    ancestor = target.parent
    while not os.path.exists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    places.append(ancestor)
    for place in places:
        if os.path.isdir(place) and not os.access(place, os.W_OK | os.X_OK):
            raise InputError(
                f"{option} {os.fspath(out)}: cannot be written ({place} is not writable by "
                "this user); choose another output directory."
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
        A ready :class:`~sbmlcrn.circuits.linear.LinearConfig` or
        :class:`~sbmlcrn.circuits.nonlinear.NonlinearConfig`; or give its fields as options.
    plots
        Write plots into ``out``.
    **options
        Fields of the circuit's config (``epochs``, ``lr``, ``horizon``, ``seed``, …) and the
        pipeline's options (``engine``, ``clock``, ``molecules``, ``tolerances``, ``progress``,
        … — see :func:`sbmlcrn.training.pipeline.train`).

    Returns
    -------
    TrainingRun
        ``.parameters``, ``.effective_model``, ``.test``, ``.predict(X)``, ``.network``,
        ``.roadrunner()``.
    """
    spec = circuit_spec(circuit)
    config_class = spec.family.config_class
    fields = {f.name for f in dataclasses.fields(config_class)}
    pipeline = {k: v for k, v in options.items() if k in PIPELINE_OPTIONS and k not in fields}
    settings = {k: v for k, v in options.items() if k in fields}
    unknown = sorted(set(options) - set(pipeline) - set(settings))
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
        check_writable(out)
    train_data = as_dataset(data, target=target, parameter="data")
    test_data = None if test is None else as_dataset(test, target=target, parameter="test")
    run = run_pipeline(circuit, train_data, test=test_data, config=config, **pipeline)
    if out is not None:
        save_run(run, out, plots=plots)
    return run
