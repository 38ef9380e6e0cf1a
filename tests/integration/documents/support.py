"""Shared bits of the document tests: a small valid document, unique names, error capture."""

from __future__ import annotations

import uuid

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
