"""LegEndpoint: what the two session endpoints share, accepting a leg within the sessions'
connection budget and handing it to ``serve``."""

from __future__ import annotations

import abc

from starlette.types import Receive, Scope, Send

from openssm.server.connections import ConnectionKind
from openssm.server.runtime import Runtime
from openssm.server.sessions.legs import Leg, accept_leg
from openssm.server.sessions.relays import SessionRelays


class LegEndpoint(abc.ABC):
    """The ASGI app of one kind of session leg; ``serve`` runs one accepted leg."""

    NAME = ""

    def __init__(self, runtime: Runtime, relays: SessionRelays) -> None:
        self._runtime = runtime
        self._relays = relays

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connections = self._runtime.connections
        leg = await accept_leg(connections, scope, receive, send, self.NAME)
        if leg is None:
            return
        try:
            await self.serve(str(scope["path_params"]["session_id"]), leg, receive, scope)
        finally:
            connections.release(ConnectionKind.SESSION)

    @abc.abstractmethod
    async def serve(self, session_id: str, leg: Leg, receive: Receive, scope: Scope) -> None: ...
