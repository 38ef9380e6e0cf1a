"""A server process killed mid-session (SIGKILL: nothing runs on its way out) leaves no
session Active: when it starts again, the sessions its relays held are ended as Failed. With
two replicas on one PostgreSQL only the dead replica's sessions end; the other's go on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import AgentFactory, AgentProcess
from tests.integration.sessions.driver import DrivenSession, history, shell_at_prompt
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

GONE = "The server relaying the session stopped"


def _status(ssm: SSMClient, session_id: str) -> str:
    found = ssm.describe_sessions(
        State="Active", Filters=[{"key": "SessionId", "value": session_id}]
    )["Sessions"]
    return found[0]["Status"] if found else "ended"


async def _connected(server: ServerProcess, agent: AgentProcess) -> tuple[str, DrivenSession]:
    started: dict[str, Any] = dict(server.client().start_session(Target=agent.instance_id))
    session = await shell_at_prompt(started)
    ssm = server.client()
    await asyncio.to_thread(
        wait_until,
        lambda: _status(ssm, started["SessionId"]) == "Connected",
        timeout_s=10,
        interval_s=0.1,
    )
    return started["SessionId"], session


def test_a_killed_servers_sessions_end_when_it_starts_again(tmp_path: Path) -> None:
    server = ServerProcess(
        data_dir=tmp_path / "server", env={"OPENSSM_HEARTBEAT_INTERVAL_S": "0.5"}
    )
    server.start()
    factory = AgentFactory(server=server, root=tmp_path / "agents")
    try:
        (agent,) = factory(1)

        async def crash() -> str:
            session_id, session = await _connected(server, agent)
            server.kill()
            async with asyncio.timeout(10):
                await session.peer.link_lost.wait()
            await session.close()
            return session_id

        session_id = asyncio.run(crash())
        server.start()
        ended = history(server.client(), session_id)
        assert ended["Status"] == "Failed"
        assert ended["Details"] == GONE
    finally:
        factory.stop_all()
        server.stop()


@pytest.mark.postgres
def test_only_the_dead_replicas_sessions_end(
    replicas: tuple[ServerProcess, ServerProcess], tmp_path: Path
) -> None:
    doomed, survivor = replicas
    factories = [
        AgentFactory(server=s, root=tmp_path / f"agents-{i}") for i, s in enumerate(replicas)
    ]
    try:
        (on_doomed,) = factories[0](1)
        (on_survivor,) = factories[1](1)

        async def crash() -> tuple[str, str]:
            lost_id, lost = await _connected(doomed, on_doomed)
            kept_id, kept = await _connected(survivor, on_survivor)
            doomed.kill()
            async with asyncio.timeout(10):
                await lost.peer.link_lost.wait()
            await lost.close()
            await asyncio.to_thread(doomed.start)
            ssm = survivor.client()
            ended = await asyncio.to_thread(history, ssm, lost_id)
            assert (ended["Status"], ended["Details"]) == ("Failed", GONE)
            # The survivor's session was never touched, and still works.
            assert _status(ssm, kept_id) == "Connected"
            await kept.type("echo still-$((40+2))\r")
            await kept.expect(r"[\r\n]still-42\r\n")
            await kept.type("exit\r")
            await kept.closed()
            return lost_id, kept_id

        _lost_id, kept_id = asyncio.run(crash())
        assert history(survivor.client(), kept_id)["Status"] == "Terminated"
    finally:
        for factory in factories:
            factory.stop_all()
