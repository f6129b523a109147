"""The circuit registry: every circuit's name, task and family, and what each family provides.

A *family* groups the circuits that share one builder (``linear``, ``nonlinear``): its config
class, its compiler, its inference network, the numpy reference of its learning rule, and how
prediction loads a sample. A *circuit* is a family applied to a task (``linear-regression``,
``nonlinear-multiclass``, …). Code above this layer asks the registry instead of branching on
the circuit's type; a new circuit is one builder module plus one entry in :data:`FAMILIES`
and :data:`CIRCUITS`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from sbmlcrn.circuits.linear import (
    LinearCircuit,
    LinearConfig,
    compile_linear,
    encode_targets,
    inference_network,
)
from sbmlcrn.circuits.nonlinear import (
    NonlinearCircuit,
    NonlinearConfig,
    compile_nonlinear,
    encode_labels,
    nonlinear_inference_network,
    topology,
)
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network
from sbmlcrn.errors import InputError
from sbmlcrn.reference import RailModel, ReferenceRun, linear_sgd, nonlinear_sgd, rail_sgd

__all__ = [
    "CIRCUITS",
    "FAMILIES",
    "REGISTRY",
    "Circuit",
    "CircuitSpec",
    "Config",
    "Family",
    "circuit_kind",
    "circuit_spec",
    "circuit_task",
    "compile_circuit",
    "default_config",
    "family_of",
    "reference_run",
]

#: Every compiled circuit (the one place this union is declared).
Circuit = LinearCircuit | NonlinearCircuit
#: Every circuit configuration (the one place this union is declared).
Config = LinearConfig | NonlinearConfig


@np.errstate(over="ignore", invalid="ignore")  # a diverging SGD is reported, not warned about
def _linear_reference(circuit: LinearCircuit) -> ReferenceRun:
    cfg = circuit.config
    return linear_sgd(
        circuit.inputs,
        circuit.targets,
        circuit.theta0,
        horizon=cfg.horizon,
        lr=float(cfg.lr),  # type: ignore[arg-type]
        epochs=cfg.epochs,
        bias=cfg.bias,
    )


@np.errstate(over="ignore", invalid="ignore")
def _nonlinear_reference(circuit: NonlinearCircuit) -> ReferenceRun:
    cfg = circuit.config
    if cfg.square == "per-rail":  # the rail-level ODE the chemistry runs (reference.rails)
        assert cfg.backward is not None and cfg.lr is not None  # resolved by the compiler
        rails = RailModel(circuit.model(), cfg.annihilation, cfg.backward, cfg.lr)
        return rail_sgd(rails, circuit.inputs, circuit.targets, circuit.theta0, epochs=cfg.epochs)
    return nonlinear_sgd(
        circuit.model(),
        circuit.inputs,
        circuit.targets,
        circuit.theta0,
        lr=float(circuit.config.lr),  # type: ignore[arg-type]
        epochs=circuit.config.epochs,
    )


def _linear_loads(
    task: str, config: LinearConfig, x_tilde: np.ndarray, n_inputs: int, n_classes: int
) -> dict[str, np.ndarray]:
    return {f"x{j + 1}": x_tilde[:, j] for j in range(n_inputs)}


def _nonlinear_loads(
    task: str, config: NonlinearConfig, x_tilde: np.ndarray, n_inputs: int, n_classes: int
) -> dict[str, np.ndarray]:
    loads = {f"x{j + 1}": x_tilde[:, j] for j in range(n_inputs)}
    aug = config.augmentation is not None
    top = topology(task, x_tilde.shape[1], aug, max(n_classes, 2))
    for i, unit in enumerate(top.units):
        src = top.sources[i]
        if src >= 0 and top.channels[src] != "b":
            loads[f"z{unit}"] = x_tilde[:, src]
    return loads


def _linear_inference(
    task: str, theta: Sequence[float], config: LinearConfig, n_inputs: int, n_classes: int
) -> Network:
    return inference_network(task, theta, config, n_inputs)


def _linear_test_labels(
    task: str, y: np.ndarray, circuit: LinearCircuit | None, config: LinearConfig, source: str
) -> None:
    encode_targets(task, y, config, source=source)


def _nonlinear_test_labels(
    task: str,
    y: np.ndarray,
    circuit: NonlinearCircuit | None,
    config: NonlinearConfig,
    source: str,
) -> None:
    if circuit is not None and task != "regression":
        encode_labels(task, y, circuit.config, circuit.classes, source)


@dataclass(frozen=True)
class Family:
    """What one family of circuits provides to the layers above.

    Attributes
    ----------
    name
        ``linear`` or ``nonlinear``.
    tasks
        The tasks the family compiles.
    config_class, circuit_class
        Its configuration and compiled-circuit classes.
    compile
        ``compile(task, data, config) -> circuit``: the training network.
    reference
        ``reference(circuit) -> ReferenceRun``: the numpy SGD the chemistry must equal.
    inference
        ``inference(task, theta, config, n_inputs, n_classes) -> Network``: forward only.
    loads
        ``loads(task, config, x_tilde, n_inputs, n_classes)``: species base → one loaded
        value per sample for the inference network (each becomes the rails
        ``base_p``/``base_m``); ``x_tilde`` holds the loaded inputs (and the augmentation).
    check_test_labels
        ``check(task, y, circuit_or_None, config, source)`` raises
        :class:`~sbmlcrn.errors.DataError` for test labels the circuit cannot score (before
        compiling, ``circuit`` is None; after it, the circuit's resolved classes are known).
    """

    name: str
    tasks: tuple[str, ...]
    config_class: type
    circuit_class: type
    compile: Callable[[str, Dataset, Config], Circuit]
    reference: Callable[[Circuit], ReferenceRun]
    inference: Callable[[str, Sequence[float], Config, int, int], Network]
    loads: Callable[[str, Config, np.ndarray, int, int], dict[str, np.ndarray]]
    check_test_labels: Callable[[str, np.ndarray, Circuit | None, Config, str], None]


FAMILIES: Mapping[str, Family] = {
    "linear": Family(
        "linear",
        ("regression", "classification"),
        LinearConfig,
        LinearCircuit,
        compile_linear,  # type: ignore[arg-type]
        _linear_reference,  # type: ignore[arg-type]
        _linear_inference,  # type: ignore[arg-type]
        _linear_loads,  # type: ignore[arg-type]
        _linear_test_labels,  # type: ignore[arg-type]
    ),
    "nonlinear": Family(
        "nonlinear",
        ("regression", "classification", "multiclass"),
        NonlinearConfig,
        NonlinearCircuit,
        compile_nonlinear,  # type: ignore[arg-type]
        _nonlinear_reference,  # type: ignore[arg-type]
        nonlinear_inference_network,  # type: ignore[arg-type]
        _nonlinear_loads,  # type: ignore[arg-type]
        _nonlinear_test_labels,  # type: ignore[arg-type]
    ),
}


@dataclass(frozen=True)
class CircuitSpec:
    """One registered circuit: its name, its task and its family."""

    name: str
    task: str
    family: Family

    def default_config(self) -> Config:
        """The default hyper-parameters."""
        return self.family.config_class()  # type: ignore[no-any-return]

    def check_config(self, config: Config | None, *, caller: str = "train") -> Config:
        """``config``, or the default when None; a config of another family is refused."""
        if config is None:
            return self.default_config()
        want = self.family.config_class
        if not isinstance(config, want):
            raise InputError(
                f"The config parameter of {caller} must be a {want.__name__} for circuit "
                f"{self.name!r}. Got {type(config).__name__} instead."
            )
        return config

    def parameter_count(self, config: Config, n_inputs: int, n_classes: int = 2) -> int:
        """How many parameters the circuit has for ``n_inputs`` inputs (and ``n_classes``).

        One per loaded channel (the inputs and the constant) for linear circuits and nonlinear
        regression, one per pair of channels for nonlinear classification, one per class and
        channel for multiclass: the connections of
        :func:`~sbmlcrn.circuits.nonlinear_model.topology`, counted without building them (a
        size check or a tampered record may ask about 10⁵ inputs).
        """
        channels = n_inputs + int(config.augmentation is not None)
        if self.family.name == "linear" or self.task == "regression":
            return channels
        if self.task == "classification":
            return channels * channels
        return max(n_classes, 2) * channels

    def compile(self, data: Dataset, config: Config | None = None) -> Circuit:
        """The training network of this circuit on ``data`` with ``config``."""
        return self.family.compile(self.task, data, self.check_config(config, caller="compile"))


#: Every circuit's specification, by name.
REGISTRY: Mapping[str, CircuitSpec] = {
    f"{family}-{task}": CircuitSpec(f"{family}-{task}", task, FAMILIES[family])
    for family, task in (
        ("linear", "regression"),
        ("linear", "classification"),
        ("nonlinear", "regression"),
        ("nonlinear", "classification"),
        ("nonlinear", "multiclass"),
    )
}


#: Every circuit's task, by name (a view of :data:`REGISTRY`).
CIRCUITS: Mapping[str, str] = MappingProxyType({n: s.task for n, s in REGISTRY.items()})


def circuit_spec(name: str) -> CircuitSpec:
    """The registered circuit ``name``; an unknown name gets a did-you-mean suggestion.

    Raises
    ------
    InputError
        If no circuit is called ``name``.
    """
    if isinstance(name, str) and name in REGISTRY:
        return REGISTRY[name]
    close = difflib.get_close_matches(str(name), list(CIRCUITS), n=1, cutoff=0.4)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise InputError(f"Unknown circuit {name!r}; known circuits: {', '.join(CIRCUITS)}.{hint}")


def circuit_task(name: str) -> str:
    """The task of circuit ``name`` (``regression``, ``classification``, ``multiclass``)."""
    return circuit_spec(name).task


def circuit_kind(name: str) -> str:
    """The family of circuit ``name`` (``linear``, ``nonlinear``)."""
    return circuit_spec(name).family.name


def default_config(name: str) -> Config:
    """The default hyper-parameters of circuit ``name``."""
    return circuit_spec(name).default_config()


def compile_circuit(name: str, data: Dataset, config: Config | None = None) -> Circuit:
    """Compile circuit ``name`` (``linear-regression``, …) on ``data`` with ``config``."""
    return circuit_spec(name).compile(data, config)


def family_of(obj: Circuit | Config) -> Family:
    """The family of a compiled circuit or of a configuration."""
    for family in FAMILIES.values():
        if isinstance(obj, family.circuit_class | family.config_class):
            return family
    raise InputError(f"{type(obj).__name__} is not a circuit or configuration of sbmlcrn.")


def reference_run(circuit: Circuit) -> ReferenceRun:
    """The numpy reference SGD on the circuit's loaded data, targets, θ₀ and hyper-parameters.

    For nonlinear circuits the errors are ``epochs × n × K``; for linear ones ``epochs × n``.
    """
    return family_of(circuit).reference(circuit)
