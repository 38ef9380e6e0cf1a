"""Wire operations of Parameter Store."""

from openssm.server.api.handlers.parameters.operations import OPERATIONS

__all__ = ["OPERATIONS"]
