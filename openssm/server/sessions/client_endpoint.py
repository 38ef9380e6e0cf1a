"""The client's data channel, WebSocket ``/v1/data-channel/<session-id>``: what AWS's
session-manager-plugin and our client open with StartSession's StreamUrl.

The first message must be the text OpenDataChannel message carrying the one-time token
(session-protocol.md "Opening the channel"; a third party's variants are accepted); the
token is spent at once, so it opens the channel once. Nothing is answered to it: the relay
then carries binary messages both ways. A client that reconnects after ResumeSession takes
the place of the one that dropped; nothing the agent sent meanwhile is lost, because the
agent resends until the client acknowledges.
"""

from __future__ import annotations

import logging

from starlette.types import Receive, Scope

from openssm.errors import DataChannelError
from openssm.server.channel.endpoint import next_message
from openssm.server.services.sessions import lifecycle
from openssm.server.services.sessions.model import SessionStatus
from openssm.server.sessions.leg_endpoint import LegEndpoint
from openssm.server.sessions.legs import Leg
from openssm.sessions import payloads, wire
from openssm.sessions.payloads import parse_open_data_channel

log = logging.getLogger("openssm.sessions")

OPEN_TIMEOUT_S = 10.0
CLOSE_POLICY = 1008  # RFC 6455: the message violates the endpoint's policy (a bad token)


class ClientEndpoint(LegEndpoint):
    NAME = "client"

    async def serve(self, session_id: str, leg: Leg, receive: Receive, scope: Scope) -> None:
        try:
            first = await next_message(receive, OPEN_TIMEOUT_S)
        except TimeoutError:
            await leg.close(CLOSE_POLICY, "no OpenDataChannel message in time")
            return
        if first is None:
            return
        try:
            token = parse_open_data_channel(first).token
        except DataChannelError as exc:
            await leg.close(CLOSE_POLICY, str(exc))
            return
        now = self._runtime.clock.now()
        row = await self._runtime.store.write(
            lambda conn: lifecycle.spend_token(conn, session_id, token, now=now)
        )
        if row is None:
            log.info("data channel of %s refused: the token is not valid", session_id[:96])
            await leg.close(CLOSE_POLICY, "The token is not valid, was used or has expired")
            return
        relay = self._relays.relay_for(session_id, lifecycle.spec_of(row))
        # The session's start counts, not this connection's: a client that came late waits
        # only what is left.
        waited = (now - row.start_date).total_seconds()
        timeout_s = self._runtime.settings.session_open_timeout_s - max(0.0, waited)
        if not await relay.wait_for_agent(timeout_s):
            # Said in channel_closed, as any end of a session: the client prints it and
            # exits instead of trying ResumeSession on a socket that just closed.
            closing = payloads.channel_closed(session_id, lifecycle.NEVER_OPENED)
            await leg.send_bytes(wire.encode(closing))
            await relay.end(SessionStatus.FAILED, lifecycle.NEVER_OPENED)
            await leg.close(CLOSE_POLICY, lifecycle.NEVER_OPENED)
            return
        await relay.attach_client(leg)
        try:
            while (message := await next_message(receive)) is not None:
                if isinstance(message, bytes):
                    await relay.from_client(message)
        finally:
            await relay.client_gone(leg)
