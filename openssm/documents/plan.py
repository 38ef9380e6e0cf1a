"""What the agent runs: a rendered document (``Plan``), and its wire codec.

``render.py`` makes a Plan from a document and parameter values; the agent
receives it inside its invocation frame. A Plan is made of frozen dataclasses,
enums, lists and dicts, all of which msgspec decodes strictly, so a frame can
carry a Plan as a member (``protocol/frames.py``) and ``plan_to_dict`` /
``plan_from_dict`` give the same wire form where a Plan travels on its own.

Only what a plan is made of is imported here, never the document parsers
(``content.py`` needs PyYAML, which the agent's install does not have).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from openssm.documents.actions import PlatformType
from openssm.documents.errors import DocumentContentError
from openssm.documents.kinds import DocumentType
from openssm.documents.values import OnFailure, Precondition, SessionSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedStep:
    name: str
    action: str
    plugin_id: str
    inputs: dict[str, Any] = field(default_factory=dict)
    precondition: Precondition | None = None
    precondition_met: bool = True
    on_failure: OnFailure = OnFailure.CONTINUE
    exit_on_success: bool = False
    is_finally: bool = False
    max_attempts: int = 1
    timeout_s: int | None = None
    is_critical: bool = True
    is_end: bool = False
    settings: dict[str, Any] = field(default_factory=dict)

    def skip_reason(self, platform: PlatformType) -> str | None:
        """Why the step must be skipped on ``platform``, or None to run it."""
        condition = self.precondition
        if condition is None:
            return None
        if condition.parameter is not None and not self.precondition_met:
            return (
                f"precondition {{{{ {condition.parameter} }}}} == '{condition.expected}' is false"
            )
        if condition.platform_type is not None and condition.platform_type is not platform:
            return f"precondition platformType == '{condition.expected}' is false"
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What the agent runs: steps for Command/Policy documents, a session spec for Session."""

    document_type: DocumentType
    schema_version: str
    steps: tuple[RenderedStep, ...] = ()
    session: SessionSpec | None = None


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """JSON-ready form of a Plan (the members by their Python names); ``plan_from_dict``
    reads it back."""
    data: dict[str, Any] = msgspec.to_builtins(plan)
    return data


def plan_from_dict(data: object) -> Plan:
    """Rebuild a Plan from ``plan_to_dict`` output, checking every member's type strictly;
    DocumentContentError saying where when it is malformed. The content itself was checked
    when the server rendered it."""
    try:
        return msgspec.convert(data, Plan, strict=True)
    except msgspec.ValidationError as exc:
        raise DocumentContentError(f"malformed plan: {exc}", path="plan") from None
