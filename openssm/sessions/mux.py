"""An asyncio smux session: many TCP connections over one data channel, for the client (which
opens streams) and for the agent (which accepts them).

The session owns no socket. It writes whole frames through ``write`` (one call per frame, so
frames never interleave) and is fed the peer's byte stream through ``feed``. Backpressure
never drops data: with smux v1 (no per-stream flow control, as AWS's plugin speaks it) ``feed``
waits while more than ``receive_budget`` bytes sit unread across all streams, which stops the
data channel from taking (and acknowledging) more; with v2 each stream announces its window
and writers wait for the peer's window updates. The version is the one this side was created
with, or for an accepting side the one the peer's first frame carries.

Module API: ``MuxSession`` (``open_stream``, ``accept_stream``, ``feed``, ``close``,
``closed``), ``MuxStream`` (``read``, ``write``, ``close``, ``stream_id``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from openssm.errors import SessionEnded
from openssm.sessions.peer import MAX_PAYLOAD
from openssm.sessions.smux import (
    HEADER_SIZE,
    VERSION_1,
    VERSION_2,
    Cmd,
    Frame,
    FrameReader,
    WindowUpdate,
    encode_frame,
)

DEFAULT_RECEIVE_BUDGET = 4 << 20
DEFAULT_STREAM_WINDOW = 256 << 10
# Data per PSH frame we send: a frame with its header fills one data-channel message exactly
# (a frame one byte larger would cost a second, tiny message).
SEND_FRAME_DATA = MAX_PAYLOAD - HEADER_SIZE


class MuxStream:
    """One multiplexed connection. ``read`` returns b"" once the peer closed its side."""

    def __init__(self, session: MuxSession, stream_id: int) -> None:
        self.stream_id = stream_id
        self._session = session
        self._chunks: deque[bytes] = deque()
        self._readable = asyncio.Event()
        self._eof = False
        self._closed = False
        # v2 flow control: what we consumed and last told the peer; what the peer allows.
        self._consumed = 0
        self._announced = 0
        self._written = 0
        self._peer_consumed = 0
        self._peer_window = session.stream_window
        self._writable = asyncio.Event()

    async def read(self) -> bytes:
        while not self._chunks:
            if self._eof:
                return b""
            self._readable.clear()
            await self._readable.wait()
        chunk = self._chunks.popleft()
        self._session._consumed(len(chunk))
        if self._session.version == VERSION_2:
            self._consumed += len(chunk)
            if self._consumed - self._announced >= self._session.stream_window // 2:
                self._announced = self._consumed
                update = WindowUpdate(self._consumed, self._session.stream_window)
                await self._session._send(Cmd.UPD, self.stream_id, update.to_bytes())
        return chunk

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._closed:
                raise SessionEnded(f"stream {self.stream_id} is closed")
            size = min(len(view), SEND_FRAME_DATA)
            if self._session.version == VERSION_2:
                size = min(size, await self._room())
            await self._session._send(Cmd.PSH, self.stream_id, bytes(view[:size]))
            self._written += size
            view = view[size:]

    async def _room(self) -> int:
        while (room := self._peer_window - (self._written - self._peer_consumed)) <= 0:
            if self._closed or self._session.closed:
                raise SessionEnded(f"stream {self.stream_id} is closed")
            self._writable.clear()
            await self._writable.wait()
        return room

    async def close(self) -> None:
        """Send FIN (once); reading goes on until the peer's FIN."""
        if self._closed:
            return
        self._closed = True
        self._writable.set()
        if not self._session.closed:
            await self._session._send(Cmd.FIN, self.stream_id, b"")
        if self._eof:
            self._session._forget(self.stream_id)

    # --- called by the session ---------------------------------------------------------------

    def _data(self, data: bytes) -> None:
        if data and not self._eof:
            self._chunks.append(data)
            self._readable.set()

    def _fin(self) -> None:
        self._eof = True
        self._readable.set()
        if self._closed:
            self._session._forget(self.stream_id)

    def _update(self, update: WindowUpdate) -> None:
        self._peer_consumed = update.consumed
        self._peer_window = update.window
        self._writable.set()

    def _ended(self) -> None:
        self._eof = True
        self._closed = True
        self._readable.set()
        self._writable.set()

    @property
    def unread(self) -> int:
        return sum(len(c) for c in self._chunks)


