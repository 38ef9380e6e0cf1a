"""The agent's leg of a session, WebSocket ``/agent/v1/session/<session-id>`` (SPEC.md 13).

The agent authenticates as on its channel (challenge, hello signed with its key, welcome)
and is accepted only for a session that targets it and is still active: agent A can never
carry, read or end B's session (SECURITY.md #7). Then its binary messages go to the client
through the relay, and its text messages are per-connection records of a port session.
"""

from __future__ import annotations

import logging
import re

from starlette.types import Receive, Scope

from openssm.errors import ProtocolViolation
from openssm.protocol import frames, handshake, verification
from openssm.protocol.frames import ChallengeFrame, HelloFrame, RejectedFrame, WelcomeFrame
from openssm.protocol.handshake import RejectCode
from openssm.server.api.callers import endpoint_url
from openssm.server.channel.endpoint import next_message
from openssm.server.services.fleet import instances
from openssm.server.services.sessions import lifecycle
from openssm.server.sessions.leg_endpoint import LegEndpoint
from openssm.server.sessions.legs import Leg

log = logging.getLogger("openssm.sessions")

HELLO_TIMEOUT_S = 10.0
CLOSE_NORMAL = 1000
_INSTANCE_ID = re.compile(r"mi-[0-9a-f]{17}")


class AgentLegEndpoint(LegEndpoint):
    NAME = "agent"

    async def _refuse(self, leg: Leg, code: RejectCode, message: str) -> None:
        log.info("session leg refused: %s: %s", code.value, message)
        await leg.send_text(frames.encode(RejectedFrame(code=code.value, message=message)))
        await leg.close(handshake.close_code_for(code), code.value)

    async def _authenticate(self, session_id: str, leg: Leg, receive: Receive) -> bool:
        clock = self._runtime.clock
        nonce = handshake.new_nonce()
        challenge = ChallengeFrame(nonce=nonce, server_time=clock.now().timestamp())
        await leg.send_text(frames.encode(challenge))
        try:
            text = await next_message(receive, HELLO_TIMEOUT_S)
        except TimeoutError:
            await leg.close(handshake.CLOSE_PROTOCOL, "no hello in time")
            return False
        if text is None:
            return False
        try:
            hello = frames.decode_from_agent(text)
        except ProtocolViolation as exc:
            await self._refuse(leg, RejectCode.PROTOCOL_VIOLATION, str(exc))
            return False
        if not isinstance(hello, HelloFrame) or not _INSTANCE_ID.fullmatch(hello.instance_id):
            await self._refuse(leg, RejectCode.PROTOCOL_VIOLATION, "expected a hello")
            return False
        instance_id = hello.instance_id
        instance = await self._runtime.store.read(
            lambda conn: instances.get_for_handshake(conn, instance_id)
        )
        if instance is None or instance.deregistered_at is not None:
            await self._refuse(leg, RejectCode.UNKNOWN_INSTANCE, "no such managed instance")
            return False
        refused = verification.check_hello(
            hello,
            expected_nonce=nonce,
            public_key_bytes=instance.public_key,
            now=clock.now().timestamp(),
        )
        if refused is not None:
            await self._refuse(leg, refused, "the hello does not verify")
            return False
        row = await self._runtime.store.read(
            lambda conn: lifecycle.session_for_agent(conn, session_id, instance_id)
        )
        if row is None:
            # The same answer whether the session ended, never existed or targets another node.
            await self._refuse(
                leg, RejectCode.PROTOCOL_VIOLATION, "no active session for this instance"
            )
            return False
        heartbeat = self._runtime.settings.heartbeat_interval_s
        welcome = WelcomeFrame(instance_id=instance_id, heartbeat_interval_s=heartbeat)
        await leg.send_text(frames.encode(welcome))
        return True

    async def serve(self, session_id: str, leg: Leg, receive: Receive, scope: Scope) -> None:
        if not await self._authenticate(session_id, leg, receive):
            return
        row = await self._runtime.store.read(lambda conn: lifecycle.get(conn, session_id))
        if row is None:
            await leg.close(CLOSE_NORMAL, "the session ended")
            return
        relay = self._relays.relay_for(session_id, lifecycle.spec_of(row))
        await relay.attach_agent(leg)
        # Where the agent found this server: a StartSession on another replica names it.
        here = endpoint_url(scope)
        replica = self._relays.replica_id
        await self._runtime.store.write(
            lambda conn: lifecycle.attach_relay(conn, session_id, here, replica=replica)
        )
        # Only a close the agent chose (1000, after its channel_closed) ends the session
        # cleanly; a leg that just drops (the agent was killed, the host died) fails it.
        clean = False
        try:
            while True:
                event = await receive()
                if event["type"] != "websocket.receive":
                    clean = event.get("code") == CLOSE_NORMAL
                    break
                data: bytes | None = event.get("bytes")
                if data is not None:
                    await relay.from_agent(data)
                elif (text := event.get("text")) is not None:
                    await relay.agent_record(text)
        finally:
            await relay.agent_gone(leg, clean=clean)
