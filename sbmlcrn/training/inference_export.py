"""An inference model that predicts in the data's own units (``sbmlcrn export-inference``).

The forward-only inference network of a trained model reads the *loaded* input (standardised,
split into rails) and writes its output on rails in the circuit's units, so using it meant
standardising, splitting and rescaling by hand. :func:`raw_inference_network` wraps it:

- one parameter per input column, its id from the column name (``r["x1"] = 1.2`` in
  RoadRunner; default: the training data's mean of the column);
- an event as the simulation starts (trigger ``time > 0``) that loads the input rails from
  those parameters: the standardisation
  ``(x − μ)/σ`` and the split into rails ``max(±u, 0)`` (``piecewise``), computed from
  parameters only (events never read species);
- the observable ``prediction``: the output's rail difference in the target's units
  (``μ_y + σ_y (ŷ⁺ − ŷ⁻)``) for regression, the class label for classifiers (the side of the
  midpoint; the largest output for several classes);
- the parameter ``t_end``: simulate from 0 to it and read ``prediction``.

Decision: the loading is an event with the trigger ``time > 0``, not initial assignments nor
``time >= 0``: RoadRunner evaluates initial assignments, and fires events true at t = 0, when
it loads (or resets) the model, so a parameter set afterwards (``r["x1"] = 1.2``) would not
reach the rails (measured: the prediction stayed the training mean's). ``time > 0`` becomes
true as the integration leaves t = 0 and CVODE locates it there: the predictions equal the
inference network's to 5e-14 (linear) and 1e-8 (product units). The chemistry of the forward
phase is the inference network's, unchanged.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sbmlcrn.circuits.registry import family_of
from sbmlcrn.core.expr import Const, Expr, Op, Sym
from sbmlcrn.core.minimise import minimise
from sbmlcrn.core.network import Event, Network, Observable, Parameter, Role, unique_ids
from sbmlcrn.errors import InputError
from sbmlcrn.training.model import TrainedModel

__all__ = ["raw_inference_network"]

_CONC = "mole_per_litre"
_DIMLESS = "dimensionless"


def _load_columns(model: TrainedModel) -> dict[str, int]:
    """Load base (``x1``, ``z3``, …) → the input column whose loaded value it takes."""
    d = len(model.features)
    width = model.feature_map(np.zeros((1, d))).shape[1]
    probe = np.arange(1.0, width + 1.0)[None, :]  # channel j carries j + 1
    n_classes = max(len(model.classes), 2)
    loads = family_of(model.config).loads(model.task, model.config, probe, d, n_classes)
    out = {}
    for base, values in loads.items():
        j = round(float(np.asarray(values)[0])) - 1
        if not 0 <= j < d:
            raise InputError(f"The inference network loads {base!r} from no input column.")
        out[base] = j
    return out


def _standardised(model: TrainedModel, j: int, param: str) -> Expr:
    """``(x_j − μ_j) / σ_j`` of parameter ``param`` (``x_j`` alone without standardisation)."""
    fmap = model.feature_map
    x: Expr = Sym(param)
    if fmap.mean is None or fmap.scale is None:
        return x
    shifted = Op("-", (x, Const(float(fmap.mean[j]), _CONC)))
    return Op("/", (shifted, Const(float(fmap.scale[j]), _DIMLESS)))


def _rails(u: Expr) -> tuple[Expr, Expr]:
    """``(max(u, 0), max(−u, 0))`` as ``piecewise`` (every simulator reads it)."""
    zero = Const(0.0, _CONC)
    plus = Op("piecewise", (u, Op(">", (u, zero)), zero))
    minus = Op("piecewise", (Op("-", (zero, u)), Op("<", (u, zero)), zero))
    return plus, minus


def _prediction(model: TrainedModel, net: Network) -> Expr:
    """The prediction in the target's units (regression) or the class label."""
    outs = [ro for ro in net.readouts if ro.role is Role.OUTPUT] or list(net.readouts)
    values: list[Expr] = [Op("-", (Sym(ro.plus), Sym(ro.minus))) for ro in outs]
    lo, hi = model.config.class_values
    if model.task == "regression":
        fmap = model.feature_map
        scaled = Op("*", (Const(float(fmap.target_scale), _DIMLESS), values[0]))
        return Op("+", (Const(float(fmap.target_mean), _CONC), scaled))
    if model.task == "classification":
        mid = Const(0.5 * (lo + hi), _CONC)
        side = Op(">" if hi > lo else "<", (values[0], mid))
        return Op("piecewise", (Const(1.0, _CONC), side, Const(0.0, _CONC)))
    classes = model.classes or tuple(float(k) for k in range(len(values)))
    better = ">=" if hi > lo else "<="
    out: Expr = Const(float(classes[-1]), _CONC)
    for k in range(len(values) - 2, -1, -1):  # the first class whose output beats every later
        wins = [Op(better, (values[k], values[m])) for m in range(k + 1, len(values))]
        cond = wins[0] if len(wins) == 1 else Op("&&", tuple(wins))
        out = Op("piecewise", (Const(float(classes[k]), _CONC), cond, out))
    return out


