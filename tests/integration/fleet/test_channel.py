"""The agent channel (protocol/SPEC.md) against a real server: who gets in, what they see.

SECURITY.md #1, #8, #9: a hello without a valid signature, from an unknown or deregistered
instance, with a stale timestamp, or replaying a nonce from another connection is refused;
frames before the handshake are refused. DESIGN §4: PingStatus is Online while connected and
heard from, ConnectionLost after the configured silence (2 s here, on a clock the tests move),
Inactive once deregistered, and deregistration closes the live channel at once with
``deregistered`` and close code 4403.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from types_boto3_ssm.client import SSMClient

from openssm.clock import FakeClock
from tests.clocked_server import ClockedServer
from tests.integration.channel_client import (
    INFO,
    ChannelClient,
    Identity,
    activate,
    connect_agent,
    register,
)
from tests.postgres import database_url_for
from tests.support import ServerProcess, running_server, wait_until

SILENCE_S = 2.0
HEARTBEAT_S = 0.5
ENV = {
    "OPENSSM_CONNECTION_LOST_AFTER_S": str(SILENCE_S),
    "OPENSSM_HEARTBEAT_INTERVAL_S": str(HEARTBEAT_S),
}


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def channel_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server with a 2 s ConnectionLost threshold, one per database kind."""
    data_dir = tmp_path_factory.mktemp("channel") / request.param
    with running_server(data_dir, database_url=database_url_for(request), env=ENV) as server:
        yield server


@pytest.fixture
def ssm(channel_server: ServerProcess) -> SSMClient:
    return channel_server.client()


@pytest.fixture
def node(ssm: SSMClient, channel_server: ServerProcess) -> Identity:
    activation_id, code = activate(ssm)
    return register(channel_server.url, activation_id, code)


def _status(ssm: SSMClient, instance_id: str) -> str:
    found = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
    )["InstanceInformationList"]
    status: str = found[0]["PingStatus"]
    return status


def _wait_status(ssm: SSMClient, instance_id: str, status: str, timeout_s: float = 10.0) -> None:
    wait_until(lambda: _status(ssm, instance_id) == status, timeout_s=timeout_s, interval_s=0.1)


def _refused(client: ChannelClient, answer: dict[str, Any], code: str, close: int) -> None:
    assert answer == {"type": "rejected", "code": code, "message": answer["message"]}
    assert answer["message"]
    assert client.recv_until_closed() == []
    assert client.close_code == close


# --- the handshake ----------------------------------------------------------------------------


def test_welcome_carries_the_heartbeat_interval(
    channel_server: ServerProcess, node: Identity
) -> None:
    client = ChannelClient(channel_server.url)
    try:
        assert abs(client.challenge["server_time"] - time.time()) < 60
        answer = client.hello(node)
        assert answer == {
            "type": "welcome",
            "instance_id": node.instance_id,
            "heartbeat_interval_s": HEARTBEAT_S,
        }
        assert client.heartbeat() == {"type": "heartbeat_ack"}
    finally:
        client.close()


def test_a_hello_signed_with_another_key_is_refused(
    channel_server: ServerProcess, node: Identity
) -> None:
    client = ChannelClient(channel_server.url)
    answer = client.hello(node, key=Ed25519PrivateKey.generate())
    _refused(client, answer, "InvalidSignature", 4401)


def test_a_replayed_hello_is_refused(channel_server: ServerProcess, node: Identity) -> None:
    """A hello captured from one connection does not open another: the nonce is single-use."""
    first = ChannelClient(channel_server.url)
    assert first.hello(node)["type"] == "welcome"
    captured = first.last_hello
    first.close()
    second = ChannelClient(channel_server.url)
    assert second.nonce != captured["nonce"]
    second.send(captured)
    _refused(second, second.recv(), "BadNonce", 4401)


def test_a_hello_is_accepted_once_per_connection(
    channel_server: ServerProcess, node: Identity
) -> None:
    client = ChannelClient(channel_server.url)
    assert client.hello(node)["type"] == "welcome"
    client.send(client.last_hello)
    assert client.recv_until_closed() == []
    assert client.close_code == 4400


def test_a_stale_timestamp_is_refused(channel_server: ServerProcess, node: Identity) -> None:
    client = ChannelClient(channel_server.url)
    answer = client.hello(node, timestamp=time.time() - 301)
    _refused(client, answer, "StaleTimestamp", 4401)


def test_an_unknown_instance_is_refused(channel_server: ServerProcess) -> None:
    stranger = Identity(instance_id="mi-" + "a" * 17, key=Ed25519PrivateKey.generate())
    client = ChannelClient(channel_server.url)
    _refused(client, client.hello(stranger), "UnknownInstance", 4401)


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "heartbeat", "sent_at": 1.0},
        INFO,
        {"type": "welcome", "instance_id": "mi-" + "a" * 17, "heartbeat_interval_s": 1.0},
        {"type": "no-such-frame"},
        "not json",
    ],
    ids=["heartbeat", "instance_info", "server-frame", "unknown", "garbage"],
)
def test_every_frame_before_the_hello_is_refused(
    channel_server: ServerProcess, frame: dict[str, Any] | str
) -> None:
    """SECURITY.md #1: no frame type is accepted from a connection that has not authenticated."""
    client = ChannelClient(channel_server.url)
    client.ws.send(frame if isinstance(frame, str) else json.dumps(frame))
    _refused(client, client.recv(), "ProtocolViolation", 4400)


