"""The managed fleet: hybrid activations, registered instances and their filters."""
