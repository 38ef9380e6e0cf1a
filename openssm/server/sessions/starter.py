"""SessionStarter: with several replicas on PostgreSQL, the replica that holds a session's
agent tells the agent to open its leg.

StartSession on a replica that does not hold the target's channel commits the session with
a NOTIFY; every replica wakes, and the one whose hub has the agent sends ``session_start``
(each session once); the same for ``session_end`` when TerminateSession made a session
Terminating on another replica. The agent's leg then comes to that replica, which writes its address
on the session, and StartSession answers a StreamUrl naming it: the client's leg and the
agent's meet on one replica, and the bytes never pass through the database. A tick every
few seconds catches a notification lost while the listener reconnected.
"""

from __future__ import annotations

import asyncio
import logging

from openssm.protocol.frames import SessionEndFrame
from openssm.server.loops import PeriodicLoop
from openssm.server.runtime import Runtime
from openssm.server.services.sessions import lifecycle
from openssm.server.store.notify import SESSIONS_CHANNEL, Listener

log = logging.getLogger("openssm.sessions")

INTERVAL_S = 5.0


class SessionStarter(PeriodicLoop):
    def __init__(self, runtime: Runtime) -> None:
        super().__init__(name="session starter", interval_s=INTERVAL_S)
        self._runtime = runtime
        self._listener = Listener(runtime.store.engine, SESSIONS_CHANNEL, self._notified)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sent: set[str] = set()

    async def start(self) -> None:
        if not self._listener.applies:
            return  # one process: StartSession tells its own agents directly
        self._loop = asyncio.get_running_loop()
        await super().start()
        self._listener.start()

    async def stop(self) -> None:
        if not self._listener.applies:
            return
        await asyncio.to_thread(self._listener.stop)
        await super().stop()

    def _notified(self) -> None:
        """Called from the listener's thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.wake)

    async def tick(self) -> int:
        hub = self._runtime.hub
        targets = sorted(hub.connected())
        if not targets:
            return 0
        now = self._runtime.clock.now()
        waiting = await self._runtime.store.read(
            lambda conn: lifecycle.waiting_for_agents(conn, targets, now=now)
        )
        sent = 0
        for session_id, target, spec in waiting:
            if session_id in self._sent:
                continue
            if await hub.send(target, spec.start_frame(session_id)):
                self._sent.add(session_id)
                sent += 1
        sent += await self._end_terminating(targets)
        if len(self._sent) > 10_000:
            self._sent.clear()
        return sent

    async def _end_terminating(self, targets: list[str]) -> int:
        """Tell this replica's agents to end the sessions TerminateSession asked to end on
        another replica (each once: the API's own replica told its agents directly)."""
        hub = self._runtime.hub
        terminating = await self._runtime.store.read(
            lambda conn: lifecycle.terminating_for_agents(conn, targets)
        )
        sent = 0
        for session_id, target in terminating:
            key = "end " + session_id
            if key not in self._sent and await hub.send(target, _end_frame(session_id)):
                self._sent.add(key)
                sent += 1
        return sent


def _end_frame(session_id: str) -> SessionEndFrame:
    return SessionEndFrame(session_id=session_id, reason=lifecycle.END_REASON)
