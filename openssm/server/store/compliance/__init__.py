"""The tables and rows of configuration compliance: items and per-resource roll-ups."""
