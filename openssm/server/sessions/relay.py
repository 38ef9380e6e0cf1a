"""Relay: one session's two legs and what passes between them.

The agent is the client's protocol peer (sequence numbers, acknowledgements and resends are
end to end); the relay only carries each message to the other leg, one at a time, so
backpressure reaches from a slow reader back to the writer and nothing is ever buffered
beyond one message a direction. A message read from the agent before the first client
arrives waits for it (the shell's first prompt goes out at once). Once a client has come and
gone, what the agent still sends is dropped, and so is a message whose client's socket dies
under it: the agent holds its output from the PAUSE_PUBLICATION on and sends again what the
client never acknowledged. Waiting there instead would stop the relay reading the agent's leg,
and a session the agent ends while the client is away would last the whole grace period.

    (agent leg + client leg) ──client gone──▶ waiting for ResumeSession (grace period)
             ▲                                    │ client back       │ grace over
             └────────────────────────────────────┘                   ▼
    agent leg closed, TerminateSession, grace over ─────────────────▶ ENDED

While the session lasts, what the agent sends is recorded: the output of a shell or command
session (each sequence number once, however often it is resent), or the agent's
per-connection records of a port session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from openssm.errors import DataChannelError
from openssm.server.services.sessions.model import SessionStatus
from openssm.server.sessions.legs import Leg
from openssm.server.sessions.transcript import TranscriptWriter
from openssm.sessions import payloads, wire

log = logging.getLogger("openssm.sessions")

# The output payloads a transcript keeps: what the user saw, standard error included.
_RECORDED_PAYLOADS = frozenset({wire.PayloadType.OUTPUT, wire.PayloadType.STDERR})
CLOSE_NORMAL = 1000
_CLOSED = wire.MessageType.CHANNEL_CLOSED.value.encode()


class SessionBook(Protocol):
    """Where a relay writes the session's status (the database)."""

    async def client_attached(self, session_id: str) -> None: ...

    async def client_detached(self, session_id: str) -> None: ...

    async def ended(self, session_id: str, status: SessionStatus, details: str) -> None: ...

    async def terminating(self, session_id: str) -> bool: ...


