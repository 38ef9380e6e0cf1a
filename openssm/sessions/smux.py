"""smux frames: the stream multiplexing of LocalPortForwarding sessions, as a pure codec.

The multiplexed byte stream travels inside data-channel payloads, which cut it anywhere, so
``FrameReader`` reassembles frames across messages.

Facts from session-protocol.md §1 "Port forwarding": smux v1 frames are
``version | cmd | length (u16 LE) | stream id (u32 LE) | data``, cmd 0 SYN, 1 FIN, 2 PSH,
3 NOP; the client (the plugin) opens odd stream ids from 3, the agent even ones; frames carry
at most 32768 bytes. Version 2 adds cmd 4 UPD, whose 8-byte body is the bytes the receiver
has consumed and its window, both u32 LE: per-stream flow control for a client that speaks
v2 (AWS's plugin speaks v1).

Module API: ``Cmd``, ``Frame``, ``encode_frame``, ``FrameReader``, ``WindowUpdate``,
``MAX_FRAME_DATA``, ``HEADER_SIZE``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from openssm.errors import DataChannelError

VERSION_1 = 1
VERSION_2 = 2
HEADER_SIZE = 8
MAX_FRAME_DATA = 32768
_HEADER = struct.Struct("<BBHI")
_UPDATE = struct.Struct("<II")
# A reader holds at most one frame beyond what it returned: a header and 64 KiB of data.
_MAX_LENGTH = 0xFFFF


class Cmd(IntEnum):
    SYN = 0
    FIN = 1
    PSH = 2
    NOP = 3
    UPD = 4


@dataclass(frozen=True, slots=True)
class Frame:
    cmd: Cmd
    stream_id: int
    data: bytes = b""
    version: int = VERSION_1


@dataclass(frozen=True, slots=True)
class WindowUpdate:
    """The body of a v2 UPD frame: what the receiver consumed so far and its window."""

    consumed: int
    window: int

    def to_bytes(self) -> bytes:
        return _UPDATE.pack(self.consumed & 0xFFFFFFFF, self.window & 0xFFFFFFFF)

    @classmethod
    def from_bytes(cls, data: bytes) -> WindowUpdate:
        if len(data) != _UPDATE.size:
            raise DataChannelError(f"smux window update of {len(data)} bytes, not 8")
        return cls(*_UPDATE.unpack(data))


def encode_frame(frame: Frame) -> bytes:
    """Strict: ValueError for a frame an smux peer would refuse."""
    if frame.version not in (VERSION_1, VERSION_2):
        raise ValueError(f"smux version {frame.version} does not exist")
    if frame.cmd == Cmd.UPD and frame.version != VERSION_2:
        raise ValueError("window updates exist only in smux version 2")
    if len(frame.data) > _MAX_LENGTH:
        raise ValueError(f"smux frame of {len(frame.data)} bytes is over 65535")
    if not 0 <= frame.stream_id <= 0xFFFFFFFF:
        raise ValueError(f"smux stream id {frame.stream_id} is not a uint32")
    return _HEADER.pack(frame.version, frame.cmd, len(frame.data), frame.stream_id) + frame.data


class FrameReader:
    """Reassembles frames from pieces of the byte stream. A version or command that smux
    does not have is a DataChannelError: the stream can no longer be framed, so the
    multiplexed session ends (as smux ends it)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.version: int | None = None  # the version the peer speaks, once seen

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        offset = 0
        buffer = self._buffer
        while len(buffer) - offset >= HEADER_SIZE:
            version, cmd, length, stream_id = _HEADER.unpack_from(buffer, offset)
            if version not in (VERSION_1, VERSION_2):
                raise DataChannelError(f"smux frame of unknown version {version}")
            if cmd not in Cmd._value2member_map_ or (cmd == Cmd.UPD and version == VERSION_1):
                raise DataChannelError(f"smux frame with unknown command {cmd}")
            end = offset + HEADER_SIZE + length
            if end > len(buffer):
                break
            frames.append(
                Frame(Cmd(cmd), stream_id, bytes(buffer[offset + HEADER_SIZE : end]), version)
            )
            self.version = version
            offset = end
        del buffer[:offset]
        return frames

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)
