"""A fleet of real agents: joining, deregistration, server restarts, dead agents (issue 3).

DESIGN §4: Online while connected, ConnectionLost after a configurable silence
(2 s here), Inactive once deregistered; agents reconnect with capped, jittered
backoff (cap 2 s here).
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from openssm.agent.instance_key import InstanceKey
from openssm.agent.state import StateDir
from tests.agents import AGENT_BACKOFF_CAP_S, AgentFactory, instance_information, wait_ping_status
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

# The server's ping ageing runs on its own tick; allow it a few seconds past the silence.
CONNECTION_LOST_AFTER_S = 2.0


def test_second_agent_joins_and_deregistering_it_stops_only_it(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (first,) = agent_factory(1)
    (second,) = agent_factory(1)
    assert second.state_dir != first.state_dir
    wait_ping_status(ssm, [first.instance_id, second.instance_id], "Online")

    ssm.deregister_managed_instance(InstanceId=second.instance_id)

    wait_ping_status(ssm, [second.instance_id], "Inactive", timeout_s=10)
    assert second.wait(timeout_s=15) == 3
    assert f"instance {second.instance_id} was deregistered" in second.logs()
    assert "will not reconnect" in second.logs()
    wait_ping_status(ssm, [first.instance_id], "Online")
    assert first.process is not None
    assert first.process.poll() is None


def test_deregistered_agent_started_again_is_refused_and_exits(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    agent.stop()
    ssm.deregister_managed_instance(InstanceId=agent.instance_id)
    agent.start()
    assert agent.wait(timeout_s=15) == 3
    assert "was deregistered" in agent.logs()
    wait_ping_status(ssm, [agent.instance_id], "Inactive")


def test_every_agent_is_online_again_after_a_server_restart(
    own_fleet_server: ServerProcess, tmp_path: Path
) -> None:
    factory = AgentFactory(server=own_fleet_server, root=tmp_path)
    try:
        agents = factory(3)
        ids = [a.instance_id for a in agents]
        # Down until every agent has failed a reconnect and backed off.
        own_fleet_server.restart(
            while_down=lambda: wait_until(lambda: all("(attempt 2)" in a.logs() for a in agents))
        )
        back_at = time.monotonic()
        ssm = own_fleet_server.client()
        # Bound: one full backoff ceiling, plus the handshake and a heartbeat.
        wait_ping_status(ssm, ids, "Online", timeout_s=AGENT_BACKOFF_CAP_S + 3.0)
        elapsed = time.monotonic() - back_at
        assert elapsed <= AGENT_BACKOFF_CAP_S + 3.0
        for agent in agents:
            assert agent.process is not None
            assert agent.process.poll() is None
    finally:
        factory.stop_all()


def test_killed_agent_turns_connection_lost_within_the_configured_silence(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    agent.kill(signal.SIGKILL)
    killed_at = time.monotonic()
    wait_ping_status(ssm, [agent.instance_id], "ConnectionLost", timeout_s=15)
    assert time.monotonic() - killed_at <= CONNECTION_LOST_AFTER_S + 5.0


def test_sigterm_stops_the_agent_within_its_deadline(
    agent_factory: AgentFactory,
) -> None:
    (agent,) = agent_factory(1)
    started = time.monotonic()
    agent.kill(signal.SIGTERM)
    assert agent.wait(timeout_s=10) == 0
    assert time.monotonic() - started < 5.0
    assert "openssm agent stopped" in agent.logs()


def test_restarted_agent_comes_back_online(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    agent.kill(signal.SIGKILL)
    wait_ping_status(ssm, [agent.instance_id], "ConnectionLost", timeout_s=15)
    agent.restart()
    wait_ping_status(ssm, [agent.instance_id], "Online", timeout_s=10)
    wait_until(lambda: "connected to" in agent.logs(), timeout_s=5)


def test_agent_with_a_foreign_key_is_refused_and_keeps_retrying(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    """SECURITY.md 7: only the registered key authenticates an instance."""
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    agent.stop()
    wait_ping_status(ssm, [agent.instance_id], "ConnectionLost", timeout_s=15)
    StateDir(agent.state_dir).save_private_key(InstanceKey.generate())
    agent.start()
    # Wait for the agent's own line: the close frame's reason ("InvalidSignature") shows in
    # the websockets debug log a moment before the agent logs what it made of it.
    wait_until(lambda: "the server refused this agent" in agent.logs(), timeout_s=10)
    assert "InvalidSignature" in agent.logs()
    info = instance_information(ssm, [agent.instance_id])[agent.instance_id]
    assert info["PingStatus"] == "ConnectionLost"
    assert agent.process is not None
    assert agent.process.poll() is None  # backs off and retries; only deregistration ends it


def test_silent_agent_turns_connection_lost_after_the_silence_and_recovers(
    agent_factory: AgentFactory, fleet_server: ServerProcess
) -> None:
    """A frozen agent keeps its socket open but says nothing: only the silence can tell."""
    ssm = fleet_server.client()
    (agent,) = agent_factory(1)
    agent.kill(signal.SIGSTOP)
    try:
        frozen_at = time.monotonic()
        wait_ping_status(ssm, [agent.instance_id], "ConnectionLost", timeout_s=15)
        silent_for = time.monotonic() - frozen_at
        assert CONNECTION_LOST_AFTER_S - 0.6 <= silent_for <= CONNECTION_LOST_AFTER_S + 5.0
    finally:
        agent.kill(signal.SIGCONT)
    wait_ping_status(ssm, [agent.instance_id], "Online", timeout_s=AGENT_BACKOFF_CAP_S + 10.0)
