"""The silence loop: a managed node whose agent stops talking without closing its channel
(a frozen host, a cut network, a replica that died holding the channel) turns ConnectionLost
by the clock alone, with no write to report it. This loop finds such nodes and writes their
ping-status event, marking them reported in the same transaction; every replica runs it, and
the mark makes each change reported once.
"""

from __future__ import annotations

import functools
import logging

from openssm.server.events import fleet as fleet_events
from openssm.server.loops import PeriodicLoop
from openssm.server.runtime import Runtime

log = logging.getLogger("openssm.scheduler.silence")

MAX_INTERVAL_S = 5.0
STOP_TIMEOUT_S = 5.0


class SilenceLoop(PeriodicLoop):
    def __init__(self, runtime: Runtime, *, interval_s: float | None = None) -> None:
        silent_for_s = runtime.settings.connection_lost_after_s
        super().__init__(
            name="silent-nodes",
            interval_s=interval_s or min(MAX_INTERVAL_S, silent_for_s / 4),
            stop_timeout_s=STOP_TIMEOUT_S,
            tick_at_start=False,
        )
        self._runtime = runtime
        self._silent_for_s = silent_for_s

    async def tick(self) -> int:
        sweep = functools.partial(
            fleet_events.silent_nodes_lost,
            now=self._runtime.clock.now(),
            silent_for_s=self._silent_for_s,
        )
        lost = await self._runtime.store.write(sweep)
        if lost:
            log.info("%d managed nodes fell silent: ConnectionLost", lost)
        return lost
