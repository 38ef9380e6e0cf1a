"""Compliance."""

from __future__ import annotations

from openssm.errors.base import InputFault, LimitFault


class InvalidItemContentException(InputFault):
    pass


class ItemSizeLimitExceededException(LimitFault):
    pass


class TotalSizeLimitExceededException(LimitFault):
    pass


class ComplianceTypeCountLimitExceededException(LimitFault):
    pass
