"""What ``sbmlcrn train`` prints on stdout once a run is trained."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["print_training_summary"]


def print_training_summary(
    circuit: str,
    run: Any,
    n_samples: int,
    out: Path,
    *,
    how: str = "",
    deviation: str = "max |CRN - reference|",
) -> None:
    """The lines ``train`` prints on stdout: parameters, deviation, loss, test metric."""
    cfg = run.model.config
    trained = f"trained {circuit} {how}" if how else f"trained {circuit}"
    print(f"{trained} on {n_samples} samples x {cfg.epochs} epochs")
    print(f"  learning rate {cfg.lr:.6g}, horizon {cfg.horizon:g}")
    from sbmlcrn.training.equations import model_equations

    print("  learned model, in the data's units:")
    for line in model_equations(run.model, run.target, getattr(run, "class_labels", None)):
        print(f"    {line}")
    print("  internal parameters theta (on the loaded, standardised inputs; result.json):")
    for name, value in run.parameters.items():
        print(f"    theta[{name}] = {value:.10g}")
    print(f"  {deviation} = {run.max_abs_deviation:.3g}")
    print(f"  final epoch training loss ({_loss_words(run)}) = {run.train_loss[-1]:.6g}")
    if run.test is not None:
        for key, value in run.test.items():
            if key != "n":
                print(f"  test {key} = {value:.6g} (n = {int(run.test['n'])})")
    extra = ", schedule.csv" if "model_form" in run.sections else ""
    print(f"wrote {out}/ (model.xml, model.ant{extra}, result.json, plots)")


def _loss_words(run: Any) -> str:
    """What the training loss measures, in ASCII (the loss plot's label says it in full): it
    is 1/2 MSE (not the test MSE), on the loaded target, or the product units' squared hinge."""
    from sbmlcrn.training.plot_metrics import loss_kind

    kind = loss_kind(run)
    if kind == "squared-hinge":
        return "1/2 mean squared hinge"
    if kind == "standardised":
        return "1/2 MSE on the standardised target"
    if kind == "target":
        return "1/2 MSE, target units^2"
    lo, hi = run.model.config.class_values
    return f"1/2 MSE on the class values {lo:g}/{hi:g}"
