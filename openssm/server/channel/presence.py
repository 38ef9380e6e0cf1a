"""Who is connected and when each agent was last heard, written to the store in batches.

A fleet of 10,000 agents heartbeating every 30 s would be 333 writes a second if every frame
touched the database. Instead channel events (connected, heard, reported info, disconnected)
are kept in memory and flushed together, in one transaction, every ``interval_s`` — at most a
quarter of the ConnectionLost threshold, so the stored ping times are never stale enough to
turn an agent that is talking ConnectionLost.

A flush also learns which of the agents it heard from were deregistered meanwhile: with
several server processes on one database, the deregistration may have been committed by
another one, and only the process that holds the channel can close it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from openssm.clock import Clock, SystemClock
from openssm.server.loops import PeriodicLoop
from openssm.server.services.fleet import instances
from openssm.server.services.fleet.instances import PresenceBatch
from openssm.server.store.engine import Store
from openssm.server.store.fleet.instances import InstanceInfo

log = logging.getLogger("openssm.channel.presence")

MAX_INTERVAL_S = 1.0
STOP_TIMEOUT_S = 10.0
_MAX_BACKOFF_S = 30.0


def flush_interval_s(connection_lost_after_s: float) -> float:
    return min(MAX_INTERVAL_S, connection_lost_after_s / 4)


class Presence(PeriodicLoop):
    """Pending channel events, and the loop that flushes them (``start``/``stop``)."""

    def __init__(
        self,
        store: Store,
        *,
        interval_s: float,
        on_deregistered: Callable[[set[str]], Awaitable[None]] | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(
            name="channel-presence",
            interval_s=interval_s,
            stop_timeout_s=STOP_TIMEOUT_S,
            max_backoff_s=_MAX_BACKOFF_S,
            tick_at_start=False,
        )
        self._store = store
        # Stamps each flush: the time of the ping-status events it writes.
        self._clock = clock or SystemClock()
        # Called with the instances a flush found deregistered though still talking here.
        self._on_deregistered = on_deregistered
        self._connections: dict[str, tuple[str, dt.datetime]] = {}
        self._pings: dict[str, dt.datetime] = {}
        self._info: dict[str, InstanceInfo] = {}
        self._disconnections: set[tuple[str, str]] = set()
        self._lock = asyncio.Lock()

    # --- events (called on the event loop, never block) ---

    def connected(self, instance_id: str, channel_id: str, at: dt.datetime) -> None:
        self._connections[instance_id] = (channel_id, at)

    def heard(self, instance_id: str, at: dt.datetime) -> None:
        self._pings[instance_id] = at

    def reported(self, info: InstanceInfo) -> None:
        self._info[info.instance_id] = info

    def disconnected(self, instance_id: str, channel_id: str) -> None:
        self._disconnections.add((instance_id, channel_id))

    @property
    def pending(self) -> int:
        return (
            len(self._connections) + len(self._pings) + len(self._info) + len(self._disconnections)
        )

    # --- flushing ---

    def _take(self) -> PresenceBatch:
        batch = PresenceBatch(
            connections=[(i, ch, at) for i, (ch, at) in self._connections.items()],
            pings=list(self._pings.items()),
            info=list(self._info.values()),
            disconnections=sorted(self._disconnections),
            at=self._clock.now(),
        )
        self._connections, self._pings, self._info = {}, {}, {}
        self._disconnections = set()
        return batch

    def _put_back(self, batch: PresenceBatch) -> None:
        """After a failed flush: keep the events, unless a newer one of the same kind came."""
        for instance_id, channel_id, at in batch.connections:
            self._connections.setdefault(instance_id, (channel_id, at))
        for instance_id, at in batch.pings:
            newer = self._pings.get(instance_id)
            self._pings[instance_id] = at if newer is None else max(at, newer)
        for info in batch.info:
            self._info.setdefault(info.instance_id, info)
        self._disconnections.update(batch.disconnections)

    async def flush(self) -> int:
        """Write everything pending in one transaction; returns how many events it wrote."""
        async with self._lock:
            batch = self._take()
            if not len(batch):
                return 0
            try:
                deregistered = await self._store.write(
                    lambda conn: instances.record_presence(conn, batch)
                )
            except BaseException:
                self._put_back(batch)
                raise
        if deregistered and self._on_deregistered is not None:
            await self._on_deregistered(deregistered)
        return len(batch)

    async def tick(self) -> int:
        return await self.flush()

    async def after_stop(self) -> None:
        """The last flush: disconnections written at shutdown."""
        await self.flush()
