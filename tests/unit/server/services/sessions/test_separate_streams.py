"""separateOutPutStream in a NonInteractiveCommands document's properties: what the agent is
told, and what StartSession refuses (AWS's agent's rules for the prefixes)."""

from __future__ import annotations

from typing import Any

import pytest

from openssm.documents.values import SessionSpec, SessionType
from openssm.errors import InvalidDocument
from openssm.server.services.sessions.preferences import agent_spec

NON_INTERACTIVE = SessionType.NON_INTERACTIVE_COMMANDS


def _properties(session_type: SessionType, **linux: Any) -> dict[str, str]:
    spec = SessionSpec(
        session_type=session_type, properties={"linux": {"commands": "make", **linux}}
    )
    return agent_spec(spec, {}, document_name="Doc", run_as_tag=None).properties


def test_the_agent_is_told_to_separate_the_streams_and_their_prefixes() -> None:
    properties = _properties(
        NON_INTERACTIVE,
        separateOutPutStream="true",
        stdOutSeparatorPrefix="OUT:",
        stdErrSeparatorPrefix="ERR:\n",
    )
    assert properties == {
        "commands": "make",
        "separateOutputStream": "true",
        "stdoutSeparatorPrefix": "OUT:",
        "stderrSeparatorPrefix": "ERR:\n",
    }


@pytest.mark.parametrize("value", ["false", "", False, None, "FALSE"])
def test_off_the_streams_stay_one(value: object) -> None:
    assert _properties(NON_INTERACTIVE, separateOutputStream=value) == {"commands": "make"}


@pytest.mark.parametrize("value", [True, "True", "1"])
def test_a_boolean_or_its_spelling_turns_it_on(value: object) -> None:
    assert _properties(NON_INTERACTIVE, separateOutputStream=value)["separateOutputStream"]


@pytest.mark.parametrize(
    ("linux", "message"),
    [
        ({"separateOutPutStream": "yes"}, "true or false"),
        ({"separateOutPutStream": "true", "stdOutSeparatorPrefix": "a b"}, "up to 30"),
        ({"separateOutPutStream": "true", "stdErrSeparatorPrefix": "x" * 31}, "up to 30"),
    ],
)
def test_what_aws_agent_would_refuse_is_refused_at_start(
    linux: dict[str, str], message: str
) -> None:
    with pytest.raises(InvalidDocument, match=message):
        _properties(NON_INTERACTIVE, **linux)


def test_a_command_on_a_terminal_cannot_separate_its_streams() -> None:
    with pytest.raises(InvalidDocument, match="NonInteractiveCommands"):
        _properties(SessionType.INTERACTIVE_COMMANDS, separateOutPutStream="true")
