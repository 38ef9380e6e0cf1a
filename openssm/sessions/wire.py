"""The binary message of AWS's session data channel (ClientMessage): layout and codec.

Pure: no sockets, no clock. ``encode`` is strict (it refuses what AWS's session-manager-plugin
would refuse) and ``decode`` is lenient (it reads what real clients send), raising only
``DataChannelError`` for bytes that cannot be a message at all.

Facts from session-protocol.md §1 ("Frame layout", "Field rules", "Message types", "Payload
types"): the 116-byte header, big-endian fields at fixed offsets, the payload after the
4-byte PayloadLength at offset HeaderLength; the message type space-padded to 32 bytes and
read with NULs and spaces trimmed from both ends; the message id's UUID halves swapped; a
SHA-256 digest of the payload that the plugin checks (so we always send it right) and that
clients get wrong (so we never reject it, only report it in ``ClientMessage.digest_ok``,
computed when asked); the
payload is everything after the header whatever PayloadLength says, as the Go parsers read
it; flags bit 0 SYN, bit 1 FIN.

Module API: ``ClientMessage``, ``encode``, ``decode``, ``MessageType``, ``PayloadType``,
``FLAG_SYN``, ``FLAG_FIN``, ``HEADER_LENGTH``, ``SEQUENCED_TYPES``.
"""

from __future__ import annotations

import hashlib
import struct
import time
import uuid
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from openssm.errors import DataChannelError

# HeaderLength counts the bytes before PayloadLength: everything from offset 0 up to 116.
HEADER_LENGTH = 116
SCHEMA_VERSION = 1
MESSAGE_TYPE_WIDTH = 32
FLAG_SYN = 1
FLAG_FIN = 2
# Big-endian: HeaderLength, MessageType, SchemaVersion, CreatedDate, SequenceNumber, Flags,
# MessageId, PayloadDigest, PayloadType, PayloadLength.
_HEADER = struct.Struct(">I32sIQqQ16s32sII")
_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT64_MAX = (1 << 64) - 1
_UINT32_MAX = (1 << 32) - 1


class MessageType(StrEnum):
    """The message types both sides send (a peer may send others; they decode as plain str)."""

    INPUT_STREAM_DATA = "input_stream_data"
    OUTPUT_STREAM_DATA = "output_stream_data"
    ACKNOWLEDGE = "acknowledge"
    CHANNEL_CLOSED = "channel_closed"
    START_PUBLICATION = "start_publication"
    PAUSE_PUBLICATION = "pause_publication"
    AGENT_SESSION_STATE = "agent_session_state"


# The messages that carry a sequence number, are acknowledged and delivered in order.
SEQUENCED_TYPES = frozenset({MessageType.INPUT_STREAM_DATA, MessageType.OUTPUT_STREAM_DATA})


class PayloadType(IntEnum):
    UNDEFINED = 0
    OUTPUT = 1
    ERROR = 2
    SIZE = 3
    PARAMETER = 4
    HANDSHAKE_REQUEST = 5
    HANDSHAKE_RESPONSE = 6
    HANDSHAKE_COMPLETE = 7
    ENC_CHALLENGE_REQUEST = 8
    ENC_CHALLENGE_RESPONSE = 9
    FLAG = 10
    STDERR = 11
    EXIT_CODE = 12


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class ClientMessage:
    """One data-channel message. ``payload_type`` and ``message_type`` stay plain values on
    decode so that a type this module does not know still reaches the caller.

    ``sent_digest`` is what ``decode`` read in the message (None for a message made here);
    ``digest_ok`` says whether it matches the payload, computed only when asked: no peer
    refuses a wrong one, so hashing every message received only cost time (SHA-256 of the
    whole stream, a fifth of the agent's CPU in a port forward). ``encode`` always writes
    the right digest.
    """

    message_type: str
    sequence_number: int = 0
    payload: bytes = b""
    payload_type: int = PayloadType.UNDEFINED
    flags: int = 0
    message_id: uuid.UUID = field(default_factory=uuid.uuid4)
    created_ms: int = field(default_factory=now_ms)
    schema_version: int = SCHEMA_VERSION
    sent_digest: bytes | None = field(default=None, compare=False, repr=False)

    @property
    def digest_ok(self) -> bool:
        return self.sent_digest is None or hashlib.sha256(self.payload).digest() == self.sent_digest

    @property
    def is_sequenced(self) -> bool:
        return self.message_type in SEQUENCED_TYPES


def encode(message: ClientMessage) -> bytes:
    """The message's bytes as AWS's peers expect them; ValueError for a message they would
    refuse (a type that is empty or over 32 bytes, no creation time, a field out of range)."""
    kind = message.message_type.encode("utf-8")
    if not kind or len(kind) > MESSAGE_TYPE_WIDTH or kind != kind.strip(b" \x00"):
        raise ValueError(f"message type {message.message_type!r} cannot be sent")
    if not 0 < message.created_ms <= _UINT64_MAX:
        raise ValueError("a message needs its creation time (epoch milliseconds, not 0)")
    if not _INT64[0] <= message.sequence_number <= _INT64[1]:
        raise ValueError(f"sequence number {message.sequence_number} is not an int64")
    if not 0 <= message.flags <= _UINT64_MAX:
        raise ValueError(f"flags {message.flags} are not a uint64")
    if not 0 <= message.payload_type <= _UINT32_MAX:
        raise ValueError(f"payload type {message.payload_type} is not a uint32")
    if len(message.payload) > _UINT32_MAX:
        raise ValueError("payload too large for one message")
    raw_id = message.message_id.bytes
    header = _HEADER.pack(
        HEADER_LENGTH,
        kind.ljust(MESSAGE_TYPE_WIDTH, b" "),
        message.schema_version,
        message.created_ms,
        message.sequence_number,
        message.flags,
        raw_id[8:] + raw_id[:8],
        hashlib.sha256(message.payload).digest(),
        int(message.payload_type),
        len(message.payload),
    )
    return header + message.payload


def decode(data: bytes) -> ClientMessage:
    """The message in ``data``. Lenient: a message type padded with NULs or spaces on either
    side, a wrong digest (``digest_ok`` False), a PayloadLength that disagrees with the bytes
    (the payload is what follows the header), a HeaderLength above 116 (fields beyond the
    known ones skipped). Raises DataChannelError only when no message can be read."""
    if len(data) < _HEADER.size:
        raise DataChannelError(
            f"data-channel message of {len(data)} bytes is shorter than its {_HEADER.size}-byte "
            "header"
        )
    (
        header_length,
        raw_type,
        schema_version,
        created_ms,
        sequence_number,
        flags,
        raw_id,
        digest,
        payload_type,
        _payload_length,
    ) = _HEADER.unpack_from(data)
    if header_length < HEADER_LENGTH or header_length + 4 > len(data):
        raise DataChannelError(
            f"data-channel message header length {header_length} does not fit a message of "
            f"{len(data)} bytes"
        )
    kind = raw_type.strip(b" \x00").decode("utf-8", errors="replace")
    if not kind:
        raise DataChannelError("data-channel message has no message type")
    payload = bytes(data[header_length + 4 :])
    return ClientMessage(
        message_type=kind,
        sequence_number=sequence_number,
        payload=payload,
        payload_type=payload_type,
        flags=flags,
        message_id=uuid.UUID(bytes=raw_id[8:] + raw_id[:8]),
        created_ms=created_ms,
        schema_version=schema_version,
        sent_digest=digest,
    )
