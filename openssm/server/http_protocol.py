"""uvicorn's httptools protocol, with deadlines for slow clients and budgets of connections.

uvicorn closes a keep-alive connection that stays idle after a response
(``timeout_keep_alive``), but it has no deadline before the first request, none while a
request's headers trickle in, and none for its body: a socket that connects and sends nothing,
or half a header, stays open for ever (SECURITY.md #22). Here:

- a connection must finish a request's headers within ``idle_timeout_s`` of opening, and of
  the first byte of each later request (between requests uvicorn's keep-alive timer, set to
  the same value, closes it); a request's body must arrive within ``BODY_TIMEOUT_S``;
- until its first headers a connection is *pending* (it may yet be an API call or an agent's
  WebSocket upgrade). Pending connections have a budget of their own: when it is spent, a new
  connection takes the place of the oldest pending one, which had the longest to speak;
- a connection whose request is an API call joins the API budget; when that is spent, it
  takes the place of the API connection idle longest, and when none is idle (every one has a
  request in progress) it is answered 503 and closed. An upgrade leaves both budgets: agents'
  channels have their own (openssm.server.connections), so a flood of API clients, slow or
  idle, never keeps an agent from connecting.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from openssm.server.connections import ConnectionCounts, ConnectionKind

log = logging.getLogger("openssm.http")

BODY_TIMEOUT_S = 30.0
_NO_HEADERS = "sent no request headers in time"
_BUSY_BODY = json.dumps(
    {"__type": "ServiceUnavailable", "message": "Too many API calls in progress; try again."}
).encode()
SERVICE_UNAVAILABLE = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: application/x-amz-json-1.1\r\n"
    b"content-length: " + str(len(_BUSY_BODY)).encode() + b"\r\n"
    b"retry-after: 1\r\n"
    b"connection: close\r\n\r\n" + _BUSY_BODY
)


class HttpConnections:
    """The pending and API connections open now, each kind oldest-waiting first."""

    def __init__(self, counts: ConnectionCounts, *, idle_timeout_s: float) -> None:
        self.counts = counts
        self.idle_timeout_s = idle_timeout_s
        # dicts keep insertion order: the first entry has waited longest.
        self._pending: dict[GuardedHttpProtocol, None] = {}
        self._api: set[GuardedHttpProtocol] = set()
        self._idle: dict[GuardedHttpProtocol, None] = {}

    def opened(self, connection: GuardedHttpProtocol) -> None:
        """A new connection is pending, in the place of the oldest pending one if need be."""
        if not self.counts.admit(ConnectionKind.PENDING):
            oldest = next(iter(self._pending))
            self.closed(oldest)
            oldest.drop("made room for a new connection before sending its headers")
            self.counts.admit(ConnectionKind.PENDING)
        self._pending[connection] = None

    def request(self, connection: GuardedHttpProtocol, *, upgrade: bool) -> bool:
        """A request's headers are in; False when it is an API call there is no room for."""
        self._leave_pending(connection)
        if upgrade or connection in self._api:
            self._idle.pop(connection, None)
            return True
        if not self.counts.admit(ConnectionKind.API):
            oldest = next(iter(self._idle), None)
            if oldest is None:
                return False
            self.closed(oldest)
            oldest.drop("made room for a new API call while idle")
            self.counts.admit(ConnectionKind.API)
        self._api.add(connection)
        return True

    def answered(self, connection: GuardedHttpProtocol) -> None:
        """An API connection's response is out: it is idle until its next request."""
        if connection in self._api:
            self._idle.pop(connection, None)
            self._idle[connection] = None

    def closed(self, connection: GuardedHttpProtocol) -> None:
        """The connection is gone, or no longer HTTP (upgraded); idempotent."""
        self._leave_pending(connection)
        if connection in self._api:
            self._api.discard(connection)
            self._idle.pop(connection, None)
            self.counts.release(ConnectionKind.API)

    def _leave_pending(self, connection: GuardedHttpProtocol) -> None:
        if connection in self._pending:
            del self._pending[connection]
            self.counts.release(ConnectionKind.PENDING)


class GuardedHttpProtocol(HttpToolsProtocol):
    """Bound to one ``HttpConnections`` by ``guarded_http_protocol``."""

    connections_of_kind: ClassVar[HttpConnections]

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    # --- the connection's life ---

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.connections_of_kind.opened(self)
        self._arm(self.connections_of_kind.idle_timeout_s, _NO_HEADERS)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.connections_of_kind.closed(self)
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        # From here uvicorn's WebSocket protocol owns the connection, and the channel
        # endpoint counts it against the channels' budget.
        self._disarm()
        self.connections_of_kind.closed(self)
        super().handle_websocket_upgrade()

    # --- a request's parts ---

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # the first request's deadline runs from the connection
            self._arm(self.connections_of_kind.idle_timeout_s, _NO_HEADERS)

    def on_headers_complete(self) -> None:
        self._disarm()
        # An upgrade uvicorn will carry out (to a WebSocket), not any Upgrade header.
        upgrade = self.parser.should_upgrade() and self._should_upgrade()
        if self._refused or not self.connections_of_kind.request(self, upgrade=upgrade):
            if not self._refused:
                log.warning("refused an API call from %s: every API connection is busy", self._peer)
                self._refused = True
                self.transport.write(SERVICE_UNAVAILABLE)
                self.transport.close()
            return
        super().on_headers_complete()
        if not upgrade:
            self._arm(BODY_TIMEOUT_S, "sent no request body in time")

    def on_body(self, body: bytes) -> None:
        if not self._refused:  # a refused request has no cycle to take its body
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        if not self._refused:
            super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            # Idle until the next request; uvicorn's keep-alive timer now bounds the wait.
            self.connections_of_kind.answered(self)

    # --- deadlines ---

    def drop(self, why: str) -> None:
        log.debug("closing the connection from %s: it %s", self._peer, why)
        self._disarm()
        if not self.transport.is_closing():
            self.transport.close()

    @property
    def _peer(self) -> str:
        return self.client[0] if self.client else "an unknown address"

    def _arm(self, seconds: float, why: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self.drop, why)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def guarded_http_protocol(connections: HttpConnections) -> type[GuardedHttpProtocol]:
    """The protocol class to give uvicorn (``Config(http=…)``), bound to ``connections``."""
    return type(
        "BoundGuardedHttpProtocol", (GuardedHttpProtocol,), {"connections_of_kind": connections}
    )
