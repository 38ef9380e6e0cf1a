"""The API errors of State Manager (names bound to the SSM model, like openssm.errors')."""

from __future__ import annotations

from openssm.errors import ConflictFault, InputFault, LimitFault, NotFoundFault


class AssociationDoesNotExist(NotFoundFault):
    pass


class AssociationExecutionDoesNotExist(NotFoundFault):
    pass


class AssociationAlreadyExists(ConflictFault):
    pass


class AssociationLimitExceeded(LimitFault):
    pass


class AssociationVersionLimitExceeded(LimitFault):
    pass


class InvalidAssociationVersion(InputFault):
    pass


class InvalidSchedule(InputFault):
    pass


class InvalidTarget(InputFault):
    pass


class InvalidTargetMaps(InputFault):
    pass


class InvalidOutputLocation(InputFault):
    pass


class StatusUnchanged(ConflictFault):
    pass
