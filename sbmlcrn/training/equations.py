"""The learned model as a person reads it: an equation in the data's own units.

The parameters ``θ`` a circuit learns act on the *loaded* inputs (standardised, with a
constant channel) and, for regression, on a standardised target; ``θ[x1] = −0.64`` can belong
to a raw-unit coefficient of ``+0.25``. This module undoes the loading step: it writes the
predictor of a trained linear or product-unit model as a polynomial in the raw inputs, in the
target's units, and formats it as text (``y ~ 1.08*x1 + 2.03*x2 + 0.53``). Reporting only: the
network never uses these numbers (the learning and the predictions stay chemical).

The loading step is read from the model's own :class:`~sbmlcrn.circuits.linear.FeatureMap`
(its value at 0 and at each unit vector), so the expansion holds for every loading the
circuits use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sbmlcrn.circuits.linear import LinearConfig
from sbmlcrn.circuits.products import MAX_DEGREE2_INPUTS, ProductConfig
from sbmlcrn.reference.products import feature_pairs
from sbmlcrn.training.model import TrainedModel, effective_model

__all__ = ["format_polynomial", "model_equations", "raw_polynomials"]

#: A monomial of the raw inputs: ``()`` the constant, ``(i,)`` ``x_i``, ``(i, j)`` ``x_i·x_j``.
Monomial = tuple[int, ...]
#: Terms shown per equation; the rest is counted (every coefficient is in ``result.json``).
MAX_TERMS = 12


def _loading(model: TrainedModel) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` with loaded channel ``k`` equal to ``a_k · x_k + b_k`` (the constant channel
    last, ``a = 0``)."""
    d = len(model.features)
    fmap = model.feature_map
    b = fmap(np.zeros((1, d)))[0]
    a = np.diag(fmap(np.eye(d)) - b[None, :])[:d] if d else np.zeros(0)
    return np.concatenate([a, np.zeros(len(b) - d)]), b


def raw_polynomials(model: TrainedModel) -> list[dict[Monomial, float]] | None:
    """One polynomial per output of a product-unit or linear model in raw input units (the
    target's units for regression, the circuit's output otherwise); None for the Neural ODE
    circuits, which have no closed form."""
    cfg = model.config
    d = len(model.features)
    if isinstance(cfg, LinearConfig):
        eff = effective_model(model)
        assert eff is not None
        poly: dict[Monomial, float] = {
            (i,): float(eff["coef"][f]) for i, f in enumerate(model.features)
        }
        poly[()] = float(eff["intercept"])
        return [poly]
    if not isinstance(cfg, ProductConfig):
        return None
    degree = cfg.degree or (2 if d <= MAX_DEGREE2_INPUTS else 1)
    pairs = feature_pairs(d + 1, degree)
    theta = model.theta()
    n_out = len(theta) // len(pairs)
    a, b = _loading(model)
    polys = []
    for w in np.asarray(theta, dtype=float).reshape(n_out, len(pairs)):
        poly = {}
        for weight, (i, j) in zip(w, pairs, strict=True):
            parts: list[tuple[Monomial, float]] = [((), b[i] * b[j])]
            if a[i]:
                parts.append(((i,), a[i] * b[j]))
            if a[j]:
                parts.append(((j,), b[i] * a[j]))
            if a[i] and a[j]:
                parts.append(((i, j), a[i] * a[j]))
            for mono, c in parts:
                poly[mono] = poly.get(mono, 0.0) + float(weight * c)
        if model.task == "regression":
            fmap = model.feature_map
            poly = {m: c * fmap.target_scale for m, c in poly.items()}
            poly[()] = poly.get((), 0.0) + fmap.target_mean
        polys.append(poly)
    return polys


def _name(mono: Monomial, features: Sequence[str]) -> str:
    if len(mono) == 2 and mono[0] == mono[1]:
        return f"{features[mono[0]]}^2"
    return "*".join(features[i] for i in mono)


def format_polynomial(poly: Mapping[Monomial, float], features: Sequence[str]) -> str:
    """``1.08*x1 + 2.03*x2 - 0.2*x1^2 + 0.53``: linear terms, then products, then the constant,
    4 significant digits; beyond :data:`MAX_TERMS` the largest terms and a count of the rest.
    ASCII only: it is printed to terminals and pipes of any encoding."""
    terms = [(m, c) for m, c in poly.items() if m]
    terms.sort(key=lambda mc: (len(mc[0]), mc[0]))
    hidden = 0
    if len(terms) > MAX_TERMS - 1:
        keep = sorted(terms, key=lambda mc: -abs(mc[1]))[: MAX_TERMS - 1]
        hidden = len(terms) - len(keep)
        terms = [t for t in terms if t in keep]
    out = ""
    for mono, c in [*terms, ((), poly.get((), 0.0))]:
        mag = f"{abs(c):.4g}"
        piece = mag if not mono else f"{mag}*{_name(mono, features)}"
        if not out:
            out = ("-" if c < 0 else "") + piece
        else:
            out += (" - " if c < 0 else " + ") + piece
    return out + (f" (+ {hidden} smaller terms)" if hidden else "")


def _label(value: float, labels: Sequence[str] | None) -> str:
    if labels is not None and 0 <= int(value) < len(labels):
        return str(labels[int(value)])
    return f"{value:g}"


def model_equations(
    model: TrainedModel, target: str | None = None, labels: Sequence[str] | None = None
) -> list[str]:
    """The learned model in the data's units, one line per output.

    Parameters
    ----------
    model
        The trained model.
    target
        The target column's name (default ``y``).
    labels
        Class names by label (``labels[k]`` for label ``k``); default the labels' numbers.

    Returns
    -------
    list of str
        Regression ``y ~ …``; binary classification ``label 1 where … > 0``; multiclass one
        score per class (the largest wins). A Neural ODE circuit gets one line saying it has no
        closed form.
    """
    polys = raw_polynomials(model)
    y = target or "y"
    if polys is None:
        return [f"{y}: a Neural ODE of the inputs (no closed form); θ in result.json"]
    feats = model.features
    cfg: Any = model.config
    if model.task == "regression":
        return [f"{y} ~ {format_polynomial(polys[0], feats)}"]
    if model.task == "classification":
        lo, hi = cfg.class_values
        poly = dict(polys[0])
        if isinstance(cfg, LinearConfig):
            poly[()] = poly.get((), 0.0) - 0.5 * (lo + hi)
            if hi < lo:
                poly = {m: -c for m, c in poly.items()}
        return [f"{y} = {_label(1.0, labels)} where {format_polynomial(poly, feats)} > 0, "
                f"else {_label(0.0, labels)}"]  # fmt: skip
    classes = model.classes or tuple(float(k) for k in range(len(polys)))
    lines = [f"{y} = the class with the largest score:"]
    for c, poly in zip(classes, polys, strict=True):
        lines.append(f"  score[{_label(c, labels)}] = {format_polynomial(poly, feats)}")
    return lines