def test_an_unknown_frame_after_welcome_closes_the_channel(
    channel_server: ServerProcess, node: Identity
) -> None:
    client = connect_agent(channel_server.url, node)
    client.send({"type": "shell", "command": "id"})
    assert [f for f in client.recv_until_closed() if f["type"] != "heartbeat_ack"] == []
    assert client.close_code == 4400


def test_a_newer_connection_replaces_the_older(
    ssm: SSMClient, channel_server: ServerProcess, node: Identity
) -> None:
    old = connect_agent(channel_server.url, node)
    new = connect_agent(channel_server.url, node)
    try:
        assert old.recv_until_closed() == []
        assert old.close_code == 4409
        assert new.heartbeat() == {"type": "heartbeat_ack"}
        new.start_heartbeats(HEARTBEAT_S)
        _wait_status(ssm, node.instance_id, "Online")
    finally:
        new.close()


# --- ping status ------------------------------------------------------------------------------


def _last_ping(ssm: SSMClient, instance_id: str) -> dt.datetime:
    found = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
    )["InstanceInformationList"]
    return found[0]["LastPingDateTime"]


def _heartbeat_stored(
    ssm: SSMClient, agent: ChannelClient, clock: FakeClock, instance_id: str
) -> None:
    """A heartbeat now, and the wait until the server has written it."""
    # The API answers times in whole milliseconds.
    heard_at = clock.now() - dt.timedelta(milliseconds=1)
    assert agent.heartbeat() == {"type": "heartbeat_ack"}
    wait_until(lambda: _last_ping(ssm, instance_id) > heard_at)


def test_ping_status_goes_online_then_connection_lost_when_the_agent_is_silent(
    clocked_fleet_server: ClockedServer,
) -> None:
    clocked = clocked_fleet_server
    silence_s = clocked.settings.connection_lost_after_s
    ssm = clocked.client()
    node = register(clocked.url, *activate(ssm))
    assert _status(ssm, node.instance_id) == "ConnectionLost"
    agent = connect_agent(clocked.url, node)
    try:
        _wait_status(ssm, node.instance_id, "Online")
        # Still Online well past the threshold while it keeps talking.
        for _ in range(3):
            clocked.clock.advance(silence_s / 2)
            _heartbeat_stored(ssm, agent, clocked.clock, node.instance_id)
            assert _status(ssm, node.instance_id) == "Online"
        last_heard = _last_ping(ssm, node.instance_id)
        # Silent: Online until the threshold has passed since it last spoke, then not.
        clocked.clock.advance(silence_s * 0.9)
        assert _status(ssm, node.instance_id) == "Online"
        clocked.clock.advance(silence_s * 0.2)
        lost = ssm.describe_instance_information(
            Filters=[{"Key": "PingStatus", "Values": ["ConnectionLost"]}]
        )["InstanceInformationList"]
        mine = [i for i in lost if i["InstanceId"] == node.instance_id]
        assert [i["LastPingDateTime"] for i in mine] == [last_heard]
        # Heard from again: Online again.
        _heartbeat_stored(ssm, agent, clocked.clock, node.instance_id)
        assert _status(ssm, node.instance_id) == "Online"
    finally:
        agent.close()


def test_ping_status_is_connection_lost_once_the_agent_disconnects(
    clocked_fleet_server: ClockedServer,
) -> None:
    clocked = clocked_fleet_server
    ssm = clocked.client()
    node = register(clocked.url, *activate(ssm))
    agent = connect_agent(clocked.url, node)
    _wait_status(ssm, node.instance_id, "Online")
    agent.close()
    # The clock stands still: the server saw the channel close, no silence was needed.
    _wait_status(ssm, node.instance_id, "ConnectionLost")


# --- deregistration ---------------------------------------------------------------------------


def test_deregistration_closes_the_live_channel_and_the_instance_turns_inactive(
    ssm: SSMClient, channel_server: ServerProcess, node: Identity
) -> None:
    agent = connect_agent(channel_server.url, node)
    agent.start_heartbeats(HEARTBEAT_S)
    _wait_status(ssm, node.instance_id, "Online")
    ssm.deregister_managed_instance(InstanceId=node.instance_id)
    frames = [f for f in agent.recv_until_closed(timeout_s=5) if f["type"] != "heartbeat_ack"]
    agent.stop_heartbeats()
    assert [f["type"] for f in frames] == ["deregistered"]
    assert node.instance_id in frames[0]["message"]
    assert agent.close_code == 4403
    assert _status(ssm, node.instance_id) == "Inactive"


def test_a_deregistered_instance_cannot_reconnect(
    ssm: SSMClient, channel_server: ServerProcess, node: Identity
) -> None:
    """The credential is revoked at once: its key, though valid, opens nothing."""
    ssm.deregister_managed_instance(InstanceId=node.instance_id)
    client = ChannelClient(channel_server.url)
    _refused(client, client.hello(node), "Deregistered", 4403)
    assert _status(ssm, node.instance_id) == "Inactive"


def test_a_deregistered_instance_with_a_stolen_nonce_and_wrong_key_learns_nothing_more(
    channel_server: ServerProcess, node: Identity, ssm: SSMClient
) -> None:
    ssm.deregister_managed_instance(InstanceId=node.instance_id)
    client = ChannelClient(channel_server.url)
    answer = client.hello(node, key=Ed25519PrivateKey.generate())
    _refused(client, answer, "InvalidSignature", 4401)
