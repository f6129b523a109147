"""What the robustness studies share: their data, the deterministic baseline, metrics, jobs.

Default data (:func:`default_study_data`): the authors' linear-regression run (41 / 101
samples), the authors' linear-classification task (101 training samples, seed 0; 400 test
samples, seed 1), and for the nonlinear circuits the ``sbmlcrn reproduce`` tasks and settings
(``poly-exact``, ``xor-quad``, ``iris``).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.registry import Circuit, Config, circuit_kind, circuit_task, default_config
from sbmlcrn.core.data import (
    Dataset,
    authors_linear_classification,
    authors_linear_regression,
    make_task,
    read_csv,
)
from sbmlcrn.core.network import Network, Parameter
from sbmlcrn.errors import InputError
from sbmlcrn.studies.catalogue import experiment
from sbmlcrn.studies.parallel import parallel_map
from sbmlcrn.training.model import TrainedModel, evaluate, predict
from sbmlcrn.training.pipeline import train

__all__ = [
    "Circuit",
    "Config",
    "StudyData",
    "check_study_options",
    "default_study_data",
    "per_reaction_network",
    "run_jobs",
    "study_data",
]


class StudyResult:
    """Base of the typed study results (dataclasses): ``to_dict()`` is the study's
    ``results.json``, its ``study`` name first, then the fields in order."""

    study: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """The study as the dict its ``results.json`` holds."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        return {"study": self.study, **{f.name: getattr(self, f.name) for f in fields}}


@dataclass(frozen=True)
class StudyData:
    """A circuit, its training and test data and its hyper-parameters."""

    circuit: str
    train: Dataset
    test: Dataset
    config: Config
    label: str

    @property
    def metric(self) -> str:
        """``mse`` (regression) or ``accuracy``."""
        return "mse" if self.circuit.endswith("regression") else "accuracy"

    @property
    def higher_is_better(self) -> bool:
        return self.metric == "accuracy"


def default_study_data(
    circuit: str,
    *,
    data: str | os.PathLike[str] | None = None,
    test: str | os.PathLike[str] | None = None,
    target: str = "y",
    config: Config | None = None,
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
) -> StudyData:
    """The data of a study: the user's CSV files, or the built-in defaults (module docstring).

    With files, ``features``/``drop`` choose the input columns of ``data`` (as ``sbmlcrn
    train``), the test file is read with the same inputs, and a classifier's target may be
    text labels (the training file's sorted labels name the classes of both).
    """
    labels = circuit_task(circuit) != "regression"
    if data is not None:
        if test is None:
            raise InputError("--data needs --test: the studies compare test metrics.")
        train = read_csv(
            data, target=target, min_rows=2, features=features, drop=drop, labels=labels
        )
        tst = read_csv(
            test, target=target, features=train.features, labels=train.class_labels or labels
        )
        return StudyData(circuit, train, tst, config or default_config(circuit), str(data))
    if circuit == "linear-regression":
        train, tst = authors_linear_regression()
        return StudyData(circuit, train, tst, config or LinearConfig(), "authors' linreg run")
    if circuit == "linear-classification":
        train = authors_linear_classification(n=101, seed=0)
        tst = authors_linear_classification(n=400, seed=1)
        return StudyData(circuit, train, tst, config or LinearConfig(), "x1 + 2 x2 > 2")
    slug = {
        "nonlinear-regression": "poly-exact",
        "nonlinear-classification": "xor-quad",
        "nonlinear-multiclass": "iris",
    }[circuit]
    exp = experiment(slug)
    task = make_task(exp.task, 0)
    cfg = config or exp.config
    assert circuit_kind(circuit) == "nonlinear"
    return StudyData(circuit, task.train, task.test, cfg, f"{exp.task} (reproduce {slug})")


def check_study_options(*, workers: int | None = None, runs: int = 1) -> None:
    """Refuse study options below their lower bounds.

    Parameters
    ----------
    workers
        Worker processes (None: one per CPU).
    runs
        Runs per setting.

    Raises
    ------
    InputError
        ``workers`` or ``runs`` is below 1.
    """
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1. Got {workers}.")
    if runs < 1:
        raise InputError(f"--runs must be at least 1. Got {runs}.")


