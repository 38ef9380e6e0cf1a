"""Hostile input on the fleet's two agent-facing doors, against a real server.

Registration is open to anyone who can reach the server, and every registered host speaks the
channel, so neither may answer malformed input with an HTTP 500 or a dropped socket (1006):
each is refused with the protocol's own answer, and the server logs no exception. One agent's
absurd instance information must not stop the server from recording everybody else's pings.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import InstanceInformationTypeDef

from tests.clocked_server import ClockedServer
from tests.integration.channel_client import (
    INFO,
    ChannelClient,
    Identity,
    activate,
    connect_agent,
    post_register_raw,
    public_key_b64,
    register,
    signed_hello,
)
from tests.postgres import database_url_for
from tests.support import ServerProcess, running_server, wait_until


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """Per database kind: PostgreSQL refuses NUL in text where SQLite stores it."""
    data_dir = tmp_path_factory.mktemp("hostile") / request.param
    with running_server(data_dir, database_url=database_url_for(request)) as process:
        yield process


@pytest.fixture
def ssm(server: ServerProcess) -> SSMClient:
    return server.client()


@pytest.fixture
def node(server: ServerProcess, ssm: SSMClient) -> Identity:
    return register(server.url, *activate(ssm))


@pytest.fixture(autouse=True)
def no_server_exception(request: pytest.FixtureRequest) -> Iterator[None]:
    """Whatever a test sends, the server process logs no traceback for it."""
    if "server" not in request.fixturenames:
        yield  # a test on the in-process server reads its log records itself
        return
    server: ServerProcess = request.getfixturevalue("server")
    before = server.logs().count("Traceback")
    yield
    assert server.logs().count("Traceback") == before, server.logs()


def _register_body(ssm: SSMClient, **overrides: Any) -> bytes:
    """A registration body; ``json.dumps`` escapes lone surrogates as ``\\udXXX``, as an
    attacker's client would send them."""
    activation_id, code = activate(ssm)
    body = {
        "ActivationId": activation_id,
        "ActivationCode": code,
        "PublicKey": public_key_b64(Ed25519PrivateKey.generate()),
        **overrides,
    }
    return json.dumps(body).encode()


def test_register_refuses_deeply_nested_json(server: ServerProcess) -> None:
    status, body = post_register_raw(server.url, b"[" * 50_000)
    assert (status, body.get("__type")) == (400, "ValidationException"), body


def test_register_refuses_an_activation_code_that_is_not_unicode_text(
    server: ServerProcess, ssm: SSMClient
) -> None:
    status, body = post_register_raw(server.url, _register_body(ssm, ActivationCode="\ud800" * 20))
    assert (status, body.get("__type")) == (400, "InvalidActivationId"), body


@pytest.mark.parametrize("fingerprint", ["\ud800", "host\x00id", "line\nbreak"])
def test_register_refuses_a_fingerprint_that_cannot_be_stored(
    server: ServerProcess, ssm: SSMClient, fingerprint: str
) -> None:
    status, body = post_register_raw(server.url, _register_body(ssm, Fingerprint=fingerprint))
    assert (status, body.get("__type")) == (400, "ValidationException"), body


def _rejected(client: ChannelClient) -> tuple[list[dict[str, Any]], int | None]:
    frames = client.recv_until_closed()
    return frames, client.close_code


def test_a_hello_with_text_that_is_not_unicode_is_a_protocol_violation(
    server: ServerProcess, node: Identity
) -> None:
    """SPEC.md: a lone UTF-16 surrogate escape (\\ud800) is no character, so the frame that
    holds one is not text and is refused whole, before any member is looked at."""
    client = ChannelClient(server.url)
    hello = json.dumps({**_hello_fields(node), "nonce": "\ud800"})
    client.ws.send(hello)
    frames, code = _rejected(client)
    assert [f.get("code") for f in frames] == ["ProtocolViolation"]
    assert code == 4400


def _hello_fields(node: Identity) -> dict[str, Any]:
    return {
        "type": "hello",
        "protocol": 1,
        "instance_id": node.instance_id,
        "nonce": "x",
        "timestamp": time.time(),
        "signature": "AAAA",
    }


@pytest.mark.parametrize("digits", [400, 5000])
def test_a_number_too_large_for_a_float_is_a_protocol_violation(
    server: ServerProcess, node: Identity, digits: int
) -> None:
    client = ChannelClient(server.url)
    fields = {**_hello_fields(node), "nonce": client.nonce, "timestamp": 0}
    client.ws.send(json.dumps(fields).replace('"timestamp": 0', '"timestamp": ' + "9" * digits))
    frames, code = _rejected(client)
    assert [f.get("code") for f in frames] == ["ProtocolViolation"]
    assert code == 4400


