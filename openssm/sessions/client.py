"""The client's side of a session: open the StreamUrl, shake hands, and resume after a drop.

``ClientChannel`` dials the StreamUrl as AWS's plugin does (no extra headers), sends the
OpenDataChannel text message with the one-time token, and runs a ``DataChannelPeer`` over
the socket. When the socket drops, it asks ``resume`` (the caller's ResumeSession call) for a
fresh token and URL and attaches the peer to a new socket: sequence numbers and unacknowledged
messages carry over, so the session goes on with nothing lost. ``resume`` answering None (an
empty token: the server gave the session up) or failing for longer than ``resume_for_s``
ends the session.

Facts from session-protocol.md §1 "Opening the channel", "Handshake" and "Closing and
reconnecting".

Module API: ``ClientChannel`` (``open``, ``peer``, ``close``, ``resumes``), ``Resume``,
``shake_hands``, ``Handshaken``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from openssm.errors import DataChannelError
from openssm.sessions.handshake import (
    CLIENT_VERSION,
    HandshakeRequest,
    HandshakeResponse,
    parse_handshake_request,
    uses_mux,
)
from openssm.sessions.payloads import OpenDataChannel
from openssm.sessions.peer import DataChannelPeer
from openssm.sessions.wire import ClientMessage, MessageType, PayloadType

log = logging.getLogger(__name__)

# ResumeSession's answer: the new token and StreamUrl, or None when the session is gone.
Resume = Callable[[], Awaitable[tuple[str, str] | None]]
RESUME_FOR_S = 300.0
_RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)
# Room for a 32 KiB payload and its header, and for what a peer may send in one message.
_MAX_MESSAGE = 1 << 20


class ClientChannel:
    def __init__(
        self,
        stream_url: str,
        token: str,
        *,
        resume: Resume | None = None,
        ssl_context: ssl.SSLContext | None = None,
        resume_for_s: float = RESUME_FOR_S,
    ) -> None:
        self.peer = DataChannelPeer(MessageType.INPUT_STREAM_DATA)
        self._url = stream_url
        self._token = token
        self._resume = resume
        self._ssl = ssl_context
        self._resume_for_s = resume_for_s
        self._client_id = str(uuid.uuid4())
        self._socket: ClientConnection | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self.resumes = 0

    async def open(self) -> None:
        """Connect and start; a first connection that fails raises DataChannelError."""
        try:
            await self._connect()
        except (OSError, WebSocketException, TimeoutError) as exc:
            raise DataChannelError(
                f"could not open the session's stream {self._url}: {exc}"
            ) from exc
        self._supervisor = asyncio.create_task(self._supervise(), name="session-resume")

    async def close(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self.peer.close(self.peer.reason)

    async def _connect(self) -> None:
        ssl_context = self._ssl if self._url.startswith("wss:") else None
        socket = await connect(
            self._url,
            ssl=ssl_context,
            max_size=_MAX_MESSAGE,
            compression=None,
            open_timeout=30,
        )
        opening = OpenDataChannel(
            token=self._token, client_id=self._client_id, client_version=CLIENT_VERSION
        )
        await socket.send(opening.to_text())
        self._socket = socket
        await self.peer.attach(socket)

    async def _supervise(self) -> None:
        while True:
            lost = asyncio.ensure_future(self.peer.link_lost.wait())
            ended = asyncio.ensure_future(self.peer.closed.wait())
            await asyncio.wait({lost, ended}, return_when=asyncio.FIRST_COMPLETED)
            lost.cancel()
            ended.cancel()
            if self.peer.closed.is_set():
                return
            if self._socket is not None:
                with contextlib.suppress(Exception):
                    await self._socket.close()
            if not await self._resumed():
                return

    async def _resumed(self) -> bool:
        if self._resume is None:
            await self.peer.close("the connection to the session was lost")
            return False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._resume_for_s
        attempt = 0
        while loop.time() < deadline:
            try:
                fresh = await self._resume()
                if fresh is None:
                    await self.peer.close("the session timed out while disconnected")
                    return False
                self._token, self._url = fresh[0], fresh[1] or self._url
                await self._connect()
                self.resumes += 1
                return True
            except (OSError, WebSocketException, TimeoutError, DataChannelError) as exc:
                log.debug("resuming the session failed: %r", exc)
            await asyncio.sleep(_RETRY_S[min(attempt, len(_RETRY_S) - 1)])
            attempt += 1
        await self.peer.close("could not reconnect to the session")
        return False


@dataclass(frozen=True, slots=True)
class Handshaken:
    """What the handshake settled: the agent's request, and whether port data is smux."""

    request: HandshakeRequest
    multiplexed: bool


async def shake_hands(peer: DataChannelPeer) -> tuple[Handshaken, list[ClientMessage]]:
    """Answer the agent's handshake (port and non-interactive sessions) and wait for its end.
    Returns what was settled and any other stream data that came first (none, normally).
    SessionEnded when the channel ends first; DataChannelError for an unreadable request."""
    early: list[ClientMessage] = []
    request: HandshakeRequest | None = None
    while True:
        message = await peer.receive()
        if message.payload_type == PayloadType.HANDSHAKE_REQUEST:
            request = parse_handshake_request(message.payload)
            response = HandshakeResponse.answering(request)
            await peer.send(response.to_payload(), PayloadType.HANDSHAKE_RESPONSE)
        elif message.payload_type == PayloadType.HANDSHAKE_COMPLETE and request is not None:
            action = request.session_action()
            port_type = str(action.properties.get("type", "")) if action else ""
            multiplexed = uses_mux(port_type, CLIENT_VERSION, request.agent_version)
            return Handshaken(request, multiplexed), early
        else:
            early.append(message)
