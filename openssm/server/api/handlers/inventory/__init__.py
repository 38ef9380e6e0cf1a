"""Wire operations of inventory."""

from openssm.server.api.handlers.inventory.operations import OPERATIONS

__all__ = ["OPERATIONS"]