def test_binary_frames_are_a_protocol_violation(server: ServerProcess, node: Identity) -> None:
    """SPEC.md: frames are JSON *text* messages; a hello sent as binary is not one."""
    client = ChannelClient(server.url)
    client.ws.send(json.dumps(signed_hello(node, client.nonce)).encode())
    frames, code = _rejected(client)
    assert [f.get("code") for f in frames] == ["ProtocolViolation"]
    assert code == 4400


def test_binary_frames_after_welcome_close_the_channel(
    server: ServerProcess, node: Identity
) -> None:
    client = connect_agent(server.url, node)
    client.ws.send(json.dumps({"type": "heartbeat", "sent_at": time.time()}).encode())
    client.recv_until_closed()
    assert client.close_code == 4400


def _errors_logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the in-process server logged as an error (a failed flush, a traceback)."""
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def _ping_statuses(ssm: SSMClient, *instance_ids: str) -> dict[str, InstanceInformationTypeDef]:
    answer = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": list(instance_ids)}]
    )
    return {i["InstanceId"]: i for i in answer["InstanceInformationList"]}


def test_one_agents_unstorable_info_does_not_stop_the_fleets_pings(
    clocked_fleet_server: ClockedServer, caplog: pytest.LogCaptureFixture
) -> None:
    poison = "nul\x00byte"
    clocked = clocked_fleet_server
    ssm = clocked.client()
    activation = activate(ssm, limit=2)
    honest, hostile = register(clocked.url, *activation), register(clocked.url, *activation)
    bystander = connect_agent(clocked.url, honest)
    poisoned = {**INFO, "computer_name": poison, "platform_name": poison}
    attacker = connect_agent(clocked.url, hostile, info=poisoned)
    agents = (bystander, attacker)
    try:
        # Frames are answered in order: once acked, the reports were heard before the clock moved.
        for agent in agents:
            assert agent.heartbeat() == {"type": "heartbeat_ack"}
        # Past the ConnectionLost threshold since then: only pings stored after the poisoned
        # report keep them Online.
        clocked.clock.advance(clocked.settings.connection_lost_after_s * 1.5)
        heard_at = clocked.clock.now() - dt.timedelta(milliseconds=1)  # the API's precision
        for agent in agents:
            assert agent.heartbeat() == {"type": "heartbeat_ack"}

        def both_online() -> dict[str, InstanceInformationTypeDef] | None:
            found = _ping_statuses(ssm, honest.instance_id, hostile.instance_id)
            if all(
                i["PingStatus"] == "Online" and i["LastPingDateTime"] > heard_at
                for i in found.values()
            ):
                return found
            return None

        found = wait_until(both_online, timeout_s=5)
        info = found[hostile.instance_id]
        # What cannot be stored is dropped, the rest of the report is kept.
        assert "ComputerName" not in info
        assert "PlatformName" not in info
        assert info["PlatformType"] == "Linux"
    finally:
        for agent in agents:
            agent.close()
    assert not _errors_logged(caplog), caplog.text


def test_info_that_is_not_unicode_text_closes_only_that_agents_channel(
    clocked_fleet_server: ClockedServer, caplog: pytest.LogCaptureFixture
) -> None:
    clocked = clocked_fleet_server
    ssm = clocked.client()
    activation = activate(ssm, limit=2)
    honest, hostile = register(clocked.url, *activation), register(clocked.url, *activation)
    bystander = connect_agent(clocked.url, honest)
    attacker = connect_agent(clocked.url, hostile, info={**INFO, "computer_name": "\ud800"})
    try:
        attacker.recv_until_closed()
        assert attacker.close_code == 4400
        # Past the ConnectionLost threshold: only a ping stored now keeps the bystander Online.
        clocked.clock.advance(clocked.settings.connection_lost_after_s * 1.5)
        heard_at = clocked.clock.now() - dt.timedelta(milliseconds=1)  # the API's precision
        assert bystander.heartbeat() == {"type": "heartbeat_ack"}

        def online() -> bool:
            info = _ping_statuses(ssm, honest.instance_id)[honest.instance_id]
            return info["PingStatus"] == "Online" and info["LastPingDateTime"] > heard_at

        wait_until(online, timeout_s=5)
    finally:
        bystander.close()
        attacker.close()
    assert not _errors_logged(caplog), caplog.text


def test_register_refuses_a_small_order_public_key(server: ServerProcess, ssm: SSMClient) -> None:
    """Against the identity point a forged signature verifies for every hello, so such a key
    would let anyone who learned the instance id open its channel."""
    identity_point = base64.b64encode((1).to_bytes(32, "little")).decode()
    status, body = post_register_raw(server.url, _register_body(ssm, PublicKey=identity_point))
    assert (status, body.get("__type")) == (400, "ValidationException"), body
