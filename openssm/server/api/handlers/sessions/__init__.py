"""Wire operations of Session Manager."""

from openssm.server.api.handlers.sessions.operations import OPERATIONS

__all__ = ["OPERATIONS"]
