"""Wire operations of Run Command."""

from openssm.server.api.handlers.commands.operations import OPERATIONS

__all__ = ["OPERATIONS"]
