"""How far the authors' per-rail square is from the ideal odd square, by annihilation rate.

The per-rail reactions ``2Z⁺ → Z⁺``, ``2Z⁻ → Z⁻`` (rate ``c``) give ``dz/dt ∋ −c·z·(z⁺ + z⁻)``:
``−c·z|z|`` only while one rail of ``z`` is 0. Annihilation ``Z⁺ + Z⁻ → ∅`` (rate ``k``) keeps
the rails apart, and the faster it is, the closer the chemistry comes to ``−c·z|z|``, but the
stiffer the model. For each ``k`` this script trains the authors' XOR (linapprox) and
x1·x2 + x2² (first-order) circuits for a few epochs and reports

* ``CRN vs rails``: the largest difference between the parameters RoadRunner's CVODE learned
  and the rail-level reference's (:mod:`sbmlcrn.reference.rails`), relative to
  ``max(1, |θ|)``: how accurately CVODE integrates the model at that stiffness;
* ``CRN vs ideal``: the same against the ideal value-level model trained alike (θ₀, data,
  schedule): what the rails cost;
* ``forward vs ideal``: the largest ``|ŷ_rails − ŷ_ideal|`` of one forward pass over the
  training inputs at the learned θ (clean parameter rails, as in the inference network);
* the simulation time.

Usage: ``python scripts/per_rail_square.py [--epochs 5] [--rates 1 10 100 250]``; prints a
markdown table (docs/design.md, "The authors' per-rail square", quotes one).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from sbmlcrn.reference import RailModel, relative_deviation
from sbmlcrn.studies.catalogue import experiment
from sbmlcrn.studies.reproduce import _task
from sbmlcrn.studies.scores import ideal_reference
from sbmlcrn.training.pipeline import train


def _forward_gap(circuit, theta: np.ndarray, k_ann: float) -> float:
    """Largest |ŷ_rails − ŷ_ideal| of one forward pass over the training inputs."""
    model = circuit.model()
    rails = RailModel(model, k_ann, float(circuit.config.backward), float(circuit.config.lr))
    gap = rails.predict(theta, circuit.inputs) - model.predict(theta, circuit.inputs)
    return float(np.max(np.abs(gap)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--rates", type=float, nargs="+", default=[1.0, 10.0, 100.0, 250.0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print("| row | annihilation k | CRN vs rails | CRN vs ideal | forward vs ideal | train s |")
    print("|---|---|---|---|---|---|")
    for slug in ("xor-quad-authors", "poly-fo-authors"):
        exp = experiment(slug)
        task = _task(exp, args.seed)
        for k_ann in args.rates:
            cfg = replace(exp.config_for(args.seed, False), epochs=args.epochs, annihilation=k_ann)
            t0 = time.perf_counter()
            try:
                run = train(exp.circuit, task.train, config=cfg, max_deviation=1.0)
            except Exception as exc:
                print(f"| `{slug}` | {k_ann:g} | failed: {str(exc)[:60]} | | | |")
                continue
            seconds = time.perf_counter() - t0
            circuit, ref = run.circuit, run.reference
            assert circuit is not None and ref is not None
            ideal = ideal_reference(circuit)
            learned = run.model.theta()
            rails = relative_deviation(learned, ref.theta)
            scale = max(1.0, float(np.max(np.abs(ref.theta))))  # the rail reference's scale
            gap = float(np.max(np.abs(learned - ideal.theta))) / scale
            fwd = _forward_gap(circuit, learned, k_ann)
            print(f"| `{slug}` | {k_ann:g} | {rails:.1e} | {gap:.1e} | {fwd:.1e} | {seconds:.1f} |")


if __name__ == "__main__":
    main()
