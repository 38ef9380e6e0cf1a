"""The roots of the tree: OpenSSMError, ApiError (what reaches API clients) and the grouping
bases that never go on the wire."""

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
