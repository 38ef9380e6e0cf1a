"""The payloads of the session data channel that are not handshakes: what each means and how
it is written and read.

Pure. Builders are strict and return a ``ClientMessage`` or bytes exactly as AWS's peers
send them; readers are lenient (missing members take defaults, numbers may come as strings,
extra members are ignored) and raise only ``DataChannelError``.

Facts from session-protocol.md §1: the OpenDataChannel text message and its variants
("Opening the channel"); acknowledgements are ``acknowledge`` messages with sequence 0,
flags 3 and a JSON body naming the acknowledged type, id and sequence number, matched by
sequence number only ("Acknowledgements"); flags are a uint32 big-endian in a Flag payload
(1 DisconnectToPort, 2 TerminateSession, 3 ConnectToPortError); the terminal size is
``{"cols","rows"}`` ("Resize"); a non-interactive command's exit status is the text
``EXIT_CODE: N`` in an ExitCode payload (AWS's agent, shell plugin ``sendExitCode``);
``channel_closed`` carries
``{MessageId, CreatedDate, DestinationId, SessionId, MessageType, SchemaVersion, Output}``
("Closing and reconnecting").

Module API: ``OpenDataChannel`` (``.to_text()``, ``parse_open_data_channel``),
``Acknowledgement`` (``acknowledge``, ``parse_acknowledgement``), ``Flag`` (``flag_payload``,
``parse_flag``), ``exit_code_payload``, ``parse_exit_code``, ``TerminalSize``
(``.to_payload()``, ``parse_size``), ``ChannelClosed`` (``channel_closed``,
``parse_channel_closed``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from enum import IntEnum

from openssm.errors import DataChannelError
from openssm.sessions.fields import compact, int_member, json_object, text_member
from openssm.sessions.wire import FLAG_FIN, FLAG_SYN, ClientMessage, MessageType, now_ms

_ACK_FLAGS = FLAG_SYN | FLAG_FIN


class Flag(IntEnum):
    DISCONNECT_TO_PORT = 1
    TERMINATE_SESSION = 2
    CONNECT_TO_PORT_ERROR = 3


# --- OpenDataChannel: the first (text) frame on a data-channel socket ------------------------


@dataclass(frozen=True, slots=True)
class OpenDataChannel:
    """Who opens the channel and with which one-time token. The client sends ClientId and
    ClientVersion; the agent sends ClientInstanceId (and a ClientId)."""

    token: str
    request_id: str = ""
    client_id: str = ""
    client_version: str = ""
    client_instance_id: str = ""
    schema_version: str = "1.0"

    def to_text(self) -> str:
        if not self.token:
            raise ValueError("an OpenDataChannel message needs its TokenValue")
        body = {
            "MessageSchemaVersion": self.schema_version,
            "RequestId": self.request_id or str(uuid.uuid4()),
            "TokenValue": self.token,
        }
        optional = {
            "ClientId": self.client_id,
            "ClientVersion": self.client_version,
            "ClientInstanceId": self.client_instance_id,
        }
        body.update({k: v for k, v in optional.items() if v})
        return json.dumps(body)


def parse_open_data_channel(text: str | bytes) -> OpenDataChannel:
    """Lenient: MessageSchemaVersion as a string or a number, any ClientId/ClientVersion
    text, either or both missing. Only a missing or empty TokenValue is refused."""
    body = json_object(text, "OpenDataChannel message")
    token = body.get("TokenValue")
    if not isinstance(token, str) or not token:
        raise DataChannelError("OpenDataChannel message has no TokenValue")
    return OpenDataChannel(
        token=token,
        request_id=text_member(body, "RequestId"),
        client_id=text_member(body, "ClientId"),
        client_version=text_member(body, "ClientVersion"),
        client_instance_id=text_member(body, "ClientInstanceId"),
        schema_version=text_member(body, "MessageSchemaVersion", "1.0"),
    )


# --- Acknowledgements ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    message_type: str
    message_id: str
    sequence_number: int
    is_sequential: bool = True


def acknowledge(message: ClientMessage, created_ms: int | None = None) -> ClientMessage:
    """The ``acknowledge`` message for ``message``, as both AWS peers send it."""
    body = {
        "AcknowledgedMessageType": message.message_type,
        "AcknowledgedMessageId": str(message.message_id),
        "AcknowledgedMessageSequenceNumber": message.sequence_number,
        "IsSequentialMessage": True,
    }
    return ClientMessage(
        message_type=MessageType.ACKNOWLEDGE,
        sequence_number=0,
        flags=_ACK_FLAGS,
        payload=compact(body),
        created_ms=created_ms or now_ms(),
    )


def parse_acknowledgement(payload: bytes) -> Acknowledgement:
    """Lenient: only the acknowledged sequence number is needed (acks match by it alone)."""
    body = json_object(payload, "acknowledgement")
    sequential = body.get("IsSequentialMessage")
    return Acknowledgement(
        message_type=text_member(body, "AcknowledgedMessageType"),
        message_id=text_member(body, "AcknowledgedMessageId"),
        sequence_number=int_member(body, "AcknowledgedMessageSequenceNumber", "acknowledgement"),
        is_sequential=sequential if isinstance(sequential, bool) else True,
    )


# --- Flags ----------------------------------------------------------------------------------


def flag_payload(flag: Flag) -> bytes:
    return int(flag).to_bytes(4, "big")


def parse_flag(payload: bytes) -> int:
    """The flag's value. Lenient: fewer than four bytes are read as a shorter big-endian
    number, a longer payload by its first four bytes; an empty one is refused."""
    if not payload:
        raise DataChannelError("flag payload is empty")
    return int.from_bytes(payload[:4], "big")


# --- Exit code --------------------------------------------------------------------------------

_EXIT_CODE_PREFIX = "EXIT_CODE: "


def exit_code_payload(code: int) -> bytes:
    """An ExitCode message's payload as AWS's agent writes it: ``EXIT_CODE: 7``."""
    return f"{_EXIT_CODE_PREFIX}{code}".encode()


def parse_exit_code(payload: bytes) -> int | None:
    """The status in an ExitCode payload; None when it holds none (lenient)."""
    text = payload.decode("utf-8", "replace").strip()
    text = text.removeprefix(_EXIT_CODE_PREFIX.strip()).strip()
    try:
        return int(text)
    except ValueError:
        return None


# --- Terminal size --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TerminalSize:
    cols: int
    rows: int

    def to_payload(self) -> bytes:
        if not (0 < self.cols <= 0xFFFF and 0 < self.rows <= 0xFFFF):
            raise ValueError(f"terminal size {self.cols}x{self.rows} is out of range")
        return compact({"cols": self.cols, "rows": self.rows})


def parse_size(payload: bytes) -> TerminalSize:
    """Lenient about types (strings, floats); refuses sizes no pty can take."""
    body = json_object(payload, "terminal size")
    size = TerminalSize(int_member(body, "cols", "size"), int_member(body, "rows", "size"))
    if not (0 < size.cols <= 0xFFFF and 0 < size.rows <= 0xFFFF):
        raise DataChannelError(f"terminal size {size.cols}x{size.rows} is out of range")
    return size


# --- channel_closed -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelClosed:
    session_id: str
    output: str = ""
    destination_id: str = ""
    message_id: str = ""
    created_ms: int = 0


def channel_closed(
    session_id: str, reason: str, destination_id: str = "", created_ms: int | None = None
) -> ClientMessage:
    """The ``channel_closed`` message that tells the peer why the session ended."""
    created = created_ms or now_ms()
    message_id = uuid.uuid4()
    body = {
        "MessageId": str(message_id),
        "CreatedDate": str(created),
        "DestinationId": destination_id,
        "SessionId": session_id,
        "MessageType": MessageType.CHANNEL_CLOSED.value,
        "SchemaVersion": 1,
        "Output": reason,
    }
    return ClientMessage(
        message_type=MessageType.CHANNEL_CLOSED,
        payload=compact(body),
        message_id=message_id,
        created_ms=created,
    )


def parse_channel_closed(payload: bytes) -> ChannelClosed:
    """Lenient: an empty or unreadable payload still closes the channel, with no reason."""
    try:
        body = json_object(payload, "channel_closed") if payload else {}
    except DataChannelError:
        body = {}
    return ChannelClosed(
        session_id=text_member(body, "SessionId"),
        output=text_member(body, "Output"),
        destination_id=text_member(body, "DestinationId"),
        message_id=text_member(body, "MessageId"),
        created_ms=int_member(body, "CreatedDate", "channel_closed", default=0),
    )
