"""Shell sessions end to end: a real server, a real agent running a real login shell in a pty
as ssm-user (never root, SECURITY.md #15), and a client speaking AWS's data-channel protocol
through the server's relay: prompt, echo, ``stty size`` after a resize, Ctrl-C, exit ending
the session, a client cut and resumed with nothing lost, a one-time token, and the transcript
in the object store, also after the agent is killed mid-session."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import AgentFactory, AgentProcess
from tests.integration.commands.output_support import signed_get
from tests.integration.sessions.driver import (
    PROMPT,
    DrivenSession,
    history,
    open_channel,
    shell_at_prompt,
)
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e


def _start(server: ServerProcess, target: str) -> tuple[SSMClient, dict[str, Any]]:
    ssm = server.client()
    return ssm, dict(ssm.start_session(Target=target))


def test_a_shell_prompts_echoes_resizes_and_ends_on_exit(
    session_server: ServerProcess, agent: AgentProcess
) -> None:
    ssm, started = _start(session_server, agent.instance_id)

    async def drive() -> str:
        session = DrivenSession()
        await session.attach(started)
        await session.resize(100, 30)
        await session.expect(PROMPT)
        await session.type("stty size; id -un\r")
        await session.expect(r"30 100\r\n")
        who = (await session.expect(r"(\S+)\r\n")).group(1).decode()
        await session.expect(PROMPT)
        await session.resize(132, 43)
        await session.type("stty size\r")
        await session.expect(r"43 132\r\n")
        await session.type("echo marker-$((6*7))\r")
        await session.expect(r"[\r\n]marker-42\r\n")
        await session.expect(PROMPT)
        await session.type("sleep 30\r")
        await session.expect(r"sleep 30\r\n")
        await asyncio.sleep(0.5)  # the shell has handed the terminal to sleep
        await session.type("\x03")  # Ctrl-C interrupts the foreground job, not the session
        await session.expect(r"\^C")
        await session.expect(PROMPT)
        await session.type("exit\r")
        reason = await session.closed()
        assert started["SessionId"] in reason
        return who

    who = asyncio.run(drive())
    expected = "ssm-user" if os.geteuid() == 0 else Path.home().name
    assert who == expected
    ended = history(ssm, started["SessionId"])
    assert ended["Status"] == "Terminated"
    url = ended["OutputUrl"]["S3OutputUrl"]
    assert url.endswith(f"/session-output/{started['SessionId']}")
    status, transcript = signed_get(url)
    assert status == 200
    assert b"marker-42" in transcript
    assert b"43 132" in transcript


def test_a_token_opens_the_channel_once(session_server: ServerProcess, agent: AgentProcess) -> None:
    ssm, started = _start(session_server, agent.instance_id)

    async def drive() -> None:
        session = await shell_at_prompt(started, size=None)
        second = await open_channel(started)  # the same token again
        async with asyncio.timeout(10):
            await second.wait_closed()
        assert second.close_code == 1008
        await session.type("echo still-here\r")
        await session.expect(r"[\r\n]still-here\r\n")
        await session.terminate()
        await session.closed()

    asyncio.run(drive())
    assert history(ssm, started["SessionId"])["Status"] == "Terminated"


def test_a_cut_client_resumes_with_nothing_lost(
    session_server: ServerProcess, agent: AgentProcess
) -> None:
    ssm, started = _start(session_server, agent.instance_id)

    async def drive() -> None:
        session = await shell_at_prompt(started, size=None)
        await session.type("sleep 1; seq 1 3000 | tr '\\n' ' '; echo; echo done-counting\r")
        await session.drop()

        def disconnected() -> bool:
            found = ssm.describe_sessions(
                State="Active", Filters=[{"key": "SessionId", "value": started["SessionId"]}]
            )["Sessions"]
            return bool(found) and found[0]["Status"] == "Disconnected"

        await asyncio.to_thread(wait_until, disconnected, timeout_s=15, interval_s=0.1)
        resumed: dict[str, Any] = dict(ssm.resume_session(SessionId=started["SessionId"]))
        assert resumed["StreamUrl"] == started["StreamUrl"]
        await session.attach(resumed)
        found = await session.expect(r"1 2 3 .*? 3000 \r\ndone-counting\r\n", timeout_s=30)
        numbers = found.group(0).split(b"\r\n")[0].split()
        assert numbers == [str(n).encode() for n in range(1, 3001)]
        await session.type("exit\r")
        await session.closed()

    asyncio.run(drive())


def test_the_transcript_survives_the_agent_killed_mid_session(
    session_server: ServerProcess, factory: AgentFactory
) -> None:
    (doomed,) = factory(1)
    ssm, started = _start(session_server, doomed.instance_id)

    async def drive() -> str:
        session = await shell_at_prompt(started, size=None)
        await session.type("echo before-the-crash\r")
        await session.expect(r"[\r\n]before-the-crash\r\n")
        await asyncio.sleep(1.5)  # the transcript's piece is written within a second
        doomed.kill(signal.SIGKILL)
        return await session.closed()

    reason = asyncio.run(drive())
    assert "lost" in reason
    ended = history(ssm, started["SessionId"])
    assert ended["Status"] == "Failed"
    status, transcript = signed_get(ended["OutputUrl"]["S3OutputUrl"])
    assert status == 200
    assert b"before-the-crash" in transcript


def test_a_run_as_user_that_does_not_exist_fails_the_session(
    session_server: ServerProcess, agent: AgentProcess
) -> None:
    """SECURITY.md #15: the session fails; it never falls back to another user."""
    ssm = session_server.client()
    doc = f"RunAsMissing-{uuid.uuid4().hex[:8]}"
    content = {
        "schemaVersion": "1.0",
        "sessionType": "Standard_Stream",
        "inputs": {"runAsEnabled": True, "runAsDefaultUser": "nosuchuser42"},
    }
    ssm.create_document(Name=doc, Content=json.dumps(content), DocumentType="Session")
    started: dict[str, Any] = dict(ssm.start_session(Target=agent.instance_id, DocumentName=doc))

    async def drive() -> str:
        session = DrivenSession()
        await session.attach(started)
        await session.resize(80, 24)
        return await session.closed()

    reason = asyncio.run(drive())
    expected = "does not exist" if os.geteuid() == 0 else "not root"
    assert expected in reason
    assert "nosuchuser42" in reason
