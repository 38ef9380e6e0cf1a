"""The frame codec of SPEC.md: every frame round-trips; anything else is a ProtocolViolation."""

from __future__ import annotations

import json

import pytest

from openssm.errors import ProtocolViolation
from openssm.protocol.frames import (
    ChallengeFrame,
    DeregisteredFrame,
    Frame,
    HeartbeatAckFrame,
    HeartbeatFrame,
    HelloFrame,
    InstanceInfoFrame,
    RejectedFrame,
    WelcomeFrame,
    decode,
    decode_from_agent,
    decode_from_server,
    encode,
)

EXAMPLES: list[Frame] = [
    ChallengeFrame(nonce="bm9uY2U=", server_time=1767225600.25),
    HelloFrame(
        protocol=1, instance_id="mi-0123456789abcdef0", nonce="n", timestamp=1.5, signature="s"
    ),
    WelcomeFrame(instance_id="mi-0123456789abcdef0", heartbeat_interval_s=30.0),
    RejectedFrame(code="Deregistered", message="instance was deregistered"),
    InstanceInfoFrame(
        agent_version="0.1.0",
        platform_type="Linux",
        platform_name="Debian GNU/Linux",
        platform_version="12",
        ip_address="10.0.0.5",
        computer_name="web-1",
    ),
    HeartbeatFrame(sent_at=1767225600.0),
    HeartbeatAckFrame(),
    DeregisteredFrame(message="bye"),
]


@pytest.mark.parametrize("frame", EXAMPLES, ids=lambda f: f.TYPE)
def test_frame_round_trips_through_encode_and_decode(frame: Frame) -> None:
    text = encode(frame)
    assert json.loads(text)["type"] == frame.TYPE
    assert decode(text) == frame
    assert decode(text.encode()) == frame


def test_encode_matches_spec_wire_shape() -> None:
    text = encode(HeartbeatFrame(sent_at=2.0))
    assert json.loads(text) == {"type": "heartbeat", "sent_at": 2.0}
    assert encode(HeartbeatAckFrame()) == '{"type":"heartbeat_ack"}'


def test_decode_accepts_integer_for_float_member() -> None:
    frame = decode('{"type": "welcome", "instance_id": "mi-1", "heartbeat_interval_s": 5}')
    assert frame == WelcomeFrame(instance_id="mi-1", heartbeat_interval_s=5.0)
    assert isinstance(frame, WelcomeFrame)
    assert isinstance(frame.heartbeat_interval_s, float)


def test_decode_ignores_unknown_members_for_forward_compatibility() -> None:
    frame = decode('{"type": "heartbeat", "sent_at": 1.0, "extra": [1, 2]}')
    assert frame == HeartbeatFrame(sent_at=1.0)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"sent_at": 1}', "no string 'type'"),
        ('{"type": 7}', "no string 'type'"),
        ('{"type": "launch_missiles"}', "unknown frame type"),
        ('{"type": "heartbeat"}', "missing 'sent_at'"),
        ('{"type": "heartbeat", "sent_at": "soon"}', "wrong type"),
        ('{"type": "heartbeat", "sent_at": true}', "wrong type"),
        ('{"type": "heartbeat", "sent_at": NaN}', "NaN"),
        ('{"type": "heartbeat", "sent_at": Infinity}', "Infinity"),
        ('{"type": "heartbeat", "sent_at": 1e999}', "not finite"),
        # Valid JSON integers that are no float, and past Python's int_max_str_digits.
        ('{"type": "heartbeat", "sent_at": ' + "9" * 400 + "}", "not finite"),
        ('{"type": "heartbeat", "sent_at": ' + "9" * 5000 + "}", "not acceptable JSON"),
        (
            '{"type": "hello", "protocol": 1.5, "instance_id": "i", "nonce": "n",'
            ' "timestamp": 1, "signature": "s"}',
            "wrong type",
        ),
        ('{"type": "deregistered", "message": null}', "wrong type"),
        ("[" * 100_000 + "]" * 100_000, "nests deeper than"),
        ('{"type": "heartbeat", "sent_at": 1, "x": ' + "[" * 500 + "]" * 500 + "}", "nests deeper"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_decode_raises_protocol_violation_for_bad_input(text: str | bytes, fragment: str) -> None:
    with pytest.raises(ProtocolViolation, match=fragment):
        decode(text)


def test_decode_refuses_oversized_frame() -> None:
    text = json.dumps({"type": "deregistered", "message": "x" * (1 << 20)})
    with pytest.raises(ProtocolViolation, match="exceeds"):
        decode(text)


def test_decode_from_agent_refuses_server_frames() -> None:
    assert decode_from_agent(encode(HeartbeatFrame(sent_at=1.0))) == HeartbeatFrame(sent_at=1.0)
    with pytest.raises(ProtocolViolation, match="may not be sent by the agent"):
        decode_from_agent(encode(WelcomeFrame(instance_id="mi-1", heartbeat_interval_s=1.0)))


def test_decode_from_server_refuses_agent_frames() -> None:
    assert decode_from_server(encode(HeartbeatAckFrame())) == HeartbeatAckFrame()
    with pytest.raises(ProtocolViolation, match="may not be sent by the server"):
        decode_from_server(encode(HeartbeatFrame(sent_at=1.0)))


def test_encode_refuses_non_finite_numbers() -> None:
    with pytest.raises(ProtocolViolation):
        encode(HeartbeatFrame(sent_at=float("nan")))
