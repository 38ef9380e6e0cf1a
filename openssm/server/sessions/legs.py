"""One WebSocket of a session, the client's or the agent's, and the only way to write to it.

A leg is OPEN until either side closes it, then CLOSED: a send on a CLOSED leg answers False
instead of raising, because a peer that went away mid-session is an ordinary event of a
relay, not an error. Sends wait while the peer's socket is full (uvicorn's flow control), and
the leg's reader pauses the socket after each message until it is taken, so a relay that
forwards one message at a time holds at most one message per direction.
"""

from __future__ import annotations

import contextlib

from starlette.types import Receive, Scope, Send

from openssm.server.connections import ConnectionCounts, ConnectionKind

_MAX_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 123 bytes


class Leg:
    __slots__ = ("_send", "closed", "name")

    def __init__(self, send: Send, name: str) -> None:
        self._send = send
        self.name = name
        self.closed = False

    async def send_bytes(self, data: bytes) -> bool:
        return await self._write({"type": "websocket.send", "bytes": data})

    async def send_text(self, text: str) -> bool:
        return await self._write({"type": "websocket.send", "text": text})

    async def _write(self, message: dict[str, object]) -> bool:
        if self.closed:
            return False
        try:
            await self._send(message)
        except OSError:  # uvicorn's ClientDisconnected: the peer went away mid-send
            self.closed = True
            return False
        return True

    async def close(self, code: int = 1000, reason: str = "") -> None:
        if self.closed:
            return
        self.closed = True
        text = reason.encode()[:_MAX_REASON_BYTES].decode(errors="ignore")
        with contextlib.suppress(OSError):  # already gone
            await self._send({"type": "websocket.close", "code": code, "reason": text})

    def gone(self) -> None:
        self.closed = True


CLOSE_TRY_AGAIN_LATER = 1013  # RFC 6455: the server is overloaded


async def accept_leg(
    connections: ConnectionCounts, scope: Scope, receive: Receive, send: Send, name: str
) -> Leg | None:
    """Accept a session WebSocket within the sessions' connection budget; None when it was
    refused or went away first. The caller releases the budget."""
    if scope["type"] != "websocket":
        raise RuntimeError(f"a session {name} leg is a WebSocket, not {scope['type']}")
    if (await receive())["type"] != "websocket.connect":
        return None
    if not connections.admit(ConnectionKind.SESSION):
        await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})
        return None
    await send({"type": "websocket.accept"})
    return Leg(send, name)
