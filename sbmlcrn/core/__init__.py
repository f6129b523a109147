"""Core values: expressions, the immutable network description, data."""
