"""Wire operations of SSM documents."""

from openssm.server.api.handlers.documents.operations import OPERATIONS

__all__ = ["OPERATIONS"]
