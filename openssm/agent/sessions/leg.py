"""A session's leg: the agent's WebSocket ``/agent/v1/session/<id>`` (protocol/SPEC.md 13).

It authenticates like the channel (challenge, hello signed with the instance's key,
welcome), then carries the session's data-channel messages as binary frames; a text frame
sends the server a per-connection record of a port session.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import urllib.parse
from typing import Any

import websockets.exceptions
from websockets.asyncio.client import ClientConnection, connect

from openssm.errors import ConnectionClosed, HandshakeRejected, ProtocolViolation
from openssm.protocol import handshake
from openssm.protocol.frames import (
    ChallengeFrame,
    RejectedFrame,
    WelcomeFrame,
    decode_from_server,
    encode,
)

LEG_PATH = "/agent/v1/session/"
OPEN_TIMEOUT_S = 10.0
# A data-channel message is at most a 116-byte header and 16 KiB of payload; some slack.
MAX_MESSAGE_BYTES = 1 << 20


def leg_url(server_url: str, session_id: str) -> str:
    parts = urllib.parse.urlsplit(server_url)
    scheme = {"http": "ws", "https": "wss"}[parts.scheme]
    path = parts.path.rstrip("/") + LEG_PATH + urllib.parse.quote(session_id, safe="")
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, "", ""))


class LegOpener:
    """Opens authenticated legs to one server as one instance."""

    def __init__(
        self,
        *,
        server_url: str,
        instance_id: str,
        private_key: handshake.Signer,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._server_url = server_url
        self._instance_id = instance_id
        self._key = private_key
        self._tls_options: dict[str, Any] = {"ssl": tls} if tls is not None else {}

    async def open(self, session_id: str) -> ClientConnection:
        """The leg, authenticated; ConnectionClosed or HandshakeRejected when it cannot be."""
        url = leg_url(self._server_url, session_id)
        try:
            ws = await connect(
                url,
                open_timeout=OPEN_TIMEOUT_S,
                close_timeout=2.0,
                ping_interval=None,
                compression=None,
                max_size=MAX_MESSAGE_BYTES,
                user_agent_header=None,
                **self._tls_options,
            )
        except (websockets.exceptions.WebSocketException, OSError) as exc:
            raise ConnectionClosed(f"cannot open the session leg: {exc}") from exc
        try:
            await self._authenticate(ws)
        except BaseException:
            await ws.close()
            raise
        return ws

    async def _authenticate(self, ws: ClientConnection) -> None:
        try:
            challenge = decode_from_server(await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT_S))
            if not isinstance(challenge, ChallengeFrame):
                raise ProtocolViolation(f"expected a challenge, got {challenge.TYPE}")
            hello = handshake.build_hello(
                self._key, self._instance_id, challenge.nonce, time.time()
            )
            await ws.send(encode(hello))
            reply = decode_from_server(await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT_S))
        except (websockets.exceptions.WebSocketException, TimeoutError) as exc:
            raise ConnectionClosed(f"the session leg closed while opening: {exc}") from exc
        if isinstance(reply, RejectedFrame):
            raise HandshakeRejected(f"{reply.code}: {reply.message}")
        if not isinstance(reply, WelcomeFrame):
            raise ProtocolViolation(f"expected welcome, got {reply.TYPE}")
