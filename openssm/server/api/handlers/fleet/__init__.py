"""Wire operations of the managed fleet: activations, instances and their registration."""

from openssm.server.api.handlers.fleet.operations import OPERATIONS

__all__ = ["OPERATIONS"]
