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
from sbmlcrn.circuits.products import (
    ProductCircuit,
    ProductConfig,
    check_product_labels,
    compile_products,
    product_count,
    product_inference_network,
    product_loads,
)
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network
from sbmlcrn.errors import InputError
from sbmlcrn.reference import (
    RailModel,
    ReferenceRun,
    linear_sgd,
    nonlinear_sgd,
    product_sgd,
    rail_sgd,
)
from sbmlcrn.reference.products import readout_loss

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
Circuit = LinearCircuit | NonlinearCircuit | ProductCircuit
#: Every circuit configuration (the one place this union is declared).
Config = LinearConfig | NonlinearConfig | ProductConfig


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
        batch_size=cfg.batch_size,
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


@np.errstate(over="ignore", invalid="ignore")
def _product_reference(circuit: ProductCircuit) -> ReferenceRun:
    cfg = circuit.config
    assert cfg.epochs is not None
    return product_sgd(
        circuit.model(), circuit.inputs, circuit.targets, circuit.theta0, cfg.epochs,
        cfg.batch_size,
    )  # fmt: skip


def _squared_loss(task: str, config: Config, errors: np.ndarray) -> np.ndarray:
    """Mean ``½ Σ_k e_k²`` per epoch of errors ``epochs × n × K``."""
    return 0.5 * np.mean(np.sum(np.asarray(errors, dtype=float) ** 2, axis=2), axis=1)


def _product_loss(task: str, config: ProductConfig, errors: np.ndarray) -> np.ndarray:
    """Mean per epoch of the squared loss, or of the squared hinge of the margins."""
    return np.mean(readout_loss(config.loss_for(task), errors), axis=1)


def _channels(config: Config, n_inputs: int) -> int:
    return n_inputs + int(config.augmentation is not None)


def _linear_count(task: str, config: LinearConfig, n_inputs: int, n_classes: int) -> int:
    return _channels(config, n_inputs)


def _nonlinear_count(task: str, config: NonlinearConfig, n_inputs: int, n_classes: int) -> int:
    channels = _channels(config, n_inputs)
    if task == "regression":
        return channels
    if task == "classification":
        return channels * channels
    return max(n_classes, 2) * channels


def _product_test_labels(
    task: str, y: np.ndarray, circuit: ProductCircuit | None, config: ProductConfig, source: str
) -> None:
    if circuit is not None:
        check_product_labels(task, y, circuit.classes, source)


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
        ``linear``, ``nonlinear`` or ``products``.
    design
        The design's name in options and records (``linear``, ``node``, ``products``).
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
    count
        ``count(task, config, n_inputs, n_classes)``: the number of learned parameters,
        counted without building the network (a size check may ask about 10⁵ inputs).
    train_loss
        ``train_loss(task, config, errors)``: the mean training loss per epoch of the error
        readouts (``epochs × n × K``).
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
    design: str
    count: Callable[[str, Config, int, int], int]
    train_loss: Callable[[str, Config, np.ndarray], np.ndarray]


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
        "linear",
        _linear_count,  # type: ignore[arg-type]
        _squared_loss,
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
        "node",
        _nonlinear_count,  # type: ignore[arg-type]
        _squared_loss,
    ),
    "products": Family(
        "products",
        ("regression", "classification", "multiclass"),
        ProductConfig,
        ProductCircuit,
        compile_products,  # type: ignore[arg-type]
        _product_reference,  # type: ignore[arg-type]
        product_inference_network,  # type: ignore[arg-type]
        product_loads,  # type: ignore[arg-type]
        _product_test_labels,  # type: ignore[arg-type]
        "products",
        product_count,  # type: ignore[arg-type]
        _product_loss,  # type: ignore[arg-type]
    ),
}


@dataclass(frozen=True)
class CircuitSpec:
    """One registered circuit: its name, its task and its designs (families), default first."""

    name: str
    task: str
    families: tuple[Family, ...]

    @property
    def family(self) -> Family:
        """The default design's family."""
        return self.families[0]

    @property
    def designs(self) -> tuple[str, ...]:
        """The designs' names, default first."""
        return tuple(f.design for f in self.families)

    def family_for(self, design: str | None = None) -> Family:
        """The family of ``design`` (None: the default).

        Raises
        ------
        InputError
            If the circuit has no such design.
        """
        if design is None:
            return self.family
        for family in self.families:
            if family.design == design:
                return family
        raise InputError(
            f"The design of circuit {self.name!r} must be one of {', '.join(self.designs)}. "
            f"Got {design!r} instead."
        )

    def record_family(self, design: object) -> Family:
        """The family a record's ``design`` names; a record without one (None) was written
        before designs existed, by the family listed last."""
        return self.families[-1] if design is None else self.family_for(str(design))

    def default_config(self) -> Config:
        """The default hyper-parameters (of the default design)."""
        return self.family.config_class()  # type: ignore[no-any-return]

    def check_config(self, config: Config | None, *, caller: str = "train") -> Config:
        """``config``, or the default when None; a config of no design of this circuit is
        refused."""
        if config is None:
            return self.default_config()
        classes = tuple(f.config_class for f in self.families)
        if not isinstance(config, classes):
            want = " or ".join(c.__name__ for c in classes)
            raise InputError(
                f"The config parameter of {caller} must be a {want} for circuit "
                f"{self.name!r}. Got {type(config).__name__} instead."
            )
        return config

    def parameter_count(self, config: Config, n_inputs: int, n_classes: int = 2) -> int:
        """How many parameters the circuit has for ``n_inputs`` inputs (and ``n_classes``),
        counted without building them (a size check or a tampered record may ask about 10⁵
        inputs)."""
        return family_of(config).count(self.task, config, n_inputs, n_classes)

    def compile(self, data: Dataset, config: Config | None = None) -> Circuit:
        """The training network of this circuit on ``data`` with ``config``."""
        config = self.check_config(config, caller="compile")
        return family_of(config).compile(self.task, data, config)


_DESIGNS = {"linear": ("linear",), "nonlinear": ("products", "nonlinear")}

#: Every circuit's specification, by name.
REGISTRY: Mapping[str, CircuitSpec] = {
    f"{kind}-{task}": CircuitSpec(
        f"{kind}-{task}", task, tuple(FAMILIES[f] for f in _DESIGNS[kind])
    )
    for kind, task in (
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
    """The kind of circuit ``name``: ``linear`` or ``nonlinear`` (the prefix of its name,
    whatever its design)."""
    return circuit_spec(name).name.split("-", 1)[0]


def default_config(name: str, design: str | None = None) -> Config:
    """The default hyper-parameters of circuit ``name`` (of ``design``; None: the default)."""
    return circuit_spec(name).family_for(design).config_class()  # type: ignore[no-any-return]


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
