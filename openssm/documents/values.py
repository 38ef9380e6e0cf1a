"""Values a document and the plan rendered from it share: what a step does after a failure,
its precondition, and a session's type and spec.

Only ``actions.py`` is imported, so the agent can read a Plan (``plan.py``) without
loading the document parsers (``steps.py``, ``sessions.py`` and what they use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from openssm.documents.actions import ALL_PLATFORMS, PlatformType


class OnFailure(StrEnum):
    CONTINUE = "continue"
    EXIT = "exit"
    SUCCESS_AND_EXIT = "successAndExit"


@dataclass(frozen=True, slots=True, kw_only=True)
class Precondition:
    """``StringEquals`` on ``platformType`` or on one ``{{ parameter }}``."""

    expected: str
    platform_type: PlatformType | None = None
    parameter: str | None = None


class SessionType(StrEnum):
    STANDARD_STREAM = "Standard_Stream"
    PORT = "Port"
    INTERACTIVE_COMMANDS = "InteractiveCommands"
    NON_INTERACTIVE_COMMANDS = "NonInteractiveCommands"


LOCAL_PORT_FORWARDING = "LocalPortForwarding"


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionSpec:
    session_type: SessionType
    inputs: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def forwards_local_port(self) -> bool:
        """A Port session whose client listens locally; otherwise it uses stdin and stdout."""
        return (
            self.session_type is SessionType.PORT
            and self.properties.get("type") == LOCAL_PORT_FORWARDING
        )

    @property
    def platforms(self) -> frozenset[PlatformType]:
        if self.session_type in (SessionType.STANDARD_STREAM, SessionType.PORT):
            return ALL_PLATFORMS
        return frozenset(p for p in PlatformType if p.value.lower() in self.properties)
