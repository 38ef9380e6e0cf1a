"""Wire frames of the agent channel (SPEC.md): typed values and their JSON codec.

Pure: no sockets, no clock. Each frame is a frozen dataclass whose ``TYPE`` is
the ``type`` member on the wire; ``encode`` and ``decode`` are the only way a
frame crosses the boundary, and ``decode`` raises ``ProtocolViolation`` for
anything that is not exactly a known frame (bad JSON, unknown ``type``, a
missing member or one of the wrong JSON type). Members the frame does not know
are ignored, so a newer peer can add optional members without breaking an
older one.
"""

from __future__ import annotations

import json
import math
import typing
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from openssm import jsontext
from openssm.errors import ProtocolViolation

# A frame larger than this is refused before parsing; results and output chunks
# stay well below it (AWS caps inline output at 24,000 characters).
MAX_FRAME_CHARS = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeFrame:
    """server → agent: the nonce the agent must sign to authenticate."""

    TYPE: ClassVar[str] = "challenge"
    nonce: str
    server_time: float


@dataclass(frozen=True, slots=True, kw_only=True)
class HelloFrame:
    """agent → server: who the agent is, with the nonce signed by its key."""

    TYPE: ClassVar[str] = "hello"
    protocol: int
    instance_id: str
    nonce: str
    timestamp: float
    signature: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WelcomeFrame:
    """server → agent: authenticated; heartbeat at this interval."""

    TYPE: ClassVar[str] = "welcome"
    instance_id: str
    heartbeat_interval_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectedFrame:
    """server → agent: the handshake failed; ``code`` is a handshake.RejectCode value."""

    TYPE: ClassVar[str] = "rejected"
    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceInfoFrame:
    """agent → server: what DescribeInstanceInformation shows about this host."""

    TYPE: ClassVar[str] = "instance_info"
    agent_version: str
    platform_type: str
    platform_name: str
    platform_version: str
    ip_address: str
    computer_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatFrame:
    """agent → server: still here."""

    TYPE: ClassVar[str] = "heartbeat"
    sent_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class HeartbeatAckFrame:
    """server → agent: heard you."""

    TYPE: ClassVar[str] = "heartbeat_ack"


@dataclass(frozen=True, slots=True, kw_only=True)
class DeregisteredFrame:
    """server → agent: this instance was deregistered; the agent must stop."""

    TYPE: ClassVar[str] = "deregistered"
    message: str


Frame = (
    ChallengeFrame
    | HelloFrame
    | WelcomeFrame
    | RejectedFrame
    | InstanceInfoFrame
    | HeartbeatFrame
    | HeartbeatAckFrame
    | DeregisteredFrame
)

SERVER_FRAMES: tuple[type[Frame], ...] = (
    ChallengeFrame,
    WelcomeFrame,
    RejectedFrame,
    HeartbeatAckFrame,
    DeregisteredFrame,
)
AGENT_FRAMES: tuple[type[Frame], ...] = (HelloFrame, InstanceInfoFrame, HeartbeatFrame)

FRAME_TYPES: dict[str, type[Frame]] = {cls.TYPE: cls for cls in (*SERVER_FRAMES, *AGENT_FRAMES)}

_Schema = tuple[tuple[str, tuple[type, ...]], ...]


def _schema(cls: type[Frame]) -> _Schema:
    """(member name, accepted Python types after json.loads) for each field of `cls`."""
    hints = typing.get_type_hints(cls)
    members: list[tuple[str, tuple[type, ...]]] = []
    for item in fields(cls):
        hint = hints[item.name]
        accepted: tuple[type, ...]
        if hint is float:
            accepted = (int, float)  # JSON has one number type; 5 is a fine float
        elif hint in (str, int, bool):
            accepted = (hint,)
        else:
            origin = typing.get_origin(hint)
            if origin not in (dict, list):
                raise TypeError(f"{cls.__name__}.{item.name}: unsupported frame member type")
            accepted = (origin,)
        members.append((item.name, accepted))
    return tuple(members)


_SCHEMAS: dict[type[Frame], _Schema] = {cls: _schema(cls) for cls in FRAME_TYPES.values()}


def _refuse_constant(name: str) -> float:
    raise ProtocolViolation(f"frame contains {name}, which is not valid JSON")


def encode(frame: Frame) -> str:
    """The frame as one compact JSON text message."""
    body: dict[str, Any] = {"type": frame.TYPE, **asdict(frame)}
    try:
        return json.dumps(body, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        raise ProtocolViolation(f"cannot encode {frame.TYPE} frame: {exc}") from exc


def decode(text: str | bytes) -> Frame:
    """Parse one text message into its frame; ProtocolViolation when it is not one."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolViolation("frame is not UTF-8") from exc
    if len(text) > MAX_FRAME_CHARS:
        raise ProtocolViolation(f"frame of {len(text)} characters exceeds {MAX_FRAME_CHARS}")
    try:
        body = jsontext.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ProtocolViolation(f"frame is not JSON: {exc.msg}") from exc
    except jsontext.JsonTooDeep as exc:
        raise ProtocolViolation(f"frame: {exc}") from exc
    except ValueError as exc:  # an integer past Python's int_max_str_digits
        raise ProtocolViolation(f"frame is not acceptable JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ProtocolViolation("frame must be a JSON object")
    kind = body.get("type")
    if not isinstance(kind, str):
        raise ProtocolViolation("frame has no string 'type'")
    cls = FRAME_TYPES.get(kind)
    if cls is None:
        raise ProtocolViolation(f"unknown frame type {kind[:64]!r}")
    values: dict[str, Any] = {}
    for name, accepted in _SCHEMAS[cls]:
        if name not in body:
            raise ProtocolViolation(f"{kind} frame is missing {name!r}")
        value = body[name]
        # bool is an int in Python but not a number on the wire.
        if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
            raise ProtocolViolation(f"{kind} frame member {name!r} has the wrong type")
        if float in accepted:
            try:
                # An integer of a few hundred digits is valid JSON but no float.
                value = float(typing.cast(float, value))
            except OverflowError:
                value = math.inf
            if not math.isfinite(value):
                raise ProtocolViolation(f"{kind} frame member {name!r} is not finite")
        values[name] = value
    return cls(**values)


def _decode_directed(text: str | bytes, allowed: tuple[type[Frame], ...], sender: str) -> Frame:
    frame = decode(text)
    if not isinstance(frame, allowed):
        raise ProtocolViolation(f"{frame.TYPE} frame may not be sent by the {sender}")
    return frame


def decode_from_agent(text: str | bytes) -> Frame:
    """decode() for the server side: only frames an agent may send are accepted."""
    return _decode_directed(text, AGENT_FRAMES, "agent")


def decode_from_server(text: str | bytes) -> Frame:
    """decode() for the agent side: only frames a server may send are accepted."""
    return _decode_directed(text, SERVER_FRAMES, "server")
