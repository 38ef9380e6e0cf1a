"""One end of a session data channel over a WebSocket: the client's, or the agent's.

``DataChannelPeer`` runs the reliable stream (``stream.ReliableStream``) over whatever link it
is attached to: it acknowledges what arrives, delivers stream data in order through
``receive``, resends what the other end has not acknowledged, waits when the send window is
full, pauses on ``pause_publication`` and goes on at ``start_publication``. The link may drop
and a new one be attached (after ResumeSession): sequence numbers and unacknowledged
messages carry over, so nothing is lost and nothing is delivered twice.

Backpressure, end to end: a message is acknowledged as it arrives while fewer than
``max_undelivered - DEFAULT_WINDOW`` wait for ``receive``, and past that only once
``receive`` takes it, so a sender's window (ours is DEFAULT_WINDOW) fills and its writer
waits before the receiver's queue does. A sender with a larger window, or none, still meets
a full queue: at ``max_undelivered`` new stream data is neither taken nor acknowledged
(``refused`` counts it), and the sender resends it. Nothing is dropped. Acknowledging
everything on arrival let a fast sender fill a slower reader's queue, and each message
refused then waited for its sender's timeout, doubled at each resend (through the relay,
stalls of up to a second).

The caller sends the OpenDataChannel text frame itself before attaching (its content differs
between client and agent). What cannot be decoded is skipped (lenient, as real peers need);
``channel_closed`` ends the peer with its reason.

Module API: ``DataChannelPeer`` (``attach``, ``send``, ``receive``, ``drain``, ``close``,
``link_lost``, ``closed``, ``reason``, ``refused``), ``Link``, ``MAX_PAYLOAD``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Protocol

from openssm.errors import DataChannelError, SessionEnded
from openssm.sessions.payloads import channel_closed, parse_acknowledgement, parse_channel_closed
from openssm.sessions.stream import DEFAULT_WINDOW, ReliableStream
from openssm.sessions.wire import ClientMessage, MessageType, PayloadType, decode, encode

log = logging.getLogger(__name__)

# Stream data we put in one message: 32 KiB, where the plugin sends 1 KiB (its 0.6 MB/s) and
# some clients refuse messages above 128 KiB. A mux frame of smux's 32 KiB maximum fits it.
# Measured through the relay (bench/session_throughput.py), on this shared 2-core machine:
# 16 KiB messages gave ~35 MB/s, 32 KiB ~40-49 MB/s; with resends of the oldest message only
# and acknowledgements held for a reader that falls behind, 32 KiB gives 125-237 MB/s.
MAX_PAYLOAD = 32768
DEFAULT_MAX_UNDELIVERED = 256
# How long a closing peer waits for what it queued (channel_closed last) to be written.
CLOSE_FLUSH_S = 5.0


class Link(Protocol):
    """What the peer needs of a WebSocket connection (websockets' connections fit)."""

    async def send(self, message: bytes | str) -> None: ...

    async def recv(self) -> bytes | str: ...

    async def close(self) -> None: ...


class DataChannelPeer:
    def __init__(
        self,
        outgoing_type: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        window: int = DEFAULT_WINDOW,
        max_undelivered: int = DEFAULT_MAX_UNDELIVERED,
    ) -> None:
        """``outgoing_type``: input_stream_data for a client, output_stream_data for an agent."""
        self.stream = ReliableStream(outgoing_type, clock, window=window)
        self._max_undelivered = max_undelivered
        self._ack_on_arrival = max(0, max_undelivered - DEFAULT_WINDOW)
        # Acknowledgements held until ``receive`` takes their message, by sequence number.
        self._held_acks: dict[int, ClientMessage] = {}
        self.refused = 0
        self._delivered: asyncio.Queue[ClientMessage] = asyncio.Queue()
        self._link: Link | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # Encoded messages for the current link, written by one task: the reader never waits
        # on a send (an acknowledgement stuck behind a full socket would stop it reading, and
        # two peers whose readers both wait on their sends deadlock through the relay).
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()
        self._changed = asyncio.Event()  # window room, new due messages, link or state change
        self._arrived = asyncio.Event()  # something to receive, or the end
        self.link_lost = asyncio.Event()
        self.closed = asyncio.Event()
        self.reason = ""

    # --- the link ----------------------------------------------------------------------------

    async def attach(self, link: Link) -> None:
        """Start (or go on) over ``link``: resend everything unacknowledged, then run."""
        if self.closed.is_set():
            raise SessionEnded(self.reason or "the session has ended")
        await self._stop_tasks()
        self._link = link
        self._outbox = asyncio.Queue()
        self.link_lost.clear()
        for message in self.stream.resend_all():
            self._put(message)
        self._tasks = {
            asyncio.create_task(self._read(link), name="data-channel-read"),
            asyncio.create_task(self._write(link, self._outbox), name="data-channel-write"),
            asyncio.create_task(self._resend(), name="data-channel-resend"),
        }
        self._wake()

    @property
    def attached(self) -> bool:
        return self._link is not None

    # --- sending -----------------------------------------------------------------------------

    async def send(self, payload: bytes, payload_type: int = PayloadType.OUTPUT) -> None:
        """Send stream data, cut into messages of at most MAX_PAYLOAD bytes; waits while the
        window is full (also while no link is attached). SessionEnded once closed."""
        view = memoryview(payload)
        while True:
            piece, view = bytes(view[:MAX_PAYLOAD]), view[MAX_PAYLOAD:]
            while not self.stream.can_send():
                self._check_open()
                self._changed.clear()
                await self._changed.wait()
            self._check_open()
            message = self.stream.send(piece, payload_type)
            if message is not None:
                self._put(message)
            self._wake()
            if not view:
                return

    async def drain(self, within_s: float) -> bool:
        """Wait until every message sent was acknowledged; False when ``within_s`` passed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                while self.stream.unacked_count and not self.closed.is_set():
                    self._changed.clear()
                    await self._changed.wait()
        return self.stream.unacked_count == 0

    # --- receiving ---------------------------------------------------------------------------

    async def receive(self) -> ClientMessage:
        """The next stream-data message in order; SessionEnded once the channel closed and
        everything delivered before it was read."""
        while self._delivered.empty():
            self._check_open()
            self._arrived.clear()
            await self._arrived.wait()
        message = self._delivered.get_nowait()
        ack = self._held_acks.pop(message.sequence_number, None)
        if ack is not None:
            self._put(ack)
        self._wake()
        return message

    # --- ending ------------------------------------------------------------------------------

    async def close(self, reason: str = "", *, session_id: str = "", notify: bool = False) -> None:
        """End the peer; with ``notify``, first tell the other end why (channel_closed), after
        what was already sent."""
        if notify and self._link is not None:
            self._outbox.put_nowait(encode(channel_closed(session_id, reason)))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_FLUSH_S):
                    await self._outbox.join()
        self._end(reason)
        link, self._link = self._link, None
        await self._stop_tasks()
        if link is not None:
            with contextlib.suppress(Exception):
                await link.close()

    def _end(self, reason: str) -> None:
        if not self.closed.is_set():
            self.reason = reason
            self.closed.set()
            self._arrived.set()
            self._wake()

    def _check_open(self) -> None:
        if self.closed.is_set():
            raise SessionEnded(self.reason or "the session has ended")

    # --- tasks -------------------------------------------------------------------------------

    async def _read(self, link: Link) -> None:
        try:
            while True:
                frame = await link.recv()
                if isinstance(frame, str):
                    continue  # only the opening message is text; nothing to do with others
                try:
                    message = decode(frame)
                except DataChannelError as exc:
                    log.debug("skipped a data-channel message: %s", exc)
                    continue
                await self._take(message)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 (any failure of the link is the link lost)
            log.debug("data-channel link lost: %r", exc)
        self._lose(link)

    async def _take(self, message: ClientMessage) -> None:
        kind = message.message_type
        if message.is_sequenced:
            sequence = message.sequence_number
            if sequence in self._held_acks:
                return  # a resend of what waits for ``receive``: acknowledged when taken
            waiting = self._delivered.qsize()
            if waiting >= self._max_undelivered and sequence >= self.stream.expected:
                self.refused += 1
                return  # not taken, not acknowledged: the sender resends once we caught up
            receipt = self.stream.receive(message)
            for item in receipt.deliver:
                self._delivered.put_nowait(item)
            if receipt.deliver:
                self._arrived.set()
            if receipt.ack is None:
                return
            if receipt.deliver and waiting >= self._ack_on_arrival:
                self._held_acks[sequence] = receipt.ack
            else:
                self._put(receipt.ack)
        elif kind == MessageType.ACKNOWLEDGE:
            try:
                sequence = parse_acknowledgement(message.payload).sequence_number
            except DataChannelError:
                return
            if self.stream.acknowledged(sequence):
                self._wake()
        elif kind == MessageType.PAUSE_PUBLICATION:
            self.stream.pause()
        elif kind == MessageType.START_PUBLICATION:
            self.stream.start()
            self._wake()
        elif kind == MessageType.CHANNEL_CLOSED:
            self._end(parse_channel_closed(message.payload).output or "the session was closed")

    async def _resend(self) -> None:
        while not self.closed.is_set():
            # Resending into a socket that has not yet taken what it was given helps nothing.
            if self._outbox.empty():
                try:
                    due = self.stream.due()
                except SessionEnded as exc:
                    self._end(str(exc))
                    return
                for message in due:
                    self._put(message)
            next_at = self.stream.next_due_at()
            self._changed.clear()
            timeout = None if next_at is None else max(0.0, next_at - self.stream.clock())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._changed.wait()

    def _put(self, message: ClientMessage) -> None:
        if self._link is not None:  # else kept in the stream's buffer, resent on attach
            self._outbox.put_nowait(encode(message))

    async def _write(self, link: Link, outbox: asyncio.Queue[bytes]) -> None:
        while True:
            data = await outbox.get()
            try:
                await link.send(data)
            except Exception as exc:  # noqa: BLE001 (any failure of the link is the link lost)
                log.debug("data-channel send failed: %r", exc)
                self._lose(link)
                return
            finally:
                outbox.task_done()

    def _lose(self, link: Link) -> None:
        if self._link is link:
            self._link = None
            self.link_lost.set()
            self._wake()

    def _wake(self) -> None:
        self._changed.set()

    async def _stop_tasks(self) -> None:
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = set()
