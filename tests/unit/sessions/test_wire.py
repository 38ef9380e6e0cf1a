"""The ClientMessage codec (session-protocol.md §1 "Frame layout", "Field rules")."""

from __future__ import annotations

import contextlib
import hashlib
import random
import struct
import uuid
from typing import Any

import pytest

from openssm.errors import DataChannelError
from openssm.sessions.wire import (
    FLAG_FIN,
    HEADER_LENGTH,
    ClientMessage,
    MessageType,
    PayloadType,
    decode,
    encode,
)

MESSAGE_ID = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")


def _message(**changes: object) -> ClientMessage:
    fields: dict[str, object] = {
        "message_type": MessageType.INPUT_STREAM_DATA,
        "sequence_number": 7,
        "payload": b"ls -la\r",
        "payload_type": PayloadType.OUTPUT,
        "flags": 0,
        "message_id": MESSAGE_ID,
        "created_ms": 1_700_000_000_123,
    }
    fields.update(changes)
    return ClientMessage(**fields)  # type: ignore[arg-type]


def test_the_header_has_aws_layout_at_fixed_offsets() -> None:
    data = encode(_message())
    assert struct.unpack_from(">I", data, 0) == (HEADER_LENGTH,)
    assert data[4:36] == b"input_stream_data".ljust(32, b" ")
    assert struct.unpack_from(">I", data, 36) == (1,)
    assert struct.unpack_from(">Q", data, 40) == (1_700_000_000_123,)
    assert struct.unpack_from(">q", data, 48) == (7,)
    assert struct.unpack_from(">Q", data, 56) == (0,)
    assert data[80:112] == hashlib.sha256(b"ls -la\r").digest()
    assert struct.unpack_from(">II", data, 112) == (1, 7)
    assert data[120:] == b"ls -la\r"
    assert len(data) == 120 + 7


def test_the_message_id_is_written_with_its_halves_swapped() -> None:
    data = encode(_message())
    assert data[64:80] == bytes.fromhex("8899aabbccddeeff" + "0011223344556677")


@pytest.mark.parametrize(
    "message",
    [
        _message(),
        _message(payload=b"", payload_type=PayloadType.UNDEFINED),
        _message(message_type="acknowledge", sequence_number=0, flags=3),
        _message(sequence_number=-1, flags=FLAG_FIN),
        _message(sequence_number=(1 << 63) - 1, payload=bytes(range(256)) * 64),
        _message(message_type="x" * 32),
    ],
)
def test_round_trip(message: ClientMessage) -> None:
    assert decode(encode(message)) == message


def test_random_round_trips() -> None:
    rng = random.Random(14)  # noqa: S311 (reproducible test data)
    for _ in range(200):
        message = _message(
            sequence_number=rng.randrange(-(1 << 63), 1 << 63),
            flags=rng.randrange(1 << 64),
            payload=rng.randbytes(rng.randrange(0, 3000)),
            payload_type=rng.randrange(1 << 32),
            message_id=uuid.UUID(int=rng.getrandbits(128)),
        )
        assert decode(encode(message)) == message


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"message_type": ""}, "message type"),
        ({"message_type": "y" * 33}, "message type"),
        ({"message_type": " padded"}, "message type"),
        ({"created_ms": 0}, "creation time"),
        ({"sequence_number": 1 << 63}, "int64"),
        ({"flags": -1}, "uint64"),
        ({"payload_type": 1 << 32}, "uint32"),
    ],
)
def test_encode_refuses_what_aws_peers_would_refuse(changes: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        encode(_message(**changes))


def test_decode_trims_nul_and_space_padding_from_both_ends_of_the_type() -> None:
    data = bytearray(encode(_message()))
    data[4:36] = b"\x00\x00input_stream_data".ljust(32, b"\x00")
    assert decode(bytes(data)).message_type == "input_stream_data"


def test_a_wrong_digest_is_kept_and_reported_never_refused() -> None:
    data = bytearray(encode(_message()))
    data[80:112] = bytes(32)
    message = decode(bytes(data))
    assert message.payload == b"ls -la\r"
    assert not message.digest_ok
    assert decode(encode(message)).digest_ok  # what we send again is always right


def test_decoding_does_not_hash_the_payload_until_its_digest_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No peer refuses a wrong digest, so a receiver need not hash every message."""
    data = encode(_message())
    hashed: list[bytes] = []
    real = hashlib.sha256

    def counting(payload: bytes = b"") -> Any:
        hashed.append(payload)
        return real(payload)

    monkeypatch.setattr(hashlib, "sha256", counting)
    message = decode(data)
    assert hashed == []
    assert message.digest_ok
    assert hashed == [b"ls -la\r"]


def test_the_payload_is_what_follows_the_header_whatever_its_length_says() -> None:
    data = bytearray(encode(_message()))
    struct.pack_into(">I", data, 116, 3)
    assert decode(bytes(data)).payload == b"ls -la\r"
    struct.pack_into(">I", data, 116, 10_000)
    assert decode(bytes(data)).payload == b"ls -la\r"


def test_a_longer_header_is_skipped_to_its_payload() -> None:
    data = encode(_message())
    longer = bytearray(data[:116] + b"\xee" * 8 + data[116:])
    struct.pack_into(">I", longer, 0, 124)
    assert decode(bytes(longer)).payload == b"ls -la\r"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00" * 10,
        encode(_message())[:119],
        struct.pack(">I", 12) + encode(_message())[4:],
        struct.pack(">I", 0xFFFFFFFF) + encode(_message())[4:],
        bytes(120),
    ],
)
def test_bytes_that_are_no_message_raise_a_clear_decode_error(data: bytes) -> None:
    with pytest.raises(DataChannelError):
        decode(data)


def test_hostile_bytes_never_raise_anything_but_a_decode_error() -> None:
    rng = random.Random(2026)  # noqa: S311 (reproducible test data)
    valid = encode(_message())
    for _ in range(2000):
        if rng.random() < 0.5:
            data = rng.randbytes(rng.randrange(0, 300))
        else:
            mutated = bytearray(valid)
            for _ in range(rng.randrange(1, 12)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            data = bytes(mutated[: rng.randrange(len(mutated) + 1)])
        with contextlib.suppress(DataChannelError):
            decode(data)


def test_an_unknown_message_or_payload_type_still_decodes() -> None:
    message = decode(encode(_message(message_type="agent_job", payload_type=99)))
    assert (message.message_type, message.payload_type) == ("agent_job", 99)
    assert not message.is_sequenced
