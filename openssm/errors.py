"""The one exception hierarchy of openssm.

Only ``ApiError`` subclasses reach API clients; their class name is the AWS
wire code (``__type``), so ``client.exceptions.ParameterNotFound`` matches.

    OpenSSMError
    ├── ApiError                      .code = class name, .http_status, .message
    │   ├── ClientFault (400)         grouping bases never go on the wire
    │   │   ├── InputFault            ValidationException, InvalidParameters, InvalidKeyId, …
    │   │   ├── NotFoundFault         ParameterNotFound, InvalidDocument, InvalidInstanceId, …
    │   │   ├── ConflictFault         ParameterAlreadyExists, DocumentAlreadyExists, …
    │   │   ├── LimitFault            ParameterLimitExceeded, TooManyUpdates, …
    │   │   └── UnknownOperationException, UnsupportedOperationException
    │   ├── AuthFault                 UnrecognizedClientException, InvalidSignatureException, …
    │   ├── ThrottlingException
    │   └── InternalServerError (500) only from the API catch-all
    │       (InternalServerErrorException on the Resource Groups endpoint)
    ├── ConfigError                   bad settings at start-up
    ├── StoreError                    DuplicateKey, ConcurrentUpdate, ConstraintViolation
    ├── ChannelError                  HandshakeRejected, ProtocolViolation, ConnectionClosed,
    │   │                             InstanceDeregistered, UntrustedServer
    │   └── DataChannelError          a session message that cannot be read; SessionEnded
    ├── ObjectStoreError              ObjectNotFound, BadObjectKey; an S3 call that failed
    └── AgentError                    RegistrationError, AlreadyRegistered, NotRegistered,
                                      InsecureTransport
"""

from __future__ import annotations

from typing import Any, ClassVar


class OpenSSMError(Exception):
    """Root of every error openssm raises on purpose."""


class ApiError(OpenSSMError):
    """An error answered to an API client as ``{"__type": code, "message": …}``."""

    code: ClassVar[str] = "ApiError"
    http_status: ClassVar[int] = 400
    abstract: ClassVar[bool] = True

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.abstract = abstract
        if not abstract:
            cls.code = cls.__name__

    def __init__(self, message: str = "", **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"__type": self.code}
        if self.message:
            body["message"] = self.message
        body.update(self.extra)
        return body


class ClientFault(ApiError, abstract=True):
    """The caller sent something wrong; retrying unchanged will not help."""


class InputFault(ClientFault, abstract=True):
    pass


class NotFoundFault(ClientFault, abstract=True):
    pass


class ConflictFault(ClientFault, abstract=True):
    pass


class LimitFault(ClientFault, abstract=True):
    pass


class AuthFault(ApiError, abstract=True):
    pass


# --- protocol and common errors -------------------------------------------------------


class ValidationException(InputFault):
    pass


class SerializationException(InputFault):
    pass


class UnknownOperationException(ClientFault):
    pass


class UnsupportedOperationException(ClientFault):
    pass


class ThrottlingException(ApiError):
    pass


class InternalServerError(ApiError):
    http_status: ClassVar[int] = 500


class MissingAuthenticationTokenException(AuthFault):
    http_status: ClassVar[int] = 403


class IncompleteSignatureException(AuthFault):
    pass


class UnrecognizedClientException(AuthFault):
    pass


class InvalidSignatureException(AuthFault):
    pass


class AccessDeniedException(AuthFault):
    pass


# --- shared by several capabilities ---------------------------------------------------


class InvalidNextToken(InputFault):
    pass


class InvalidFilterKey(InputFault):
    pass


class InvalidFilterOption(InputFault):
    pass


class InvalidFilterValue(InputFault):
    pass


class InvalidFilter(InputFault):
    pass


class InvalidParameters(InputFault):
    pass


class InvalidKeyId(InputFault):
    pass


class TooManyUpdates(LimitFault):
    pass


class InvalidResourceType(InputFault):
    pass


class InvalidResourceId(NotFoundFault):
    pass


class TooManyTagsError(LimitFault):
    pass


class DoesNotExistException(NotFoundFault):
    pass


# --- managed nodes and hybrid activations ---------------------------------------------------


class InvalidActivation(ClientFault):
    """The activation exists but cannot register more nodes (expired, used up)."""


class InvalidActivationId(NotFoundFault):
    pass


class InvalidInstanceId(NotFoundFault):
    pass


class InvalidInstanceInformationFilterValue(InputFault):
    pass


