"""Wire operations of AWS CloudTrail over the audit trail: LookupEvents."""

from openssm.server.api.handlers.audit.operations import OPERATIONS

__all__ = ["OPERATIONS"]
