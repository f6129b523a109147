"""A trained model: what prediction needs, prediction by the CRN inference network, metrics.

Prediction is done by chemistry too: the host loads each sample (the stored standardisation,
then dual rails), RoadRunner simulates the forward-only inference network with the learned
parameters as initial concentrations, and the host reads the output species.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sbmlcrn.circuits.linear import FeatureMap, LinearConfig, rails
from sbmlcrn.circuits.registry import Config, circuit_spec, family_of
from sbmlcrn.core.data import Dataset
from sbmlcrn.core.network import Network
from sbmlcrn.errors import DataError
from sbmlcrn.io.sbml import to_sbml
from sbmlcrn.simulate import Tolerances, simulate_batch

__all__ = [
    "TrainedModel",
    "effective_model",
    "evaluate",
    "input_rails",
    "load_values",
    "output_values",
    "outputs_to_predictions",
    "predict",
]


@dataclass(frozen=True)
class TrainedModel:
    """What prediction needs: the circuit, the resolved config, the loading step and θ.

    ``class_labels``: a classifier trained on text labels names its class values ``0 … K−1``
    with them (empty for numeric labels and for regression).
    """

    circuit: str
    features: tuple[str, ...]
    config: Config
    feature_map: FeatureMap
    parameters: Mapping[str, float]
    classes: tuple[float, ...] = ()
    class_labels: tuple[str, ...] = ()

    @property
    def task(self) -> str:
        """``regression``, ``classification`` or ``multiclass``."""
        return circuit_spec(self.circuit).task

    def theta(self) -> np.ndarray:
        """Parameters in channel (connection) order."""
        return np.array(list(self.parameters.values()), dtype=float)

    def inference_network(self) -> Network:
        """The forward-only inference network with the learned parameters."""
        family = family_of(self.config)
        n_classes = max(len(self.classes), 2)
        return family.inference(self.task, self.theta(), self.config, len(self.features), n_classes)

    def class_name(self, value: float) -> str:
        """The name of class value ``value``: its text label, or the number (``2``)."""
        k = int(value)
        if self.class_labels and k == value and 0 <= k < len(self.class_labels):
            return self.class_labels[k]
        return f"{value:g}"

    def inference_sbml(self) -> str:
        """SBML of the forward-only inference network with the learned parameters."""
        return to_sbml(self.inference_network())


def predict(
    model: TrainedModel,
    x: np.ndarray,
    *,
    tolerances: Tolerances | None = None,
    network: Network | None = None,
) -> np.ndarray:
    """Predict with the CRN inference network (simulated in RoadRunner), one sample at a time.

    The host only loads each sample (the stored standardisation, then dual rails) and reads the
    output species; regression returns ``ŷ``, classification the label 0/1 (``ŷ`` above the
    midpoint of the class values), multiclass the label of the largest output.

    Parameters
    ----------
    model
        The trained model.
    x
        Raw inputs, one row per sample (a single sample may be 1-D).
    tolerances
        Integrator tolerances (default: the simulator's).
    network
        The inference network to simulate instead of ``model.inference_network()``, e.g. one
        with perturbed rate constants; it must load and read the same species.

    Returns
    -------
    np.ndarray
        One prediction per sample.
    """
    net = network if network is not None else model.inference_network()
    values = output_values(model, net, load_values(model, x), tolerances=tolerances)
    return outputs_to_predictions(model, values)


def load_values(model: TrainedModel, x: np.ndarray) -> dict[str, np.ndarray]:
    """The rail concentrations prediction loads: species id → its value in every sample.

    The host's only work before the chemistry: the stored standardisation, then dual rails.

    Raises
    ------
    DataError
        ``x`` does not have one column per model input.
    """
    raw = np.atleast_2d(np.asarray(x, dtype=float))
    if raw.shape[1] != len(model.features):
        raise DataError(
            f"The data must have {len(model.features)} input columns "
            f"({', '.join(model.features)}). Got {raw.shape[1]}."
        )
    x_tilde = model.feature_map(raw)
    initial: dict[str, np.ndarray] = {}
    family = family_of(model.config)
    n_classes = max(len(model.classes), 2)
    loads = family.loads(model.task, model.config, x_tilde, len(model.features), n_classes)
    for base, column in loads.items():
        r = np.array([rails(v) for v in column]).reshape(-1, 2)
        initial[f"{base}_p"] = r[:, 0]
        initial[f"{base}_m"] = r[:, 1]
    return initial


def output_values(
    model: TrainedModel,
    network: Network,
    initial: Mapping[str, np.ndarray],
    *,
    tolerances: Tolerances | None = None,
) -> np.ndarray:
    """The inference network's outputs ``plus − minus`` at the horizon, one row per sample."""
    outs = list(network.readouts)
    out = simulate_batch(
        to_sbml(network),
        model.config.horizon,
        initial,
        [s for ro in outs for s in (ro.plus, ro.minus)],
        tolerances=tolerances,
    )
    return np.column_stack([np.asarray(out[ro.plus]) - np.asarray(out[ro.minus]) for ro in outs])


def input_rails(model: TrainedModel, network: Network) -> list[str]:
    """The species of ``network`` that prediction loads per sample (both rails of each load).

    The bias rails (``xb_p`` = 1) are not loaded: they keep their initial concentration.
    """
    loaded = load_values(model, np.zeros((1, len(model.features))))
    present = set(network.species_ids())
    bases = sorted({sid[:-2] for sid in loaded})
    return [f"{b}_{s}" for b in bases for s in "pm" if f"{b}_{s}" in present]


def outputs_to_predictions(model: TrainedModel, values: np.ndarray) -> np.ndarray:
    """Predictions from the network's outputs ``values`` (one row per sample, one column per
    output): ``ŷ`` in target units (regression), or the labels (see :func:`predict`)."""
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    lo, hi = model.config.class_values
    if model.task == "multiclass":
        pick = np.argmax(values, axis=1) if hi > lo else np.argmin(values, axis=1)
        return np.asarray(model.classes)[pick]
    y_hat = model.feature_map.decode_output(values[:, 0])
    if model.task == "classification":
        # label 1 on the side of the midpoint where its class value lies (values may decrease)
        return ((y_hat - 0.5 * (lo + hi)) * np.sign(hi - lo) > 0).astype(float)
    return y_hat


def evaluate(task: str, predictions: np.ndarray, data: Dataset, config: Config) -> dict[str, float]:
    """``mse`` (regression) or ``accuracy`` (classification) of predictions on ``data``."""
    if data.y is None:
        raise DataError(f"{data.name}: evaluation needs a target column.")
    if task == "regression":
        return {"mse": float(np.mean((predictions - data.y) ** 2)), "n": len(data)}
    family_of(config).check_test_labels(task, data.y, None, config, data.name)
    return {"accuracy": float(np.mean(predictions == data.y)), "n": len(data)}


def effective_model(model: TrainedModel) -> dict[str, Any] | None:
    """The learned predictor as an affine function of the *raw* inputs.

    ``ŷ = Σ_i coef_i · x_i + intercept``, from ``ŷ = Σ x̃ (1 + T θ) + D T h`` and the loading
    step, in raw target units (the target scaling undone). For classifiers, label 1 is
    predicted where ``ŷ > threshold``. Reporting only: the network never uses these numbers.
    None for nonlinear circuits (no affine form).
    """
    cfg = model.config
    if not isinstance(cfg, LinearConfig):
        return None
    theta = model.theta()
    gain = 1.0 + cfg.horizon * theta
    d = len(model.features)
    mean = np.asarray(model.feature_map.mean) if model.feature_map.mean else np.zeros(d)
    scale = np.asarray(model.feature_map.scale) if model.feature_map.scale else np.ones(d)
    coef = gain[:d] / scale
    intercept = float(-np.sum(mean * coef)) + len(theta) * cfg.horizon * cfg.bias
    if cfg.augmentation is not None:
        intercept += float(cfg.augmentation) * float(gain[d])
    fmap = model.feature_map
    coef = coef * fmap.target_scale
    intercept = fmap.target_mean + fmap.target_scale * intercept
    out: dict[str, Any] = {
        "coef": dict(zip(model.features, map(float, coef), strict=True)),
        "intercept": float(intercept),
    }
    if model.task == "classification":
        out["threshold"] = 0.5 * (cfg.class_values[0] + cfg.class_values[1])
    return out
