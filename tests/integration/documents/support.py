"""Shared bits of the document tests: a small valid document, unique names, error capture."""

from __future__ import annotations

import uuid
from typing import Any

import botocore.exceptions
import pytest

SIMPLE = {
    "schemaVersion": "2.2",
    "description": "Say hello.",
    "parameters": {"greeting": {"type": "String", "default": "hello"}},
    "mainSteps": [
        {
            "action": "aws:runShellScript",
            "name": "sayHello",
            "inputs": {"runCommand": ["echo {{ greeting }}"]},
        }
    ],
}


def unique(prefix: str = "doc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error(call: Any, **kwargs: Any) -> dict[str, str]:
    """The ``Error`` of the ClientError ``call(**kwargs)`` must raise."""
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    found = info.value.response["Error"]
    return {"Code": str(found.get("Code", "")), "Message": str(found.get("Message", ""))}
