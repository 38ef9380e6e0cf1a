"""Wire frames of the agent channel (SPEC.md): typed values and their JSON codec.

Pure: no sockets, no clock. Each frame is a frozen msgspec Struct whose tag is
the ``type`` member on the wire (``Frame.TYPE``); ``encode`` and ``decode`` are
the only way a frame crosses the boundary. ``decode`` is strict: it raises
``ProtocolViolation`` for anything that is not exactly a known frame (bad JSON,
unknown ``type``, a missing member or one of the wrong JSON type, anywhere in a
nested member). Members a frame does not know are ignored, so a newer peer can
add optional members without breaking an older one.

A member may be any type msgspec decodes strictly: lists and dicts, other
Structs, dataclasses (a ``documents.plan.Plan`` rides inside a frame as is) and
string enums.
"""

from __future__ import annotations

import math
from typing import Literal, Union

import msgspec

from openssm.documents.nested import NestedDocument
from openssm.documents.plan import Plan
from openssm.errors import ProtocolViolation
from openssm.jsontext import nesting_depth

# A frame larger than this is refused before parsing; results and output chunks
# stay well below it (AWS caps inline output at 24,000 characters).
MAX_FRAME_CHARS = 1 << 20
# Deeper than anything the server sends: a rendered plan nests a document (at most 50 deep)
# with parameter values substituted into it (at most 64 deep) inside a few levels of frame.
# Far below the interpreter's recursion limit, so no walk over a decoded frame can overflow.
MAX_FRAME_DEPTH = 128


class _WireType:
    """``Frame.TYPE``: the tag a frame class was declared with, which is its ``type`` member."""

    def __get__(self, frame: object, owner: type[msgspec.Struct]) -> str:
        return str(owner.__struct_config__.tag)


