"""A test-side agent for Run Command: takes invocation frames and answers with results the test
chooses, over the real channel of a real server (tests/integration/channel_client.py).

It lets a test hold an invocation "running" for as long as it likes, fail it, or answer a
cancel, so rate control and status roll-ups are checked exactly; real agents running real
shells are in the end-to-end tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from types_boto3_ssm.client import SSMClient
from websockets.exceptions import ConnectionClosed

from tests.integration.channel_client import (
    ChannelClient,
    Frame,
    Identity,
    activate,
    connect_agent,
    register,
)


def step_result(
    *,
    status: str = "Success",
    code: int = 0,
    stdout: str = "",
    stderr: str = "",
    name: str = "aws:runShellScript",
    index: int = 0,
) -> dict[str, Any]:
    now = time.time()
    return {
        "index": index,
        "name": name,
        "action": "aws:runShellScript",
        "status": status,
        "status_details": status,
        "response_code": code,
        "started_at": now - 0.01,
        "ended_at": now,
        "stdout": stdout,
        "stderr": stderr,
    }


@dataclass
class DrivenAgent:
    url: str
    identity: Identity
    client: ChannelClient | None = None
    # Frames that arrived while the test waited for another kind.
    backlog: list[Frame] = field(default_factory=list)

    @property
    def instance_id(self) -> str:
        return self.identity.instance_id

    def connect(self) -> DrivenAgent:
        self.client = connect_agent(self.url, self.identity)
        return self

    def disconnect(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def next_frame(self, kind: str, timeout_s: float = 10.0) -> Frame:
        """The next frame of ``kind`` (others are kept in the backlog)."""
        for i, frame in enumerate(self.backlog):
            if frame["type"] == kind:
                return self.backlog.pop(i)
        assert self.client is not None
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.instance_id}: no {kind} frame in {timeout_s}s")
            frame = self.client.recv(remaining)
            if frame["type"] == kind:
                return frame
            self.backlog.append(frame)

    def receives_nothing(self, kind: str, within_s: float) -> bool:
        try:
            self.next_frame(kind, timeout_s=within_s)
        except TimeoutError:
            return True
        except ConnectionClosed:
            return True
        return False

    def report(
        self,
        command_id: str,
        details: str = "Success",
        *,
        code: int = 0,
        steps: list[dict[str, Any]] | None = None,
    ) -> None:
        assert self.client is not None
        if steps is None:
            status = {"ExecutionTimedOut": "TimedOut"}.get(details, details)
            steps = [step_result(status=status, code=code)]
        self.client.send(
            {
                "type": "result",
                "command_id": command_id,
                "details": details,
                "response_code": code,
                "ended_at": time.time(),
                "steps": steps,
            }
        )

    def run_next(self, stdout: str = "", details: str = "Success", code: int = 0) -> Frame:
        """Take the next invocation and report it ended; returns the invocation frame."""
        invocation = self.next_frame("invocation")
        status = {"ExecutionTimedOut": "TimedOut"}.get(details, details)
        self.report(
            invocation["command_id"],
            details,
            code=code,
            steps=[step_result(status=status, code=code, stdout=stdout)],
        )
        return invocation


def driven_agents(ssm: SSMClient, url: str, count: int) -> list[DrivenAgent]:
    activation_id, code = activate(ssm, limit=count)
    return [DrivenAgent(url, register(url, activation_id, code)).connect() for _ in range(count)]
