"""Errors raised by the document core, and the fault paths they carry.

The document core knows nothing of the wire. The server maps each class to the
AWS error code (the code is on the class as ``aws_code``); the agent reports
them as a failed invocation.

    DocumentError                  .path (e.g. ``mainSteps[1].action``), .detail, .message
    ├── DocumentContentError       → InvalidDocumentContent
    ├── DocumentSchemaVersionError → InvalidDocumentSchemaVersion
    └── DocumentParameterError     → InvalidParameters

Messages never quote a parameter *value*: a value may come from an
``{{ssm-secure:…}}`` reference, and error text ends up in logs and responses.
"""

from __future__ import annotations

from typing import ClassVar

from openssm.errors import OpenSSMError


class DocumentError(OpenSSMError):
    """A document or its parameters are wrong; ``path`` locates the fault."""

    aws_code: ClassVar[str] = ""
    prefix: ClassVar[str] = ""

    def __init__(self, detail: str, *, path: str = "") -> None:
        self.detail = detail
        self.path = path
        self.message = f"{self.prefix}{detail}"
        super().__init__(self.message)


class DocumentContentError(DocumentError):
    aws_code = "InvalidDocumentContent"
    prefix = "Invalid document content: "


class DocumentSchemaVersionError(DocumentError):
    aws_code = "InvalidDocumentSchemaVersion"
    prefix = "Invalid document schema version: "


class DocumentParameterError(DocumentError):
    aws_code = "InvalidParameters"
    prefix = "Invalid parameters: "


def child_path(path: str, key: str | int) -> str:
    """Extend a fault path: ``child_path("mainSteps", 1) == "mainSteps[1]"``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key
