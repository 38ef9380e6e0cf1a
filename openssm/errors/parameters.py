"""Parameter Store."""

from __future__ import annotations

from openssm.errors.base import ConflictFault, InputFault, LimitFault, NotFoundFault


class ParameterNotFound(NotFoundFault):
    pass


class ParameterVersionNotFound(NotFoundFault):
    pass


class ParameterAlreadyExists(ConflictFault):
    pass


class ParameterLimitExceeded(LimitFault):
    pass


class ParameterMaxVersionLimitExceeded(LimitFault):
    pass


class ParameterVersionLabelLimitExceeded(LimitFault):
    pass


class HierarchyLevelLimitExceededException(LimitFault):
    pass


class HierarchyTypeMismatchException(InputFault):
    pass


class InvalidAllowedPatternException(InputFault):
    pass


class ParameterPatternMismatchException(InputFault):
    pass


class UnsupportedParameterType(InputFault):
    pass


class PoliciesLimitExceededException(LimitFault):
    pass


class InvalidPolicyTypeException(InputFault):
    pass


class InvalidPolicyAttributeException(InputFault):
    pass


class IncompatiblePolicyException(InputFault):
    pass
