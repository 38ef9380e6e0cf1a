"""Wire operations of State Manager."""

from openssm.server.api.handlers.associations.operations import OPERATIONS

__all__ = ["OPERATIONS"]
