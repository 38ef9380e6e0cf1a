"""The event relay: the loop that drains the outbox to every target, at least once.

Each pass routes new outbox events to deliveries (``routing``), then sends the deliveries that
are due, several at once on worker threads, and records each outcome: delivered, retried
later (``retry``), or dead-lettered once its attempts are spent. A target gets one resource's
events in order: a delivery waits while an older one for the same target and resource is
pending. Everything is in the database, so a restart resumes where the relay stopped; a
delivery being sent is leased, so with replicas on PostgreSQL no two send the same one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import random
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Connection

from openssm.server.events import retry, routing
from openssm.server.events.senders import DeliveryFailed, Senders
from openssm.server.loops import PeriodicLoop
from openssm.server.runtime import Runtime
from openssm.server.store.events import deliveries

log = logging.getLogger("openssm.events")

ROUTE_BATCH = 500
SEND_BATCH = 200
SENDERS = 16
# A delivery being sent is not sent again by another replica for this long (sends time out
# long before).
LEASE = dt.timedelta(seconds=60)
# Delivered and dead-lettered deliveries are kept this long, for `openssm events target list`.
KEEP_FINISHED = dt.timedelta(days=7)
_PRUNE_EVERY = dt.timedelta(hours=1)
_STOP_TIMEOUT_S = 15.0


class EventRelay(PeriodicLoop):
    def __init__(
        self,
        runtime: Runtime,
        *,
        interval_s: float | None = None,
        senders: Senders | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        settings = runtime.settings
        super().__init__(
            name="events",
            interval_s=interval_s if interval_s is not None else settings.events_interval_s,
            stop_timeout_s=_STOP_TIMEOUT_S,
        )
        self._runtime = runtime
        self._senders = senders or Senders(settings, runtime.keyring)
        self._draw = draw
        self._executor: ThreadPoolExecutor | None = None
        self._pruned_at: dt.datetime | None = None

    async def start(self) -> None:
        self._executor = ThreadPoolExecutor(SENDERS, thread_name_prefix="openssm-events")
        await super().start()

    async def after_stop(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def tick(self) -> int:
        """Route and send until nothing is due; returns how many events and deliveries it
        handled."""
        store, clock = self._runtime.store, self._runtime.clock
        handled = 0
        while not self.is_stopping:
            route = functools.partial(routing.route, now=clock.now(), limit=ROUTE_BATCH)
            routed = await store.write(route)
            sent = await self._send_due()
            handled += routed + sent
            if routed < ROUTE_BATCH and sent < SEND_BATCH:
                break
        now = clock.now()
        if self._pruned_at is None or now - self._pruned_at >= _PRUNE_EVERY:
            self._pruned_at = now
            await store.write(
                lambda conn: deliveries.prune_finished(conn, before=now - KEEP_FINISHED)
            )
        return handled

    async def _send_due(self) -> int:
        store, clock = self._runtime.store, self._runtime.clock
        now = clock.now()
        due = await store.write(
            functools.partial(
                deliveries.claim_due, now=now, lease_until=now + LEASE, limit=SEND_BATCH
            )
        )
        if not due:
            return 0
        outcomes = await asyncio.gather(*(self._send(d) for d in due))
        await store.write(lambda conn: self._record(conn, due, outcomes, clock.now()))
        return len(due)

    async def _send(self, delivery: deliveries.DueDelivery) -> DeliveryFailed | None:
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                self._executor, self._senders.send, delivery.target, delivery.body
            )
        except DeliveryFailed as exc:
            return exc
        return None

    def _record(
        self,
        conn: Connection,
        due: Sequence[deliveries.DueDelivery],
        outcomes: Sequence[DeliveryFailed | None],
        now: dt.datetime,
    ) -> None:
        settings = self._runtime.settings
        deliveries.mark_delivered(
            conn, [d.id for d, o in zip(due, outcomes, strict=True) if o is None], now
        )
        for delivery, failure in zip(due, outcomes, strict=True):
            if failure is None:
                continue
            target = delivery.target
            limit = settings.events_max_attempts
            if target.max_attempts is not None:
                limit = min(limit, target.max_attempts)
            delay = (
                None
                if failure.permanent
                else retry.retry_delay_s(
                    delivery.attempts + 1,
                    max_attempts=limit,
                    cap_s=settings.events_retry_cap_s,
                    draw=self._draw,
                )
            )
            if delay is None:
                log.warning(
                    "event %d to target %s dead-lettered after %d attempts: %s",
                    delivery.event_id,
                    target.target_id,
                    delivery.attempts + 1,
                    failure,
                )
            else:
                log.info(
                    "event %d to target %s failed (%s); next try in %.1fs",
                    delivery.event_id,
                    target.target_id,
                    failure,
                    delay,
                )
            deliveries.mark_failed(
                conn,
                delivery.id,
                error=str(failure),
                next_attempt_at=None if delay is None else now + dt.timedelta(seconds=delay),
                now=now,
            )
