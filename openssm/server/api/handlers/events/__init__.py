"""Wire operations of Amazon EventBridge that manage openssm's event rules and targets."""

from openssm.server.api.handlers.events.operations import OPERATIONS

__all__ = ["OPERATIONS"]