# --- AWS Resource Groups (REST-JSON: the HTTP status is part of each error) ---------------


class BadRequestException(InputFault):
    pass


class ForbiddenException(AuthFault):
    http_status: ClassVar[int] = 403


class NotFoundException(NotFoundFault):
    http_status: ClassVar[int] = 404


class MethodNotAllowedException(ClientFault):
    http_status: ClassVar[int] = 405


class TooManyRequestsException(ApiError):
    http_status: ClassVar[int] = 429


class InternalServerErrorException(ApiError):
    http_status: ClassVar[int] = 500


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


# --- Parameter Store --------------------------------------------------------------------


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


# --- Documents ----------------------------------------------------------------------------


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


# --- Session Manager ------------------------------------------------------------------------


class TargetNotConnected(ClientFault):
    """StartSession's target is not a managed node connected to the server."""


# --- Run Command ----------------------------------------------------------------------------


class InvalidCommandId(NotFoundFault):
    pass


class InvalidPluginName(InputFault):
    pass


class InvocationDoesNotExist(NotFoundFault):
    pass


class DuplicateInstanceId(InputFault):
    pass


class InvalidOutputFolder(InputFault):
    """SendCommand's OutputS3BucketName cannot take the output (no S3 endpoint, no bucket)."""


# --- Compliance ------------------------------------------------------------------------------


class InvalidItemContentException(InputFault):
    pass


class ItemSizeLimitExceededException(LimitFault):
    pass


class TotalSizeLimitExceededException(LimitFault):
    pass


class ComplianceTypeCountLimitExceededException(LimitFault):
    pass


# --- Inventory -------------------------------------------------------------------------------


class InvalidTypeNameException(InputFault):
    pass


class ItemContentMismatchException(InputFault):
    pass


class CustomSchemaCountLimitExceededException(LimitFault):
    pass


class UnsupportedInventorySchemaVersionException(InputFault):
    pass


class UnsupportedInventoryItemContextException(InputFault):
    pass


class InvalidAggregatorException(InputFault):
    pass


class InvalidResultAttributeException(InputFault):
    pass


class InvalidInventoryGroupException(InputFault):
    pass


class InvalidOptionException(InputFault):
    pass


class InvalidDeleteInventoryParametersException(InputFault):
    pass


class InvalidInventoryRequestException(InputFault):
    pass


class InvalidDeletionIdException(NotFoundFault):
    pass


# --- process-internal errors (never on the wire) -----------------------------------------


class ConfigError(OpenSSMError):
    """Start-up configuration is wrong; ``problems`` lists every one, each a line of the text."""

    def __init__(self, *problems: str) -> None:
        super().__init__(*problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(self.problems)


class StoreError(OpenSSMError):
    pass


class DuplicateKey(StoreError):
    """A unique key was taken first by a concurrent writer; trying again may succeed."""


class ConcurrentUpdate(StoreError):
    """A write kept losing races for the same key; the API answers TooManyUpdates."""


class ConstraintViolation(StoreError):
    """A NOT NULL, foreign-key or CHECK constraint refused a write: a bug in the code that
    wrote, never a conflict between callers, so it is never retried."""


class ChannelError(OpenSSMError):
    pass


class HandshakeRejected(ChannelError):
    pass


class ProtocolViolation(ChannelError):
    pass


class ConnectionClosed(ChannelError):
    pass


class UntrustedServer(ChannelError):
    """The server's TLS certificate failed verification."""


class InstanceDeregistered(ChannelError):
    """The server says this instance was deregistered; the agent must stop for good."""


class ObjectStoreError(OpenSSMError):
    """The object store (full command output) could not do what was asked."""


class ObjectNotFound(ObjectStoreError):
    pass


class BadObjectKey(ObjectStoreError, ValueError):
    """A key that would leave the store's root or that no store may hold."""


class AgentError(OpenSSMError):
    """The agent cannot do what it was asked; the message tells the operator what to do."""


class RegistrationError(AgentError):
    """The server refused the activation, or could not be reached."""


class AlreadyRegistered(AgentError):
    pass


class NotRegistered(AgentError):
    pass


class InsecureTransport(AgentError):
    """The server URL would carry secrets over a network in clear."""


class DataChannelError(ChannelError):
    """A session data-channel message or payload that cannot be read, or a peer that broke
    the session protocol (openssm.sessions)."""


class SessionEnded(DataChannelError):
    """The session's data channel closed for good (channel_closed, TerminateSession, resends
    exhausted); ``str(exc)`` is the reason to show the user."""
