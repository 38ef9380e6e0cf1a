"""SessionRun: one session on the agent, from its leg's opening to its channel_closed.

The agent is the client's protocol peer: a DataChannelPeer (openssm.sessions.peer) over the
leg acknowledges, orders and resends; what the session does (a shell, a command, a port
forward) reads the client's stream data from ``receive`` and writes with ``send``. Both
count as activity, and so does an open forwarded connection, for the idle timeout
(traffic either way: a busy tunnel never times out). The session ends when its work ends
(the shell exited), the client asks (TerminateSession flag), the server asks (session_end),
the idle timeout or the maximum duration passes, or the leg is lost; the client is told why
in channel_closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import ClientConnection

from openssm.protocol.frames import SessionStartFrame
from openssm.sessions.peer import DataChannelPeer
from openssm.sessions.wire import ClientMessage, MessageType, PayloadType

log = logging.getLogger("openssm.agent.sessions")

DRAIN_S = 5.0
WATCH_INTERVAL_S = 1.0
IDLE_REASON = "Your session timed out due to inactivity and has been terminated."
MAX_DURATION_REASON = "Your session reached its maximum duration and has been terminated."


async def until_first_ends(tasks: set[asyncio.Task[Any]]) -> None:
    """Wait until one of ``tasks`` ends, then cancel the others and wait for them."""
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class SessionRun:
    def __init__(
        self,
        frame: SessionStartFrame,
        leg: ClientConnection,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.frame = frame
        self.session_id = frame.session_id
        self._leg = leg
        self._clock = clock
        self.peer = DataChannelPeer(MessageType.OUTPUT_STREAM_DATA, clock=clock)
        self._started_at = clock()
        self._last_activity = self._started_at
        self.open_connections = 0
        self._ended = asyncio.Event()
        self.reason = ""
        # Whether the client gets the last output before channel_closed says why.
        self._drain = True

    # --- what the session's work uses ---------------------------------------------------------

    async def send(self, payload: bytes, payload_type: int = PayloadType.OUTPUT) -> None:
        self._last_activity = self._clock()
        await self.peer.send(payload, payload_type)

    async def receive(self) -> ClientMessage:
        message = await self.peer.receive()
        self._last_activity = self._clock()
        return message

    async def record(self, record: dict[str, Any]) -> None:
        """Tell the server about a forwarded connection (the port session's transcript)."""
        with contextlib.suppress(Exception):
            await self._leg.send(json.dumps(record, separators=(",", ":")))

    def end(self, reason: str, *, drain: bool = True) -> None:
        """End the session (the first reason wins). ``drain=False`` when the end was asked
        for (the client's TerminateSession flag, TerminateSession): waiting for the client to
        acknowledge the last output could only delay it, by up to DRAIN_S with a client that
        left."""
        if not self._ended.is_set():
            self.reason = reason
            self._drain = drain
            self._ended.set()

    def end_by_client(self) -> None:
        """The client's TerminateSession flag."""
        self.end(f"Session {self.session_id} was terminated by the client.", drain=False)

    # --- the whole session --------------------------------------------------------------------

    async def run(self, work: Callable[[SessionRun], Awaitable[str]]) -> None:
        """Attach, run ``work`` (it answers the reason it ended) until the session ends."""
        await self.peer.attach(self._leg)
        tasks = {
            asyncio.create_task(self._work(work), name="session-work"),
            asyncio.create_task(self._watch(), name="session-watch"),
            asyncio.create_task(self._ended.wait(), name="session-ended"),
            asyncio.create_task(self.peer.link_lost.wait(), name="session-leg"),
            asyncio.create_task(self.peer.closed.wait(), name="session-closed"),
        }
        await until_first_ends(tasks)
        reason = (
            self.reason or self.peer.reason or f"Exiting session with sessionId: {self.session_id}."
        )
        if self.peer.attached and not self.peer.closed.is_set():
            if self._drain:
                await self.peer.drain(DRAIN_S)
            await self.peer.close(reason, session_id=self.session_id, notify=True)
        else:
            await self.peer.close(reason)
        with contextlib.suppress(Exception):
            await self._leg.close()
        log.info("session %s ended: %s", self.session_id, reason)

    async def _work(self, work: Callable[[SessionRun], Awaitable[str]]) -> None:
        try:
            self.end(await work(self))
        except Exception as exc:  # the session's work failed: say why and end
            log.exception("session %s failed", self.session_id)
            self.end(f"The session failed on the managed node: {exc}")

    async def _watch(self) -> None:
        idle_s, max_s = self.frame.idle_timeout_s, self.frame.max_duration_s
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            now = self._clock()
            if self.open_connections:
                self._last_activity = now
            if idle_s and now - self._last_activity >= idle_s:
                self.end(IDLE_REASON)
                return
            if max_s and now - self._started_at >= max_s:
                self.end(MAX_DURATION_REASON)
                return
