"""An agent's ``result`` frame, checked and turned into what the store records. Pure.

The instance id comes from the authenticated channel, never from the frame, so an agent can
only ever report on its own invocations. Anything malformed is a ProtocolViolation; text is
cut to AWS's inline limits whatever the agent sent.
"""

from __future__ import annotations

import datetime as dt
import math

from openssm.errors import ProtocolViolation
from openssm.protocol.frames import ResultFrame
from openssm.protocol.frames import StepResult as WireStep
from openssm.server.services.commands.progress import InvocationResult, StepResult
from openssm.statuses import TERMINAL_DETAILS, InvocationDetail, InvocationStatus

STDOUT_LIMIT = 24_000
STDERR_LIMIT = 8_000
MAX_STEPS = 100
_NAME_LIMIT = 128


def _time(value: float | None, what: str) -> dt.datetime | None:
    if value is None:
        return None
    if not math.isfinite(value):
        raise ProtocolViolation(f"result {what} is not a time")
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ProtocolViolation(f"result {what} is out of range") from exc


def _int32(value: int, what: str) -> int:
    if abs(value) > 2**31:
        raise ProtocolViolation(f"result {what} is not a 32-bit integer")
    return value


def _size(value: int, what: str) -> int:
    if not 0 <= value < 2**53:
        raise ProtocolViolation(f"result {what} is not a size")
    return value


def _step(raw: WireStep) -> StepResult:
    try:
        status = InvocationStatus(raw.status)
    except ValueError:
        raise ProtocolViolation("result step has an unknown status") from None
    return StepResult(
        index=_int32(raw.index, "step index"),
        name=raw.name[:_NAME_LIMIT] or str(raw.index),
        action=raw.action[:64],
        status=status,
        status_details=raw.status_details[:100] or status.value,
        response_code=_int32(raw.response_code, "step response code"),
        started_at=_time(raw.started_at, "step start"),
        ended_at=_time(raw.ended_at, "step end"),
        stdout=raw.stdout[:STDOUT_LIMIT],
        stderr=raw.stderr[:STDERR_LIMIT],
        plugin_id=raw.plugin_id[:_NAME_LIMIT],
        stdout_size=_size(raw.stdout_size, "step stdout size"),
        stderr_size=_size(raw.stderr_size, "step stderr size"),
    )


def result_from_frame(instance_id: str, frame: ResultFrame) -> InvocationResult:
    try:
        details = InvocationDetail(frame.details)
    except ValueError:
        raise ProtocolViolation(f"result has unknown details {frame.details[:32]!r}") from None
    if details not in TERMINAL_DETAILS:
        raise ProtocolViolation(f"result details {details} is not an ending")
    if len(frame.steps) > MAX_STEPS:
        raise ProtocolViolation(f"result has more than {MAX_STEPS} steps")
    steps = [_step(raw) for raw in frame.steps]
    if len({step.index for step in steps}) != len(steps):
        raise ProtocolViolation("result repeats a step index")
    ended = _time(frame.ended_at, "end")
    assert ended is not None
    return InvocationResult(
        command_id=frame.command_id[:36],
        instance_id=instance_id,
        details=details,
        response_code=_int32(frame.response_code, "response code"),
        ended_at=ended,
        steps=tuple(steps),
    )
