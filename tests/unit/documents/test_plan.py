"""The plan codec: what the agent runs, in the wire form its invocation carries."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from openssm.documents.actions import PlatformType
from openssm.documents.errors import DocumentContentError
from openssm.documents.kinds import DocumentType
from openssm.documents.plan import Plan, RenderedStep, plan_from_dict, plan_to_dict
from openssm.documents.values import OnFailure, Precondition, SessionSpec, SessionType

COMMAND_PLAN = Plan(
    document_type=DocumentType.COMMAND,
    schema_version="2.2",
    steps=(
        RenderedStep(
            name="a",
            action="aws:runShellScript",
            plugin_id="a",
            inputs={"runCommand": ["echo hi", "true"], "nested": {"list": [{"k": 1.5}]}},
            precondition=Precondition(expected="dev", parameter="env"),
            precondition_met=False,
            on_failure=OnFailure.EXIT,
            max_attempts=2,
            timeout_s=30,
        ),
        RenderedStep(
            name="b",
            action="aws:runShellScript",
            plugin_id="b",
            precondition=Precondition(expected="MacOS", platform_type=PlatformType.MACOS),
            is_finally=True,
            settings={"startType": "Enabled"},
        ),
    ),
)
SESSION_PLAN = Plan(
    document_type=DocumentType.SESSION,
    schema_version="1.0",
    session=SessionSpec(
        session_type=SessionType.PORT, properties={"portNumber": "22", "type": "Port"}
    ),
)


@pytest.mark.parametrize("plan", [COMMAND_PLAN, SESSION_PLAN], ids=["command", "session"])
def test_plan_round_trips_through_its_wire_form(plan: Plan) -> None:
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))) == plan
    assert msgspec.json.decode(msgspec.json.encode(plan), type=Plan) == plan


def test_wire_form_names_members_as_the_frames_do() -> None:
    wire = plan_to_dict(COMMAND_PLAN)
    assert wire["document_type"] == "Command"
    step = wire["steps"][0]
    assert step["on_failure"] == "exit"
    assert step["precondition"] == {"expected": "dev", "platform_type": None, "parameter": "env"}


def _with(path: list[str | int], value: object) -> dict[str, Any]:
    wire = json.loads(json.dumps(plan_to_dict(COMMAND_PLAN)))
    target = wire
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return wire  # type: ignore[no-any-return]  # json.loads is untyped


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (["steps", 0, "max_attempts"], "many", r"\$\.steps\[0\]\.max_attempts"),
        (["steps", 0, "max_attempts"], True, r"\$\.steps\[0\]\.max_attempts"),
        (["steps", 1, "on_failure"], "later", r"\$\.steps\[1\]\.on_failure"),
        (["steps", 1, "precondition", "platform_type"], "BeOS", r"platform_type"),
        (["steps", 0, "inputs"], ["not", "a", "map"], r"\$\.steps\[0\]\.inputs"),
        (["document_type"], "Automation", r"\$\.document_type"),
        (["steps"], {"0": {}}, r"\$\.steps"),
    ],
)
def test_a_malformed_plan_is_refused_naming_where(
    path: list[str | int], value: object, where: str
) -> None:
    with pytest.raises(DocumentContentError, match=f"malformed plan: .*{where}"):
        plan_from_dict(_with(path, value))


def test_a_plan_missing_a_member_is_refused() -> None:
    with pytest.raises(DocumentContentError, match="missing required field `document_type`"):
        plan_from_dict({})
    with pytest.raises(DocumentContentError, match="malformed plan"):
        plan_from_dict([])
