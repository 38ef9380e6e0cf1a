"""Wire operations of tags on any SSM resource."""

from openssm.server.api.handlers.tags.operations import OPERATIONS

__all__ = ["OPERATIONS"]
