"""Wire operations of AWS Resource Groups: groups, their tag queries and their tags."""

from openssm.server.api.handlers.groups.operations import OPERATIONS

__all__ = ["OPERATIONS"]