class MuxSession:
    def __init__(
        self,
        write: Callable[[bytes], Awaitable[None]],
        *,
        client: bool,
        version: int | None = None,
        receive_budget: int = DEFAULT_RECEIVE_BUDGET,
        stream_window: int = DEFAULT_STREAM_WINDOW,
    ) -> None:
        """``version`` None: v1 when opening, the peer's version when accepting."""
        self._write = write
        self._client = client
        self.version = version or VERSION_1
        self._version_fixed = version is not None or client
        self.receive_budget = receive_budget
        self.stream_window = stream_window
        self._reader = FrameReader()
        self._streams: dict[int, MuxStream] = {}
        self._accepted: asyncio.Queue[MuxStream | None] = asyncio.Queue()
        self._next_id = 1 if client else 0
        self._unread = 0
        self._drained = asyncio.Event()
        self._drained.set()
        self._send_lock = asyncio.Lock()
        self.closed = False

    async def open_stream(self) -> MuxStream:
        if self.closed:
            raise SessionEnded("the multiplexed session is closed")
        self._next_id += 2
        stream = MuxStream(self, self._next_id)
        self._streams[stream.stream_id] = stream
        await self._send(Cmd.SYN, stream.stream_id, b"")
        if self.version == VERSION_2:
            update = WindowUpdate(0, self.stream_window)
            await self._send(Cmd.UPD, stream.stream_id, update.to_bytes())
        return stream

    async def accept_stream(self) -> MuxStream:
        """The next stream the peer opened; SessionEnded once the session is closed."""
        stream = await self._accepted.get()
        if stream is None:
            self._accepted.put_nowait(None)
            raise SessionEnded("the multiplexed session is closed")
        return stream

    async def feed(self, data: bytes) -> None:
        """Take the next piece of the peer's byte stream; waits while too much is unread.
        DataChannelError when the bytes are not smux (the caller ends the session)."""
        for frame in self._reader.feed(data):
            self._dispatch(frame)
        while self._unread > self.receive_budget and not self.closed:
            self._drained.clear()
            await self._drained.wait()

    def close(self) -> None:
        """End every stream at once (the data channel is gone)."""
        if self.closed:
            return
        self.closed = True
        for stream in self._streams.values():
            stream._ended()
        self._streams.clear()
        self._accepted.put_nowait(None)
        self._drained.set()

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    def _dispatch(self, frame: Frame) -> None:
        if not self._version_fixed:
            self.version, self._version_fixed = frame.version, True
        stream = self._streams.get(frame.stream_id)
        if frame.cmd == Cmd.SYN:
            if stream is None and not self.closed:
                stream = MuxStream(self, frame.stream_id)
                self._streams[frame.stream_id] = stream
                self._accepted.put_nowait(stream)
        elif stream is None:
            return  # data for a stream already gone, as smux ignores it
        elif frame.cmd == Cmd.PSH:
            if not stream._eof:
                self._unread += len(frame.data)
            stream._data(frame.data)
        elif frame.cmd == Cmd.FIN:
            stream._fin()
        elif frame.cmd == Cmd.UPD:
            stream._update(WindowUpdate.from_bytes(frame.data))

    async def _send(self, cmd: Cmd, stream_id: int, data: bytes) -> None:
        frame = encode_frame(Frame(cmd, stream_id, data, self.version))
        async with self._send_lock:
            await self._write(frame)

    def _consumed(self, size: int) -> None:
        self._unread -= size
        if self._unread <= self.receive_budget:
            self._drained.set()

    def _forget(self, stream_id: int) -> None:
        # Unread chunks stay readable and count against the budget until they are read.
        self._streams.pop(stream_id, None)
