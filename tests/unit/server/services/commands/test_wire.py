"""An agent's result frame: what the server keeps of it, and what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openssm.errors import ProtocolViolation
from openssm.protocol.frames import ResultFrame, decode_from_agent
from openssm.server.services.commands.progress import InvocationResult
from openssm.server.services.commands.wire import STDERR_LIMIT, STDOUT_LIMIT, result_from_frame
from openssm.statuses import InvocationDetail, InvocationStatus

COMMAND_ID = "3a6d1f6e-9c51-4a8e-8f5a-0a2b4c6d8e00"


def _step(**changes: Any) -> dict[str, Any]:
    step: dict[str, Any] = {
        "index": 0,
        "name": "aws:runShellScript",
        "action": "aws:runShellScript",
        "status": "Success",
        "status_details": "Success",
        "response_code": 0,
        "started_at": 1_700_000_000.0,
        "ended_at": 1_700_000_001.5,
        "stdout": "hi\n",
        "stderr": "",
    }
    step.update(changes)
    return step


def _frame(details: str = "Success", steps: list[Any] | None = None) -> str:
    """The frame's text as an agent sends it."""
    return json.dumps(
        {
            "type": "result",
            "command_id": COMMAND_ID,
            "details": details,
            "response_code": 0,
            "ended_at": 1_700_000_002.0,
            "steps": [_step()] if steps is None else steps,
        }
    )


def _result(text: str) -> InvocationResult:
    """What the server makes of the text: decoded strictly, then checked."""
    frame = decode_from_agent(text)
    assert isinstance(frame, ResultFrame)
    return result_from_frame("mi-0123456789abcdef0", frame)


def test_the_instance_comes_from_the_channel_and_output_is_cut_to_aws_limits() -> None:
    long = _step(stdout="o" * (STDOUT_LIMIT + 10), stderr="e" * (STDERR_LIMIT + 10))
    result = _result(_frame(steps=[long]))
    assert result.instance_id == "mi-0123456789abcdef0"
    assert result.details is InvocationDetail.SUCCESS
    (step,) = result.steps
    assert step.status is InvocationStatus.SUCCESS
    assert (len(step.stdout), len(step.stderr)) == (STDOUT_LIMIT, STDERR_LIMIT)
    assert step.started_at is not None
    assert step.ended_at is not None
    assert (step.ended_at - step.started_at).total_seconds() == 1.5


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        (_frame(details="Happy"), "unknown details"),
        (_frame(details="InProgress"), "not an ending"),
        (_frame(steps=[_step(status="Fine")]), "unknown status"),
        (_frame(steps=[_step(index="0")]), "Expected `int`"),
        (_frame(steps=[_step(response_code=2**40)]), "32-bit"),
        (_frame(steps=[_step(started_at=1e300)]), "out of range"),
        (_frame(steps=[_step(stdout=5)]), "Expected `str`"),
        (_frame(steps=[_step(), _step()]), "repeats"),
        (_frame(steps=[_step(index=i) for i in range(101)]), "more than"),
        (_frame(steps=["step"]), "Expected `object`"),
    ],
)
def test_malformed_results_are_protocol_violations(frame: str, words: str) -> None:
    with pytest.raises(ProtocolViolation, match=words):
        _result(frame)
