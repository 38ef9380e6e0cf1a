"""A session whose managed node never opens it does not hang: the node is connected on the real
channel (so StartSession answers) but never opens the session's leg. With the open timeout
a second long (OPENSSM_SESSION_OPEN_TIMEOUT_S; 15 s by default), a client waiting on the
StreamUrl is told why in channel_closed, and a session nobody opened ends too; both show
Failed in DescribeSessions' History with the reason."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from types_boto3_ssm.client import SSMClient

from openssm.errors import SessionEnded
from openssm.sessions.client import ClientChannel
from tests.integration.commands.driver import DrivenAgent
from tests.integration.sessions.driver import history
from tests.integration.sessions.nodes import driven_node, relay_server
from tests.support import ServerProcess

OPEN_TIMEOUT_S = 1.0
NEVER_OPENED = "The managed node did not open the session"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = Path(tmp_path_factory.mktemp("open-timeout"))
    with relay_server(data_dir, {"OPENSSM_SESSION_OPEN_TIMEOUT_S": str(OPEN_TIMEOUT_S)}) as made:
        yield made


@pytest.fixture(scope="module")
def node(server: ServerProcess) -> Iterator[DrivenAgent]:
    with driven_node(server) as driven:
        yield driven


@pytest.fixture(scope="module")
def ssm(server: ServerProcess) -> SSMClient:
    return server.client()


def test_a_waiting_client_is_told_the_node_did_not_open_the_session(
    ssm: SSMClient, node: DrivenAgent
) -> None:
    started = ssm.start_session(Target=node.instance_id)
    session_id = started["SessionId"]

    async def resume() -> tuple[str, str] | None:
        answer = await asyncio.to_thread(ssm.resume_session, SessionId=session_id)
        return (answer["TokenValue"], answer["StreamUrl"]) if answer["TokenValue"] else None

    async def wait_for_the_end() -> str:
        channel = ClientChannel(started["StreamUrl"], started["TokenValue"], resume=resume)
        await channel.open()
        try:
            with pytest.raises(SessionEnded) as ended:
                await asyncio.wait_for(channel.peer.receive(), 10 * OPEN_TIMEOUT_S)
            return str(ended.value)
        finally:
            await channel.close()

    began = time.monotonic()
    reason = asyncio.run(wait_for_the_end())
    assert reason == NEVER_OPENED
    assert time.monotonic() - began < 5 * OPEN_TIMEOUT_S
    ended = history(ssm, session_id)
    assert ended["Status"] == "Failed"
    assert ended["Details"] == NEVER_OPENED


def test_a_session_nobody_opened_ends_failed(ssm: SSMClient, node: DrivenAgent) -> None:
    session_id = ssm.start_session(Target=node.instance_id)["SessionId"]
    began = time.monotonic()
    ended = history(ssm, session_id)
    assert time.monotonic() - began < 5 * OPEN_TIMEOUT_S
    assert ended["Status"] == "Failed"
    assert ended["Details"] == NEVER_OPENED
