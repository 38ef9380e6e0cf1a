"""The AWS error a refused call answers, read once from botocore's ClientError.

Tests never dig into ``ClientError.response`` themselves: ``aws_error(exc)`` reads it, and
``error_of(call, **kwargs)`` makes the call, requires it to be refused, and reads the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError


@dataclass(frozen=True)
class AwsError:
    """What the server answered: the exception name, its message and the HTTP status."""

    code: str
    message: str
    status: int


def aws_error(exc: ClientError) -> AwsError:
    error = exc.response.get("Error", {})
    return AwsError(
        code=error.get("Code", ""),
        message=error.get("Message", ""),
        status=exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0),
    )


def error_of(call: Callable[..., object], /, **kwargs: Any) -> AwsError:
    """The error ``call(**kwargs)`` must answer.

    The arguments pass untyped on purpose: tests send what the SSM model forbids.
    """
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return aws_error(info.value)