class Frame(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """One message of the channel; each subclass names its ``type`` with ``tag="…"``."""

    TYPE = _WireType()

    def __post_init__(self) -> None:
        # msgspec writes a non-finite float as null; refuse to build such a frame at all.
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{self.TYPE} frame member {name!r} is not finite")


class ChallengeFrame(Frame, frozen=True, tag="challenge"):
    """server → agent: the nonce the agent must sign to authenticate."""

    nonce: str
    server_time: float


class HelloFrame(Frame, frozen=True, tag="hello"):
    """agent → server: who the agent is, with the nonce signed by its key."""

    protocol: int
    instance_id: str
    nonce: str
    timestamp: float
    signature: str


class WelcomeFrame(Frame, frozen=True, tag="welcome"):
    """server → agent: authenticated; heartbeat at this interval."""

    instance_id: str
    heartbeat_interval_s: float


class RejectedFrame(Frame, frozen=True, tag="rejected"):
    """server → agent: the handshake failed; ``code`` is a handshake.RejectCode value."""

    code: str
    message: str


class InstanceInfoFrame(Frame, frozen=True, tag="instance_info"):
    """agent → server: what DescribeInstanceInformation shows about this host."""

    agent_version: str
    platform_type: str
    platform_name: str
    platform_version: str
    ip_address: str
    computer_name: str


class HeartbeatFrame(Frame, frozen=True, tag="heartbeat"):
    """agent → server: still here."""

    sent_at: float


class HeartbeatAckFrame(Frame, frozen=True, tag="heartbeat_ack"):
    """server → agent: heard you."""


class DeregisteredFrame(Frame, frozen=True, tag="deregistered"):
    """server → agent: this instance was deregistered; the agent must stop."""

    message: str


class InvocationFrame(Frame, frozen=True, tag="invocation"):
    """server → agent: run this command. ``plan`` has its secrets resolved; ``secrets`` are
    the values the output shows as ``***``. Sent again after a reconnect until the agent's
    result arrives; the agent runs a command id at most once."""

    command_id: str
    plan: Plan
    secrets: list[str]
    execution_timeout_s: int
    region: str
    # What the plan's aws:runDocument steps run, rendered by the server (documents.nested).
    documents: list[NestedDocument] = msgspec.field(default_factory=list)


class CancelFrame(Frame, frozen=True, tag="cancel"):
    """server → agent: stop this command's whole process tree and report how it ended."""

    command_id: str


OutputStream = Literal["stdout", "stderr"]


class StepResult(msgspec.Struct, frozen=True, kw_only=True):
    """How one step of an invocation ended; output cut to AWS's inline limits.

    ``stdout_size``/``stderr_size``: bytes of the step's whole output (UTF-8, masked), which
    the server collects through ``output`` frames; ``plugin_id`` names the step's output folder.
    """

    index: int
    name: str
    action: str
    status: str
    status_details: str
    response_code: int
    started_at: float | None
    ended_at: float | None
    stdout: str
    stderr: str
    plugin_id: str = ""
    stdout_size: int = 0
    stderr_size: int = 0


class ResultFrame(Frame, frozen=True, tag="result"):
    """agent → server: how an invocation ended (``details`` is an InvocationDetail value)."""

    command_id: str
    details: str
    response_code: int
    ended_at: float
    steps: list[StepResult]
    # The agent no longer has output the server asked for: keep what there is.
    output_lost: bool = False


class OutputFrame(Frame, frozen=True, tag="output"):
    """agent → server: the bytes of one stream of a step's whole output (masked) that start at
    byte ``offset``, as text."""

    command_id: str
    step_index: int
    stream: OutputStream
    offset: int
    text: str


class OutputRange(msgspec.Struct, frozen=True, kw_only=True):
    step_index: int
    stream: OutputStream
    offset: int


class OutputWantedFrame(Frame, frozen=True, tag="output_wanted"):
    """server → agent: send these streams again from their offsets, then the result again."""

    command_id: str
    ranges: list[OutputRange]


class ResultAckFrame(Frame, frozen=True, tag="result_ack"):
    """server → agent: the result is stored; the agent may forget it."""

    command_id: str


class SessionStartFrame(Frame, frozen=True, tag="session_start"):
    """server → agent: open a leg for this session (WebSocket ``/agent/v1/session/<id>``)
    and run it. ``session_type`` is a Session document's sessionType; ``properties`` are
    its rendered properties (for Port: portNumber, host, type; for commands: the command
    line in ``commands``). ``run_as`` names the OS user; "" means the agent's default
    (``ssm-user``, never root). Times are seconds; 0 means no limit."""

    session_id: str
    session_type: str
    properties: dict[str, str]
    run_as: str
    shell_profile: str
    idle_timeout_s: float
    max_duration_s: float


class SessionEndFrame(Frame, frozen=True, tag="session_end"):
    """server → agent: end this session now (TerminateSession, or its client never came
    back); ``reason`` is what the agent tells the client in channel_closed."""

    session_id: str
    reason: str


class InventoryItemReport(msgspec.Struct, frozen=True, kw_only=True):
    """One inventory type as the agent collected it. ``content`` None: the content still
    hashes to ``content_hash``, as last acknowledged, and is not sent again."""

    type_name: str
    schema_version: str
    capture_time: str
    content_hash: str
    content: list[dict[str, str]] | None = None


class InventoryFrame(Frame, frozen=True, tag="inventory"):
    """agent → server: this host's inventory items (aws:softwareInventory)."""

    report_id: str
    items: list[InventoryItemReport]


class InventoryAckFrame(Frame, frozen=True, tag="inventory_ack"):
    """server → agent: the report is stored, except the types in ``content_wanted`` (sent as
    a hash the server does not hold: send them again with their content); ``error`` says why
    the whole report was refused."""

    report_id: str
    content_wanted: list[str] = msgspec.field(default_factory=list)
    error: str = ""


SERVER_FRAMES: tuple[type[Frame], ...] = (
    ChallengeFrame,
    WelcomeFrame,
    RejectedFrame,
    HeartbeatAckFrame,
    DeregisteredFrame,
    InvocationFrame,
    CancelFrame,
    ResultAckFrame,
    OutputWantedFrame,
    SessionStartFrame,
    SessionEndFrame,
    InventoryAckFrame,
)
AGENT_FRAMES: tuple[type[Frame], ...] = (
    HelloFrame,
    InstanceInfoFrame,
    HeartbeatFrame,
    ResultFrame,
    OutputFrame,
    InventoryFrame,
)

_ENCODER = msgspec.json.Encoder()


class FrameDecoder:
    """Text → one of ``frame_types``, or ProtocolViolation saying why it is none of them."""

    def __init__(self, frame_types: tuple[type[Frame], ...]) -> None:
        # msgspec picks the member of the union by its ``type`` tag.
        self._decoder = msgspec.json.Decoder(Union[frame_types])  # noqa: UP007  # a runtime tuple

    def decode(self, text: str | bytes) -> Frame:
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ProtocolViolation("frame is not UTF-8") from exc
        if len(text) > MAX_FRAME_CHARS:
            raise ProtocolViolation(f"frame of {len(text)} characters exceeds {MAX_FRAME_CHARS}")
        # Counting openers is cheap; only a frame with many of them is measured.
        openers = text.count("[") + text.count("{")
        if openers > MAX_FRAME_DEPTH and nesting_depth(text) > MAX_FRAME_DEPTH:
            raise ProtocolViolation(f"frame nests deeper than {MAX_FRAME_DEPTH} levels")
        try:
            frame: Frame = self._decoder.decode(text)
        except msgspec.ValidationError as exc:
            raise ProtocolViolation(f"not an acceptable frame: {exc}") from exc
        except msgspec.DecodeError as exc:
            raise ProtocolViolation(f"frame is not JSON: {exc}") from exc
        return frame


_ANY_FRAME = FrameDecoder((*SERVER_FRAMES, *AGENT_FRAMES))


def encode(frame: Frame) -> str:
    """The frame as one compact JSON text message."""
    return _ENCODER.encode(frame).decode("utf-8")


def decode(text: str | bytes) -> Frame:
    """Parse one text message into its frame; ProtocolViolation when it is not one."""
    return _ANY_FRAME.decode(text)


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
