"""A client that ends its session with the TerminateSession flag and leaves (as
``openssm port-forward`` and AWS's plugin do on Ctrl-C) ends it at once, however much output
it left unacknowledged. The agent waited up to 5 s for acknowledgements that could not come,
then sent a channel_closed that waited in the relay for a client to come back, so the
session stayed Disconnected for the whole grace period (30 s here) and ended as a client that
"did not reconnect in time"; a transcript read as soon as the session showed in History
missed its last second."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.agents import AgentProcess
from tests.integration.sessions.driver import history, shell_at_prompt
from tests.integration.sessions.nodes import real_agent, relay_server
from tests.support import ServerProcess

pytestmark = pytest.mark.e2e

GRACE_EXPIRED = "The client did not reconnect in time"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with relay_server(Path(tmp_path_factory.mktemp("client-terminates"))) as made:
        yield made


@pytest.fixture(scope="module")
def agent(
    server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentProcess]:
    with real_agent(server, tmp_path_factory.mktemp("agents")) as made:
        yield made


def test_the_clients_terminate_flag_ends_a_busy_session_at_once(
    server: ServerProcess, agent: AgentProcess
) -> None:
    ssm = server.client()
    started: dict[str, Any] = dict(ssm.start_session(Target=agent.instance_id))

    async def flood_then_leave() -> None:
        session = await shell_at_prompt(started)
        await session.type("yes openssm\n")  # output until the session ends
        await session.expect("openssm\r\nopenssm\r\n")
        await session.terminate()
        await session.peer.drain(2)  # the flag is acknowledged, as openssm port-forward waits
        await session.close()  # without reading on: the agent has output unacknowledged

    asyncio.run(flood_then_leave())
    ended = history(ssm, started["SessionId"])  # waits at most 20 s, the grace is 30
    assert ended["Status"] == "Terminated"
    assert ended.get("Details", "") != GRACE_EXPIRED
