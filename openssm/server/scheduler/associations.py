"""The association scheduler loop: every ``interval_s`` (and at once when woken) one pass of
``services.associations.scheduling`` in one write transaction.

With replicas on one PostgreSQL, each pass first takes the scheduler's advisory lock
(``store.leadership``): one replica's pass runs at a time, and a replica that finds the lock
held skips its pass, so every scheduled run starts once. Time comes from the runtime's clock.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.engine import Connection

from openssm.server.loops import PeriodicLoop
from openssm.server.runtime import Runtime
from openssm.server.services.associations import execution, scheduling
from openssm.server.store import leadership

log = logging.getLogger("openssm.scheduler.associations")

DEFAULT_INTERVAL_S = 1.0
STOP_TIMEOUT_S = 10.0


class AssociationLoop(PeriodicLoop):
    def __init__(self, runtime: Runtime, *, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        super().__init__(name="associations", interval_s=interval_s, stop_timeout_s=STOP_TIMEOUT_S)
        self._runtime = runtime
        runtime.associations_doorbell.listen(self.wake)

    async def tick(self) -> scheduling.PassResult | None:
        now = self._runtime.clock.now()
        cutoff = now - dt.timedelta(seconds=self._runtime.settings.connection_lost_after_s)

        def one_pass(conn: Connection) -> scheduling.PassResult | None:
            if not leadership.try_lead(conn, leadership.ASSOCIATION_SCHEDULER):
                return None
            return scheduling.run_pass(conn, self._runtime.keyring, now=now, online_cutoff=cutoff)

        result = await self._runtime.store.write(one_pass)
        if result is not None and result.recorded >= execution.RECORD_BUDGET:
            self.wake()  # more results wait: the next pass runs at once
        if result is not None and result.started:
            log.info("started %d association runs", result.started)
        if result is not None and result.cancelled:
            log.info("cancelled %d association runs past their Duration", result.cancelled)
        if result is not None and (result.started or result.cancelled):
            # The dispatcher delivers the new runs, and tells agents to stop cancelled ones.
            self._runtime.commands_doorbell.ring()
        return result
