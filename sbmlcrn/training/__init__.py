"""Training: one pipeline (compile, write, run, check), engines, prediction, checkpoints."""
