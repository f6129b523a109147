"""Independent numpy/scipy implementations of the learning mathematics.

:mod:`sbmlcrn.reference.values` integrates the value-level models (linear SGD, the nonlinear
Neural ODE with its exact, first-order and ``linapprox`` gradients); :mod:`sbmlcrn.reference.rails`
integrates the rail-level ODE of the authors' per-rail square, which no value-level model
reproduces; :mod:`sbmlcrn.reference.products` is the closed-form rail-level mathematics of the
product-unit circuits. Nothing here reads a compiled network.
"""

from sbmlcrn.reference.products import (
    ProductModel,
    feature_pairs,
    product_features,
    product_predict,
    product_sgd,
)
from sbmlcrn.reference.rails import RailModel, rail_sgd
from sbmlcrn.reference.values import (
    NonlinearModel,
    ReferenceRun,
    linear_gradient,
    linear_predict,
    linear_sgd,
    nonlinear_sgd,
    relative_deviation,
)

__all__ = [
    "NonlinearModel",
    "ProductModel",
    "RailModel",
    "ReferenceRun",
    "feature_pairs",
    "linear_gradient",
    "linear_predict",
    "linear_sgd",
    "nonlinear_sgd",
    "product_features",
    "product_predict",
    "product_sgd",
    "rail_sgd",
    "relative_deviation",
]
