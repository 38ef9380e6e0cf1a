"""The frame codec of SPEC.md: every frame round-trips; anything else is a ProtocolViolation."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from openssm.documents.kinds import DocumentType
from openssm.documents.plan import Plan, RenderedStep
from openssm.errors import ProtocolViolation
from openssm.jsontext import nesting_depth
from openssm.protocol.frames import (
    MAX_FRAME_DEPTH,
    SERVER_FRAMES,
    ChallengeFrame,
    DeregisteredFrame,
    Frame,
    FrameDecoder,
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
        ("[1, 2]", "Expected `object`, got `array`"),
        ('{"sent_at": 1}', "missing required field `type`"),
        ('{"type": 7}', "Expected `str` - at `\\$.type`"),
        ('{"type": "launch_missiles"}', "Invalid value 'launch_missiles' - at `\\$.type`"),
        ('{"type": "heartbeat"}', "missing required field `sent_at`"),
        ('{"type": "heartbeat", "sent_at": "soon"}', "Expected `float`, got `str`"),
        ('{"type": "heartbeat", "sent_at": true}', "Expected `float`, got `bool`"),
        ('{"type": "heartbeat", "sent_at": NaN}', "not JSON"),
        ('{"type": "heartbeat", "sent_at": Infinity}', "not JSON"),
        ('{"type": "heartbeat", "sent_at": 1e999}', "out of range"),
        # Valid JSON integers that are no float, and past Python's int_max_str_digits.
        ('{"type": "heartbeat", "sent_at": ' + "9" * 400 + "}", "out of range"),
        ('{"type": "heartbeat", "sent_at": ' + "9" * 5000 + "}", "out of range"),
        (
            '{"type": "hello", "protocol": 1.5, "instance_id": "i", "nonce": "n",'
            ' "timestamp": 1, "signature": "s"}',
            "Expected `int`, got `float` - at `\\$.protocol`",
        ),
        ('{"type": "deregistered", "message": null}', "Expected `str`, got `null`"),
        ("[" * 100_000 + "]" * 100_000, "nests deeper than 128"),
        # Deep nesting refused even where the frame defines no member: it is never parsed.
        ('{"type": "heartbeat", "sent_at": 1, "x": ' + "[" * 129 + "]" * 129 + "}", "nests"),
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


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_a_frame_with_a_non_finite_number_cannot_be_built(number: float) -> None:
    """JSON has no such number (msgspec would write null), so the frame is refused at once."""
    with pytest.raises(ValueError, match="'sent_at' is not finite"):
        HeartbeatFrame(sent_at=number)


class Item(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    sizes: list[int]


class CarrierFrame(Frame, frozen=True, tag="carrier"):
    """A frame of the kind later capabilities add: nested Structs, a Plan, free-form JSON."""

    items: list[Item]
    plan: Plan
    extra: dict[str, Any]


CARRIER = FrameDecoder((*SERVER_FRAMES, CarrierFrame))
PLAN = Plan(
    document_type=DocumentType.COMMAND,
    schema_version="2.2",
    steps=(
        RenderedStep(
            name="run",
            action="aws:runShellScript",
            plugin_id="run",
            inputs={"runCommand": ["echo hi"]},
            timeout_s=60,
        ),
    ),
)


def carrier(extra: dict[str, Any] | None = None) -> CarrierFrame:
    return CarrierFrame(
        items=[Item(name="a", sizes=[1, 2]), Item(name="b", sizes=[])],
        plan=PLAN,
        extra={"k": [{"x": 1}, None]} if extra is None else extra,
    )


def test_a_frame_carries_nested_values() -> None:
    frame = carrier()
    assert CARRIER.decode(encode(frame)) == frame
    assert json.loads(encode(frame))["plan"]["steps"][0]["timeout_s"] == 60


@pytest.mark.parametrize(
    ("before", "after", "where"),
    [
        ('"sizes":[1,2]', '"sizes":[1,"2"]', r"\$\.items\[0\]\.sizes\[1\]"),
        ('"timeout_s":60', '"timeout_s":"60"', r"\$\.plan\.steps\[0\]\.timeout_s"),
        ('"document_type":"Command"', '"document_type":"Shell"', r"\$\.plan\.document_type"),
        ('"name":"b",', "", r"missing required field `name` - at `\$\.items\[1\]`"),
    ],
)
def test_a_wrong_value_deep_inside_a_frame_is_refused_naming_where(
    before: str, after: str, where: str
) -> None:
    text = encode(carrier())
    assert before in text
    with pytest.raises(ProtocolViolation, match=where):
        CARRIER.decode(text.replace(before, after))


def _nested(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


def test_nesting_up_to_the_limit_is_accepted_and_one_level_more_refused() -> None:
    # The frame's object and its `extra` member are two levels above the nested list.
    deepest = carrier({"deep": _nested(MAX_FRAME_DEPTH - 2)})
    text = encode(deepest)
    assert nesting_depth(text) == MAX_FRAME_DEPTH
    assert CARRIER.decode(text) == deepest
    too_deep = encode(carrier({"deep": _nested(MAX_FRAME_DEPTH - 1)}))
    with pytest.raises(ProtocolViolation, match=f"nests deeper than {MAX_FRAME_DEPTH} levels"):
        CARRIER.decode(too_deep)


def test_the_directed_decoders_know_only_the_channel_frames() -> None:
    with pytest.raises(ProtocolViolation, match="Invalid value 'carrier'"):
        decode_from_server(encode(carrier()))
