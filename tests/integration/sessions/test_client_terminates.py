"""A client that ends its session with the TerminateSession flag and leaves (as
``openssm port-forward`` and AWS's plugin do on Ctrl-C) ends it at once, however much output
it left unacknowledged. The agent waited up to 5 s for acknowledgements that could not come,
then sent a channel_closed that waited in the relay for a client to come back, so the
session stayed Disconnected for the whole grace period (30 s here) and ended as a client that
"did not reconnect in time"; a transcript read as soon as the session showed in History
missed its last second. The Details say the client ended it, as the agent told.

TerminateSession on a session whose agent opened its leg makes it Terminating (still
Active); the relay ends it Terminated once the agent has closed and the transcript is
written, so a transcript read the moment the session shows Terminated is whole. The call
used to mark it Terminated at once, while the relay still held the last second of output."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import AgentProcess, running_agents
from tests.integration.commands.output_support import signed_get
from tests.integration.sessions.driver import history, shell_at_prompt
from tests.integration.sessions.nodes import real_agent, relay_server
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

ASKED = "Terminated by TerminateSession"


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
    # Why, as the agent said it (a port forward's Ctrl-C showed empty Details).
    assert ended["Details"] == f"Session {started['SessionId']} was terminated by the client."


def _active(ssm: SSMClient, session_id: str) -> list[dict[str, Any]]:
    found = ssm.describe_sessions(
        State="Active", Filters=[{"key": "SessionId", "value": session_id}]
    )["Sessions"]
    return [dict(s) for s in found]


def test_terminate_session_is_terminating_until_the_transcript_is_whole(
    server: ServerProcess, agent: AgentProcess
) -> None:
    ssm = server.client()
    started: dict[str, Any] = dict(ssm.start_session(Target=agent.instance_id))
    session_id = started["SessionId"]

    async def drive() -> list[dict[str, Any]]:
        session = await shell_at_prompt(started)
        await session.type("echo last-$((40+2))\r")
        await session.expect(r"[\r\n]last-42\r\n")  # through the relay, which recorded it
        # A stopped agent cannot end the session: what TerminateSession did is what shows.
        os.kill(agent.pid, signal.SIGSTOP)
        try:
            await asyncio.to_thread(ssm.terminate_session, SessionId=session_id)
            active = await asyncio.to_thread(_active, ssm, session_id)
        finally:
            os.kill(agent.pid, signal.SIGCONT)
        reason = await session.closed()  # the agent's channel_closed, once it ran again
        assert reason == "Session terminated"
        await session.close()
        return active

    active = asyncio.run(drive())
    assert [(s["Status"], s["Details"]) for s in active] == [("Terminating", ASKED)]
    assert "EndDate" not in active[0]
    ended = history(ssm, session_id)
    status, transcript = signed_get(ended["OutputUrl"]["S3OutputUrl"])
    assert (ended["Status"], ended["Details"], status) == ("Terminated", ASKED, 200)
    assert "EndDate" in ended
    assert b"last-42" in transcript
    # Asked again, or for a session that never was: no error, as on AWS, and nothing moves.
    assert ssm.terminate_session(SessionId=session_id)["SessionId"] == session_id
    assert ssm.terminate_session(SessionId="admin-00000000000000000")
    assert history(ssm, session_id)["Status"] == "Terminated"
    assert ssm.resume_session(SessionId=session_id)["TokenValue"] == ""


def test_a_session_terminated_before_its_client_came_ends(
    server: ServerProcess, agent: AgentProcess
) -> None:
    """The agent's channel_closed has no client to go to: the relay must not wait for one
    before it reads the agent's close, or the session stays Terminating."""
    ssm = server.client()
    session_id = ssm.start_session(Target=agent.instance_id)["SessionId"]
    # Once the agent's leg is relayed, TerminateSession makes the session Terminating (one
    # no leg reached ends at once, which would not test the relay).
    wait_until(lambda: _relayed(server, session_id), timeout_s=15)
    ssm.terminate_session(SessionId=session_id)
    ended = history(ssm, session_id)
    assert (ended["Status"], ended["Details"]) == ("Terminated", ASKED)


@pytest.mark.postgres
def test_terminate_session_on_the_replica_without_the_agent(
    replicas: tuple[ServerProcess, ServerProcess], tmp_path: Path
) -> None:
    """The replica holding the agent hears of it (NOTIFY) and tells the agent to end; its
    relay ends the session Terminated with the whole transcript."""
    first, second = replicas
    with running_agents(second, tmp_path / "agents", 1) as (on_second,):
        ssm = first.client()
        started: dict[str, Any] = dict(ssm.start_session(Target=on_second.instance_id))

        async def drive() -> str:
            session = await shell_at_prompt(started)
            await session.type("echo far-$((40+2))\r")
            await session.expect(r"[\r\n]far-42\r\n")
            await asyncio.to_thread(ssm.terminate_session, SessionId=started["SessionId"])
            reason = await session.closed()
            await session.close()
            return reason

        assert asyncio.run(drive()) == "Session terminated"
        ended = history(ssm, started["SessionId"])
        assert (ended["Status"], ended["Details"]) == ("Terminated", ASKED)
        _status, transcript = signed_get(ended["OutputUrl"]["S3OutputUrl"])
        assert b"far-42" in transcript


def _relayed(server: ServerProcess, session_id: str) -> bool:
    """Whether a relay of ``server`` holds the agent's leg of the session (its row says so;
    the API shows it Connecting until a client comes)."""
    import sqlalchemy as sa  # the server's extras; only tests that read the store need it

    from openssm.server.store.engine import create_engine
    from openssm.server.store.sessions.tables import sessions

    engine = create_engine(f"sqlite:///{server.data_dir / 'openssm.db'}", pool_size=1)
    try:
        with engine.connect() as conn:
            replica = conn.execute(
                sa.select(sessions.c.relay_replica).where(sessions.c.session_id == session_id)
            ).scalar()
    finally:
        engine.dispose()
    return replica is not None
