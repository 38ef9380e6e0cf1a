"""The tables and rows of activations and managed instances."""
