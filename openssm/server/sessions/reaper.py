"""SessionReaper: ends the sessions whose relay died with its server process.

A session's two legs meet in one server process (the relay); when that process dies (a
crash, a SIGKILL, its host lost) nothing is left to write the session's end, and it would
stay Active for ever. Each process holds a lease that others can test
(openssm.server.store.replicas); this loop, at start and then every INTERVAL_S, ends as
Failed (what a session that lost its connection shows) the active sessions relayed by
processes that are gone — with two replicas on one PostgreSQL, only the dead one's — and
the sessions whose agent never opened its leg within the open timeout (settings'
session_open_timeout_s): it ticks at least that often, so such a session ends within twice
the timeout even when no client waits on it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from openssm.server.loops import PeriodicLoop
from openssm.server.runtime import Runtime
from openssm.server.services.sessions import lifecycle
from openssm.server.store.replicas import ReplicaLease

log = logging.getLogger("openssm.sessions")

INTERVAL_S = 30.0


class SessionReaper(PeriodicLoop):
    def __init__(self, runtime: Runtime, lease: ReplicaLease) -> None:
        self._open_timeout_s = runtime.settings.session_open_timeout_s
        interval_s = min(INTERVAL_S, self._open_timeout_s)
        super().__init__(name="session reaper", interval_s=interval_s)
        self._runtime = runtime
        self._lease = lease

    async def start(self) -> None:
        await asyncio.to_thread(self._lease.hold)
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        await asyncio.to_thread(self._lease.release)

    async def tick(self) -> int:
        await asyncio.to_thread(self._lease.check)
        me = self._lease.replica_id
        now = self._runtime.clock.now()
        open_timeout = dt.timedelta(seconds=self._open_timeout_s)
        ended = await self._runtime.store.write(
            lambda conn: lifecycle.end_orphans(conn, me=me, now=now, open_timeout=open_timeout)
        )
        if ended:
            log.info("ended %d sessions whose server process or agent was gone", ended)
        return ended