def study_data(
    circuit: str,
    *,
    data: str | os.PathLike[str] | None = None,
    test: str | os.PathLike[str] | None = None,
    target: str = "y",
    epochs: int | None = None,
    annihilation: float | None = None,
    features: Sequence[str] | None = None,
    drop: Sequence[str] | None = None,
) -> StudyData:
    """The data and hyper-parameters of a robustness study (``sbmlcrn robustness``).

    Parameters
    ----------
    circuit
        The circuit's name.
    data, test, target
        The user's training and test CSV files and target column, or (``data`` None) the
        built-in defaults of :func:`default_study_data`.
    epochs, annihilation
        Replace the config's ``epochs`` and ``annihilation`` (None: keep them). With user data
        the config is the circuit's default, with the built-in data the default data's own.
    features, drop
        The input columns of the user's data (:func:`default_study_data`).

    Returns
    -------
    StudyData
        The study's circuit, data, config and label.

    Raises
    ------
    InputError
        An unknown circuit, unreadable data, or ``data`` without ``test``.
    """
    sd = default_study_data(
        circuit,
        data=data,
        test=test,
        target=target,
        config=default_config(circuit) if data is not None else None,
        features=features,
        drop=drop,
    )
    changes: dict[str, Any] = {}
    if epochs is not None:
        changes["epochs"] = epochs
    if annihilation is not None:
        changes["annihilation"] = annihilation
    if changes:
        sd = dataclasses.replace(sd, config=dataclasses.replace(sd.config, **changes))
    return sd


def per_reaction_network(network: Network, factors: Mapping[str, float] | None = None) -> Network:
    """``network`` with one rate constant per reaction, ``kr_<reaction id>``, multiplied by
    ``factors[reaction id]`` (default 1). With every factor 1 the dynamics are unchanged."""
    factors = dict(factors or {})
    unknown = sorted(set(factors) - {r.id for r in network.reactions})
    if unknown:
        raise InputError(f"No reactions {unknown[:5]} in network {network.id!r}.")
    values = {p.id: p.value for p in network.parameters}
    used = {r.rate for r in network.reactions}
    params = [p for p in network.parameters if p.id not in used]
    reactions = []
    for r in network.reactions:
        pid = f"kr_{r.id}"
        params.append(Parameter(pid, values[r.rate] * float(factors.get(r.id, 1.0))))
        reactions.append(dataclasses.replace(r, rate=pid))
    return dataclasses.replace(network, parameters=tuple(params), reactions=tuple(reactions))


# --------------------------------------------------------------------------- metrics


def trained_model(sd: StudyData, compiled: Circuit, theta: np.ndarray) -> TrainedModel:
    """The trained model of ``compiled`` with the learned parameters ``theta``."""
    return TrainedModel(
        sd.circuit,
        compiled.features,
        compiled.config,
        compiled.feature_map,
        dict(zip(compiled.parameter_names, map(float, theta), strict=True)),
        getattr(compiled, "classes", ()),
    )


def study_metric(
    sd: StudyData,
    compiled: Circuit,
    theta: np.ndarray,
    factors: Mapping[str, float] | None = None,
) -> float:
    """The test metric of ``theta``, inferred with the forward reactions scaled by
    ``factors`` (reaction id → factor; default: unperturbed)."""
    model = trained_model(sd, compiled, theta)
    net = per_reaction_network(model.inference_network(), factors) if factors else None
    preds = predict(model, sd.test.x, network=net)
    return float(evaluate(model.task, preds, sd.test, compiled.config)[sd.metric])


def deterministic(sd: StudyData) -> dict[str, Any]:
    """The ordinary event-gated, deterministic run (checked against the reference)."""
    run = train(sd.circuit, sd.train, test=sd.test, config=sd.config)
    assert run.test is not None
    return {
        "theta": [float(v) for v in run.parameters.values()],
        "names": list(run.parameters),
        "metric": float(run.test[sd.metric]),
        "max_abs_deviation_vs_reference": run.max_abs_deviation,
        "network": run.circuit.network.stats(),
    }


def run_jobs(
    jobs: list[tuple[Any, ...]],
    fn: Callable[..., dict[str, Any]],
    workers: int | None,
    progress: Callable[[str], None] | None,
) -> list[dict[str, Any]]:
    """Run a study's jobs (``fn(*job)``, each returning a dict with a ``label``) in worker
    processes (default: one per CPU, at most one per job), reporting each result in order."""
    say = progress or (lambda _m: None)
    n_workers = max(1, min(workers or len(os.sched_getaffinity(0)), len(jobs)))
    t0 = time.perf_counter()

    def report(i: int, result: dict[str, Any]) -> None:
        say(f"[{i + 1}/{len(jobs)}, {time.perf_counter() - t0:.0f} s] {result['label']}")

    return parallel_map(fn, jobs, n_workers, on_result=report)


def summary(values: Sequence[float]) -> dict[str, float]:
    """Mean, sample standard deviation and count of ``values``."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return {"mean": math.nan, "std": math.nan, "n": 0}
    return {
        "mean": float(np.mean(arr)),
        "std": float(np.std(arr, ddof=1)) if arr.size > 1 else 0.0,
        "n": int(arr.size),
    }


def config_dict(cfg: Config) -> dict[str, Any]:
    """``cfg`` as the ``config`` entry of a study's ``results.json``."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}
