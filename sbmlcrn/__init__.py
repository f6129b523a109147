"""sbmlcrn."""