def raw_inference_network(
    model: TrainedModel, target: str | None = None, *, minimised: bool = True
) -> Network:
    """The inference network of ``model`` with inputs and prediction in the data's units.

    Parameters
    ----------
    model
        A trained model (:class:`~sbmlcrn.training.model.TrainedModel`).
    target
        The target column's name: the ``name`` of the observable ``prediction``.
    minimised
        Drop the reactions that can never fire (:func:`sbmlcrn.core.minimise.minimise`: the
        load event fills both rails of every input, so only the trained parameters' dead
        rails go) and the species and rate constants only they used. Predictions are
        unchanged (to the integrator's tolerance; tested).

    Returns
    -------
    Network
        Set the parameters named after the input columns (``input_ids`` in the notes; the
        column name is each parameter's SBML ``name`` where the writer supports it), simulate
        from 0 to ``t_end`` and read the observable ``prediction``.
    """
    net = model.inference_network()
    columns = _load_columns(model)
    taken = frozenset(
        [
            *net.species_ids(),
            *(p.id for p in net.parameters),
            *(o.id for o in net.observables),
            "prediction",
            "t_end",
            "load",
        ]
    )
    ids = unique_ids(list(model.features), "", taken)
    fmap = model.feature_map
    defaults = fmap.mean if fmap.mean is not None else (0.0,) * len(ids)
    params = [
        Parameter(pid, float(v), Role.INPUT, constant=True, units=_CONC)
        for pid, v in zip(ids, defaults, strict=True)
    ]
    if "t_end" not in {p.id for p in net.parameters}:  # the inference networks have it
        params.append(Parameter("t_end", float(model.config.horizon), Role.CLOCK, units="second"))
    assignments: list[tuple[str, Expr]] = []
    for base, j in sorted(columns.items()):
        plus, minus = _rails(_standardised(model, j, ids[j]))
        assignments += [(f"{base}_p", plus), (f"{base}_m", minus)]
    load = Event("load", Op(">", (Sym("time"), Const(0.0, "second"))), tuple(assignments))
    prediction = Observable(
        "prediction", _prediction(model, net), name=target or "prediction",
        role=Role.OUTPUT, units=_CONC,
    )  # fmt: skip
    pairs = ", ".join(f"{pid} = {col!r}" for pid, col in zip(ids, model.features, strict=True))
    notes = (
        f"{net.notes}\nRaw-unit inference model: set the input parameters ({pairs}; default the "
        "training mean), simulate from 0 to t_end and read prediction "
        + ("(in the target's units)." if model.task == "regression" else "(the class label).")
    )
    raw = dataclasses.replace(
        net,
        id=f"{net.id}_raw",
        parameters=(*net.parameters, *params),
        events=(*net.events, load),
        # the rail-level prediction of the inference network, if any, becomes the raw one
        observables=(*(o for o in net.observables if o.id != "prediction"), prediction),
        notes=notes,
    )
    return minimise(raw)[0] if minimised else raw
