"""Train a Neural CRN in Tellurium: the authors' linear-regression data, one simulation.

sbmlcrn compiles the learning task into one Antimony/SBML model; Tellurium simulates it, and
the simulation *is* the training. The model reads each learned parameter θ directly: the
assignment rule ``theta_<column> := p<i>_p - p<i>_m`` (named after the data's column), and the
current per-sample loss as ``loss``. The script samples them in the middle of every backward
phase (where the error, and so ``loss``, is the cycle's sample's), plots θ and the loss over the
run and prints θ next to sbmlcrn's numpy reference SGD.

    pip install 'sbmlcrn[tellurium]'
    python examples/tellurium_example.py                 # writes tellurium_parameters.png
    python examples/tellurium_example.py --plot out.png --epochs 5
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")  # write a file; no display needed

import matplotlib.pyplot as plt
import numpy as np
import tellurium as te

from sbmlcrn.circuits.linear import LinearConfig, compile_linear
from sbmlcrn.circuits.registry import reference_run
from sbmlcrn.core.data import authors_linear_regression
from sbmlcrn.io.sbml import to_antimony


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--plot", default="tellurium_parameters.png")
    args = parser.parse_args()

    # 1. build: one model whose events load each sample and switch forward/backward phases
    data, _validation = authors_linear_regression()
    circuit = compile_linear("regression", data, LinearConfig(epochs=args.epochs))
    stats = circuit.network.stats()
    print(
        f"{len(data)} samples x {args.epochs} epochs: {stats['species']} species, "
        f"{stats['reactions']} reactions, {stats['events']} events; "
        f"training ends at t = {circuit.clock.end_time:g}"
    )

    # 2. train: simulate the whole run with tight tolerances, reading θ and the loss at the
    #    middle of every backward phase (a uniform grid would alias the per-sample loss)
    r = te.loada(to_antimony(circuit.network))
    r.integrator.relative_tolerance = 1e-10
    r.integrator.absolute_tolerance = 1e-12
    ids = {ob.name: ob.id for ob in circuit.network.observables if ob.id != "loss"}
    fwd, period = r.t_bwd, r.period  # before simulating: the backward phase starts at fwd
    mid_backward = [c * period + (fwd + period) / 2 for c in range(circuit.clock.cycles)]
    times = [0.0, *mid_backward, circuit.clock.end_time]
    sim = r.simulate(times=times, selections=["time", *ids.values(), "loss"])
    theta = {name: sim[obs] for name, obs in ids.items()}

    # 3. plot the parameter trajectories and the per-sample loss
    fig, (ax, ax_loss) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    for name, values in theta.items():
        ax.plot(sim["time"], values, label=f"{ids[name]} ({name})")
    ax_loss.semilogy(sim["time"][1:-1], sim["loss"][1:-1], ".", ms=2)
    for epoch in range(1, args.epochs):
        for axis in (ax, ax_loss):
            axis.axvline(epoch * circuit.clock.n_samples * period, color="0.9", lw=0.8)
    ax.set(ylabel="theta = [p_p] − [p_m]")
    ax_loss.set(xlabel="time (one epoch between grey lines)", ylabel="loss (mid-backward)")
    ax.set_title("Neural CRN training in Tellurium (authors' linear-regression data)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f"wrote {args.plot}")

    # 4. the chemistry learned what SGD computes
    reference = reference_run(circuit).theta
    print(f"{'parameter':>10} {'Tellurium':>14} {'reference SGD':>14} {'difference':>11}")
    for (name, values), ref in zip(theta.items(), reference, strict=True):
        print(f"{name:>10} {values[-1]:14.10f} {ref:14.10f} {values[-1] - ref:11.1e}")
    deviation = float(np.max(np.abs([v[-1] for v in theta.values()] - reference)))
    print(f"max |Tellurium - reference| = {deviation:.2e}")


if __name__ == "__main__":
    main()
