"""Errors of the AWS JSON protocol itself and those several capabilities answer."""

from __future__ import annotations

from typing import ClassVar

from openssm.errors.base import (
    ApiError,
    AuthFault,
    ClientFault,
    InputFault,
    LimitFault,
    NotFoundFault,
)

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
