"""Handshake payloads and version rules (session-protocol.md §1 "Handshake", "AgentVersion
matters")."""

from __future__ import annotations

import json

import pytest

from openssm.errors import DataChannelError
from openssm.sessions.handshake import (
    AGENT_VERSION,
    CLIENT_VERSION,
    ActionStatus,
    HandshakeComplete,
    HandshakeRequest,
    HandshakeResponse,
    RequestedAction,
    mux_keepalive_off,
    parse_handshake_complete,
    parse_handshake_request,
    parse_handshake_response,
    uses_mux,
    version_above,
    version_compare,
)

PORT_PROPERTIES = {"portNumber": "22", "type": "LocalPortForwarding", "host": "db.internal"}


def test_a_port_request_as_the_agent_sends_it() -> None:
    request = HandshakeRequest.for_session("Port", PORT_PROPERTIES)
    body = json.loads(request.to_payload())
    assert body == {
        "AgentVersion": AGENT_VERSION,
        "RequestedClientActions": [
            {
                "ActionType": "SessionType",
                "ActionParameters": {"SessionType": "Port", "Properties": PORT_PROPERTIES},
            }
        ],
    }
    read = parse_handshake_request(request.to_payload())
    action = read.session_action()
    assert action is not None
    assert (action.session_type, action.properties) == ("Port", PORT_PROPERTIES)


def test_the_client_accepts_the_session_type_and_refuses_kms_by_name() -> None:
    request = HandshakeRequest(
        "3.3.0.0",
        (
            RequestedAction("SessionType", {"SessionType": "Port", "Properties": {}}),
            RequestedAction("KMSEncryption", {"KMSKeyId": "k"}),
        ),
    )
    response = HandshakeResponse.answering(request)
    body = json.loads(response.to_payload())
    assert body["ClientVersion"] == CLIENT_VERSION
    assert body["Errors"] == []
    statuses = [(a["ActionType"], a["ActionStatus"]) for a in body["ProcessedClientActions"]]
    assert statuses == [("SessionType", 1), ("KMSEncryption", 3)]
    assert "KMSEncryption" in body["ProcessedClientActions"][1]["Error"]
    read = parse_handshake_response(response.to_payload())
    assert read.accepted("SessionType")
    assert not read.accepted("KMSEncryption")


@pytest.mark.parametrize(
    "payload",
    [
        b'{"ClientVersion":"1.1.69","ProcessedClientActions":[{"ActionType":"SessionType",'
        b'"ActionStatus":1,"ActionResult":null,"Error":""}],"Errors":null}',
        b'{"ClientVersion":"1.2.0.0","ProcessedClientActions":[{"ActionType":"SessionType",'
        b'"ActionStatus":"1"}]}',
    ],
)
def test_responses_of_third_party_clients_are_read(payload: bytes) -> None:
    response = parse_handshake_response(payload)
    assert response.accepted("SessionType")
    assert response.actions[0].status == ActionStatus.SUCCESS


def test_missing_lists_read_as_empty() -> None:
    assert parse_handshake_request(b"{}").actions == ()
    assert parse_handshake_response(b'{"ProcessedClientActions":"x"}').actions == ()
    assert parse_handshake_request(b'{"RequestedClientActions":[1,"a",{}]}').actions == (
        RequestedAction(""),
    )


def test_handshake_complete() -> None:
    payload = HandshakeComplete(1_500_000, "").to_payload()
    assert json.loads(payload) == {"HandshakeTimeToComplete": 1_500_000, "CustomerMessage": ""}
    assert parse_handshake_complete(payload).time_to_complete_ns == 1_500_000
    assert parse_handshake_complete(b"{}") == HandshakeComplete()


@pytest.mark.parametrize("payload", [b"", b"[]", b"{" * 100, b"\x80"])
def test_unreadable_handshakes_are_decode_errors(payload: bytes) -> None:
    for reader in (parse_handshake_request, parse_handshake_response, parse_handshake_complete):
        with pytest.raises(DataChannelError):
            reader(payload)


@pytest.mark.parametrize(
    ("left", "right", "order"),
    [
        ("3.3.0.0", "3.0.196.0", 1),
        ("3.0.196.0", "3.0.196.0", 0),
        ("1.1.70", "1.1.70.0", 0),
        ("1.1.69", "1.1.70", -1),
        ("1.2.10.0", "1.2.9.0", 1),  # numerically, not as text
        ("dev", "1.1.70", 1),  # text fallback, as the agent does
    ],
)
def test_version_order(left: str, right: str, order: int) -> None:
    assert version_compare(left, right) == order


def test_our_versions_pass_every_threshold_the_plugin_checks() -> None:
    for threshold in ("2.3.722.0", "3.0.196.0", "3.1.1511.0"):
        assert version_above(AGENT_VERSION, threshold)
    assert uses_mux("LocalPortForwarding", CLIENT_VERSION, AGENT_VERSION)
    assert mux_keepalive_off(CLIENT_VERSION, AGENT_VERSION)


@pytest.mark.parametrize(
    ("port_type", "client", "agent", "mux"),
    [
        ("LocalPortForwarding", "1.1.70", "3.3.0.0", True),
        ("LocalPortForwarding", "1.1.69", "3.3.0.0", False),
        ("LocalPortForwarding", "1.2.0.0", "3.0.196.0", False),
        ("", "1.2.800.0", "3.3.0.0", False),
    ],
)
def test_both_sides_reach_the_same_mux_decision(
    port_type: str, client: str, agent: str, mux: bool
) -> None:
    assert uses_mux(port_type, client, agent) is mux
