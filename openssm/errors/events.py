"""Amazon EventBridge (rules and targets of openssm's events) and AWS CloudTrail
(LookupEvents over the audit trail)."""

from __future__ import annotations

from openssm.errors.base import InputFault, LimitFault, NotFoundFault

# --- Amazon EventBridge (rules and targets of openssm's events) ----------------------------


class InvalidEventPatternException(InputFault):
    pass


class ResourceNotFoundException(NotFoundFault):
    pass


class LimitExceededException(LimitFault):
    pass


# --- AWS CloudTrail (LookupEvents over the audit trail) -----------------------------------


class InvalidLookupAttributesException(InputFault):
    pass


class InvalidTimeRangeException(InputFault):
    pass


class InvalidNextTokenException(InputFault):
    pass
