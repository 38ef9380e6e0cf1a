"""Documents."""

from __future__ import annotations

from openssm.errors.base import ConflictFault, InputFault, LimitFault, NotFoundFault


class InvalidDocument(NotFoundFault):
    pass


class InvalidDocumentVersion(NotFoundFault):
    pass


class InvalidDocumentContent(InputFault):
    pass


class InvalidDocumentSchemaVersion(InputFault):
    pass


class InvalidDocumentOperation(InputFault):
    pass


class InvalidPermissionType(InputFault):
    pass


class DocumentAlreadyExists(ConflictFault):
    pass


class DuplicateDocumentContent(ConflictFault):
    pass


class DuplicateDocumentVersionName(ConflictFault):
    pass


class AssociatedInstances(ConflictFault):
    pass


class MaxDocumentSizeExceeded(LimitFault):
    pass


class DocumentLimitExceeded(LimitFault):
    pass


class DocumentVersionLimitExceeded(LimitFault):
    pass


class DocumentPermissionLimit(LimitFault):
    pass