class Relay:
    def __init__(
        self,
        session_id: str,
        *,
        book: SessionBook,
        transcript: TranscriptWriter,
        records_output: bool,
        grace_s: float,
        on_ended: Callable[[Relay], None],
    ) -> None:
        self.session_id = session_id
        self._book = book
        self._transcript = transcript
        self._records_output = records_output
        self._grace_s = grace_s
        self._on_ended = on_ended
        self._agent: Leg | None = None
        self._client: Leg | None = None
        self._agent_here = asyncio.Event()
        self._client_here = asyncio.Event()
        self._client_came = False
        self._ended = asyncio.Event()
        self._grace: asyncio.Task[None] | None = None
        # The next output sequence number the transcript expects from the agent.
        self._next_output = 0
        self._agent_reason = ""

    @property
    def is_ended(self) -> bool:
        return self._ended.is_set()

    # --- legs coming and going ---------------------------------------------------------------

    async def attach_agent(self, leg: Leg) -> None:
        old, self._agent = self._agent, leg
        self._agent_here.set()
        if old is not None:
            await old.close(CLOSE_NORMAL, "replaced by a newer leg")
        if self._client is None:
            await self._publication(wire.MessageType.PAUSE_PUBLICATION)

    async def wait_for_agent(self, timeout_s: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wait(self._agent_here), timeout_s)
        return self._agent is not None and not self.is_ended

    async def attach_client(self, leg: Leg) -> None:
        old, self._client = self._client, leg
        self._client_came = True
        self._client_here.set()
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        if old is not None:
            await old.close(CLOSE_NORMAL, "replaced by the resumed connection")
        await self._publication(wire.MessageType.START_PUBLICATION)
        await self._book.client_attached(self.session_id)

    async def client_gone(self, leg: Leg) -> None:
        """The client's socket closed: the agent keeps the session for ResumeSession."""
        leg.gone()
        if self._client is not leg or self.is_ended:
            return
        self._client = None
        self._client_here.clear()
        await self._publication(wire.MessageType.PAUSE_PUBLICATION)
        await self._book.client_detached(self.session_id)
        self._grace = asyncio.create_task(self._grace_period(), name="session-grace")

    async def _grace_period(self) -> None:
        await asyncio.sleep(self._grace_s)
        self._grace = None
        log.info("session %s: the client did not come back", self.session_id)
        await self.end(SessionStatus.TERMINATED, "The client did not reconnect in time")

    async def agent_gone(self, leg: Leg, *, clean: bool) -> None:
        """The agent's leg closed: the session is over (the agent said why to the client)."""
        leg.gone()
        if self._agent is not leg:
            return
        if clean:
            await self.end(SessionStatus.TERMINATED, self._agent_reason, tell_client=False)
        else:
            await self.end(SessionStatus.FAILED, "The connection to the managed node was lost")

    async def end(self, status: SessionStatus, details: str, *, tell_client: bool = True) -> None:
        """End the session; ``tell_client`` False when the agent's channel_closed told it."""
        if self.is_ended:
            return
        self._ended.set()
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        client, agent = self._client, self._agent
        if client is not None:
            if tell_client:
                closing = payloads.channel_closed(self.session_id, details)
                await client.send_bytes(wire.encode(closing))
            await client.close(CLOSE_NORMAL, details)
        if agent is not None:
            await agent.close(CLOSE_NORMAL, details)
        await self._transcript.close()
        await self._book.ended(self.session_id, status, details)
        self._on_ended(self)

    # --- bytes -------------------------------------------------------------------------------

    async def from_agent(self, data: bytes) -> None:
        """Carry one agent message to the client: waiting for the first client, dropped while
        a client that came is away."""
        # Decoded only when read: a port session's stream is not (the type is bytes 4-36).
        message = _decoded(data) if self._records_output or _CLOSED in data[4:36] else None
        if message is not None and message.message_type == wire.MessageType.CHANNEL_CLOSED:
            # Why the agent ends it (the client's Ctrl-C, the shell's exit): the Details of
            # a clean end. It waits for a first client, who is told why; but no client
            # comes to a session TerminateSession ended, and waiting would keep the relay
            # from the agent's close and the session Terminating.
            self._agent_reason = payloads.parse_channel_closed(message.payload).output
            if not self._client_came and await self._book.terminating(self.session_id):
                self._client_came = True
        if self._records_output and message is not None:
            await self._record_output(message)
        while not self.is_ended:
            client = self._client
            if client is None:
                if self._client_came:
                    return  # the client left: the agent sends it again if it comes back
                await self._wait(self._client_here)
                continue
            # A client that dies under the send loses this message; the agent resends it.
            await client.send_bytes(data)
            return

    async def from_client(self, data: bytes) -> None:
        agent = self._agent
        if agent is not None:
            await agent.send_bytes(data)

    async def agent_record(self, text: str) -> None:
        """A port session's per-connection record from the agent: one JSON line."""
        if self._records_output:
            return
        try:
            record = json.loads(text)
        except ValueError:
            return
        if isinstance(record, dict):
            line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
            await self._transcript.append(line.encode())

    async def _record_output(self, message: wire.ClientMessage) -> None:
        if message.message_type != wire.MessageType.OUTPUT_STREAM_DATA:
            return
        if message.sequence_number != self._next_output:
            return  # a resend of what is recorded (the agent sends in order)
        self._next_output += 1
        if message.payload_type in _RECORDED_PAYLOADS:
            await self._transcript.append(message.payload)

    async def _publication(self, kind: wire.MessageType) -> None:
        """Tell the agent to hold (or go on with) its output while the client is away, so it
        does not resend into the void (session-protocol.md "Closing and reconnecting")."""
        agent = self._agent
        if agent is not None:
            await agent.send_bytes(wire.encode(wire.ClientMessage(message_type=kind)))

    async def _wait(self, event: asyncio.Event) -> None:
        """Until ``event`` is set or the session ends."""
        waits: list[asyncio.Task[object]] = [
            asyncio.ensure_future(event.wait()),
            asyncio.ensure_future(self._ended.wait()),
        ]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()


RelayFactory = Callable[[str], Awaitable[Relay | None]]


def _decoded(data: bytes) -> wire.ClientMessage | None:
    try:
        return wire.decode(data)
    except DataChannelError:
        return None
