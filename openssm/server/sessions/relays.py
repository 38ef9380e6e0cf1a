"""SessionRelays: the relays of the sessions whose legs this server process holds, and the
database side of their lives (SessionBook).

A relay is made when the first leg of a session arrives and forgotten when it ends. With
several replicas, both legs of a session meet on the replica that holds the agent: the
agent opens its leg to the server it is connected to, and StartSession's StreamUrl names
that server.
"""

from __future__ import annotations

import logging

from openssm.server.runtime import Runtime
from openssm.server.services.sessions import lifecycle, transcripts
from openssm.server.services.sessions.model import AgentSpec, SessionStatus
from openssm.server.sessions.relay import Relay
from openssm.server.sessions.transcript import TranscriptWriter

log = logging.getLogger("openssm.sessions")


class SessionRelays:
    def __init__(self, runtime: Runtime, replica_id: str) -> None:
        self._runtime = runtime
        # This process, as the sessions it relays record it (openssm.server.store.replicas).
        self.replica_id = replica_id
        self._relays: dict[str, Relay] = {}

    def __len__(self) -> int:
        return len(self._relays)

    def get(self, session_id: str) -> Relay | None:
        return self._relays.get(session_id)

    def relay_for(self, session_id: str, spec: AgentSpec) -> Relay:
        relay = self._relays.get(session_id)
        if relay is None or relay.is_ended:
            store = self._runtime.store

            async def on_piece(pieces: int) -> None:
                await store.write(lambda conn: lifecycle.record_pieces(conn, session_id, pieces))

            relay = Relay(
                session_id,
                book=self,
                transcript=TranscriptWriter(
                    transcripts.store_of(self._runtime.objects, spec),
                    session_id,
                    on_piece=on_piece,
                    prefix=spec.s3_prefix,
                ),
                records_output=spec.records_output,
                grace_s=self._runtime.settings.session_grace_s,
                on_ended=self._forget,
            )
            self._relays[session_id] = relay
        return relay

    def _forget(self, relay: Relay) -> None:
        if self._relays.get(relay.session_id) is relay:
            del self._relays[relay.session_id]

    # --- SessionBook ---------------------------------------------------------------------------

    async def client_attached(self, session_id: str) -> None:
        await self._mark(session_id, SessionStatus.CONNECTED)

    async def client_detached(self, session_id: str) -> None:
        await self._mark(session_id, SessionStatus.DISCONNECTED)

    async def ended(self, session_id: str, status: SessionStatus, details: str) -> None:
        await self._mark(session_id, status, details)

    async def terminating(self, session_id: str) -> bool:
        row = await self._runtime.store.read(lambda conn: lifecycle.get(conn, session_id))
        return row is not None and row.status == SessionStatus.TERMINATING

    async def _mark(self, session_id: str, status: SessionStatus, details: str = "") -> None:
        now = self._runtime.clock.now()
        await self._runtime.store.write(
            lambda conn: lifecycle.mark(conn, session_id, status, now=now, details=details)
        )
