"""Payloads that are not handshakes (session-protocol.md §1 "Opening the channel",
"Acknowledgements", "Resize", flags, "Closing and reconnecting")."""

from __future__ import annotations

import contextlib
import json
import random

import pytest

from openssm.errors import DataChannelError
from openssm.sessions.payloads import (
    Flag,
    OpenDataChannel,
    TerminalSize,
    acknowledge,
    channel_closed,
    exit_code_payload,
    flag_payload,
    parse_acknowledgement,
    parse_channel_closed,
    parse_exit_code,
    parse_flag,
    parse_open_data_channel,
    parse_size,
)
from openssm.sessions.wire import ClientMessage, MessageType, decode, encode


def test_open_data_channel_as_the_plugin_writes_it() -> None:
    text = OpenDataChannel(token="tok", client_id="cid", client_version="1.2.677.0").to_text()
    body = json.loads(text)
    assert body["MessageSchemaVersion"] == "1.0"
    assert body["TokenValue"] == "tok"
    assert (body["ClientId"], body["ClientVersion"]) == ("cid", "1.2.677.0")
    assert body["RequestId"]
    assert "ClientInstanceId" not in body
    assert parse_open_data_channel(text).token == "tok"


@pytest.mark.parametrize(
    "text",
    [
        '{"MessageSchemaVersion":1,"RequestId":"r","TokenValue":"tok"}',
        '{"MessageSchemaVersion":"1.0","TokenValue":"tok","ClientId":7,"ClientVersion":"dev"}',
        '{"TokenValue":"tok","Extra":{"a":[1]}}',
        b'{"TokenValue":"tok"}',
    ],
)
def test_open_data_channel_variants_of_third_party_clients_are_read(text: str | bytes) -> None:
    assert parse_open_data_channel(text).token == "tok"


@pytest.mark.parametrize(
    "text",
    ["", "{", "[]", '{"TokenValue":""}', '{"TokenValue":5}', "[" * 5000, '"tok"', "\udcff"],
)
def test_open_data_channel_without_a_token_is_refused(text: str) -> None:
    with pytest.raises(DataChannelError):
        parse_open_data_channel(text)


def test_an_acknowledgement_names_the_message_and_matches_by_sequence() -> None:
    data = ClientMessage(message_type=MessageType.OUTPUT_STREAM_DATA, sequence_number=41)
    ack = decode(encode(acknowledge(data)))
    assert ack.message_type == "acknowledge"
    assert (ack.sequence_number, ack.flags) == (0, 3)
    body = json.loads(ack.payload)
    assert body == {
        "AcknowledgedMessageType": "output_stream_data",
        "AcknowledgedMessageId": str(data.message_id),
        "AcknowledgedMessageSequenceNumber": 41,
        "IsSequentialMessage": True,
    }
    assert parse_acknowledgement(ack.payload).sequence_number == 41


@pytest.mark.parametrize(
    ("payload", "sequence"),
    [
        (b'{"AcknowledgedMessageSequenceNumber":3}', 3),
        (b'{"AcknowledgedMessageSequenceNumber":"4","IsSequentialMessage":"yes"}', 4),
        (b'{"AcknowledgedMessageSequenceNumber":5.0,"AcknowledgedMessageId":null}', 5),
    ],
)
def test_acknowledgements_are_read_leniently(payload: bytes, sequence: int) -> None:
    assert parse_acknowledgement(payload).sequence_number == sequence


@pytest.mark.parametrize(
    "payload", [b"", b"{}", b'{"AcknowledgedMessageSequenceNumber":true}', b"\xff\xfe\x00", b"7"]
)
def test_an_acknowledgement_without_a_sequence_number_is_a_decode_error(payload: bytes) -> None:
    with pytest.raises(DataChannelError):
        parse_acknowledgement(payload)


def test_flags_are_uint32_big_endian() -> None:
    assert flag_payload(Flag.TERMINATE_SESSION) == b"\x00\x00\x00\x02"
    assert parse_flag(flag_payload(Flag.CONNECT_TO_PORT_ERROR)) == 3
    assert parse_flag(b"\x01") == 1
    assert parse_flag(b"\x00\x00\x00\x01junk") == 1
    with pytest.raises(DataChannelError):
        parse_flag(b"")


def test_terminal_size() -> None:
    assert TerminalSize(120, 40).to_payload() == b'{"cols":120,"rows":40}'
    assert parse_size(b'{"cols":"132","rows":43.0}') == TerminalSize(132, 43)
    with pytest.raises(ValueError, match="out of range"):
        TerminalSize(0, 10).to_payload()
    for bad in (b'{"cols":0,"rows":1}', b'{"cols":1}', b'{"cols":1,"rows":70000}', b"x"):
        with pytest.raises(DataChannelError):
            parse_size(bad)


def test_channel_closed_says_why_and_reads_back() -> None:
    message = channel_closed("alice-0123", "idle for 20 minutes", destination_id="mi-1")
    body = json.loads(message.payload)
    assert body["SessionId"] == "alice-0123"
    assert body["Output"] == "idle for 20 minutes"
    assert body["MessageType"] == "channel_closed"
    assert body["SchemaVersion"] == 1
    assert body["MessageId"] == str(message.message_id)
    assert isinstance(body["CreatedDate"], str)
    read = parse_channel_closed(decode(encode(message)).payload)
    assert (read.session_id, read.output, read.destination_id) == (
        "alice-0123",
        "idle for 20 minutes",
        "mi-1",
    )


@pytest.mark.parametrize("payload", [b"", b"garbage", b"[1]", b'{"Output":5,"CreatedDate":"x"}'])
def test_an_unreadable_channel_closed_still_closes(payload: bytes) -> None:
    assert parse_channel_closed(payload).session_id == ""


def test_hostile_payloads_raise_only_decode_errors() -> None:
    rng = random.Random(7)  # noqa: S311 (reproducible test data)
    readers = (parse_acknowledgement, parse_flag, parse_size, parse_channel_closed)
    for _ in range(500):
        payload = rng.choice(
            [
                rng.randbytes(rng.randrange(40)),
                b"{" * rng.randrange(1, 3000),
                json.dumps({"cols": rng.random(), "rows": "9" * 5000}).encode(),
            ]
        )
        for reader in readers:
            with contextlib.suppress(DataChannelError):
                reader(payload)
        with contextlib.suppress(DataChannelError):
            parse_open_data_channel(payload)


def test_an_exit_code_is_written_as_awss_agent_writes_it_and_read_leniently() -> None:
    assert exit_code_payload(7) == b"EXIT_CODE: 7"
    assert parse_exit_code(b"EXIT_CODE: 7") == 7
    assert parse_exit_code(b" 3\n") == 3
    assert parse_exit_code(b"EXIT_CODE:255") == 255
    assert parse_exit_code(b"EXIT_CODE: ") is None
