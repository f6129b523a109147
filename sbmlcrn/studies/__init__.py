"""Studies: the experiment catalogue, reproduce, sweeps, robustness, and their reports."""
