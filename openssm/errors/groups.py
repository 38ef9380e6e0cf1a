"""AWS Resource Groups (REST-JSON: the HTTP status is part of each error)."""

from __future__ import annotations

from typing import ClassVar

from openssm.errors.base import ApiError, AuthFault, ClientFault, InputFault, NotFoundFault


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
