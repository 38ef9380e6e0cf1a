"""Wire operations of configuration compliance."""

from openssm.server.api.handlers.compliance.operations import OPERATIONS

__all__ = ["OPERATIONS"]
