"""The kinds of SSM document openssm stores and runs (``DocumentType`` on the wire)."""

from __future__ import annotations

from enum import StrEnum


class DocumentType(StrEnum):
    COMMAND = "Command"
    POLICY = "Policy"
    SESSION = "Session"
