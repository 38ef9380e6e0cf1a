"""Two replicas on one PostgreSQL: StartSession on the replica that does not hold the agent
answers a StreamUrl naming the replica that does, and the shell works through it; the bytes
go through that replica's relay, never through the database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.agents import AgentFactory
from tests.integration.sessions.driver import DrivenSession
from tests.support import ServerProcess, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_a_session_started_on_one_replica_runs_on_the_agents(
    replicas: tuple[ServerProcess, ServerProcess], tmp_path: Path
) -> None:
    first, second = replicas
    factory = AgentFactory(server=second, root=tmp_path / "agents")
    try:
        (agent,) = factory(1)
        ssm = first.client()
        started: dict[str, Any] = dict(ssm.start_session(Target=agent.instance_id))
        assert second.url.removeprefix("http://") in started["StreamUrl"]

        async def drive() -> None:
            session = DrivenSession()
            await session.attach(started)
            await session.type("echo via-$((20+3))\r")
            await session.expect(r"[\r\n]via-23\r\n")
            await session.type("exit\r")
            await session.closed()

        asyncio.run(drive())

        def ended() -> bool:
            found = ssm.describe_sessions(
                State="History", Filters=[{"key": "SessionId", "value": started["SessionId"]}]
            )["Sessions"]
            return bool(found) and found[0]["Status"] == "Terminated"

        wait_until(ended, timeout_s=20, interval_s=0.1)
    finally:
        factory.stop_all()
