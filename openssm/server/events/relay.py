"""The event relay: the loop that drains the outbox to every target, at least once.

Each pass routes new outbox events to deliveries (``routing``), then sends the deliveries that
are due, several at once on worker threads, and records each outcome: delivered, retried
later (``retry``), or dead-lettered once its attempts are spent. A target gets one resource's
events in order: a delivery waits while an older one for the same target and resource is
pending, and a resource's waiting deliveries are claimed together and sent one after another;
a pass goes on while there is work, so a burst for one resource drains at the receiver's pace.
Everything is in the database, so a restart resumes where the relay stopped; a
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
# A claim takes up to this many deliveries of one target and resource, sent one after another.
CHAIN = 50
SENDERS = 16
# A delivery being sent is not sent again by another replica for this long (sends time out
# long before).
LEASE = dt.timedelta(seconds=60)
# Delivered and dead-lettered deliveries are kept this long, for `openssm events target list`,
# and routed outbox events too.
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
        """Route and send while there is work (routed events, or deliveries that went or were
        tried); returns how many events and deliveries it handled. A pass that ended after a
        short batch would leave a busy resource one event per interval."""
        store, clock = self._runtime.store, self._runtime.clock
        handled = 0
        while not self.is_stopping:
            route = functools.partial(routing.route, now=clock.now(), limit=ROUTE_BATCH)
            routed = await store.write(route)
            sent = await self._send_due()
            handled += routed + sent
            await self._prune_now_and_then()
            if routed == 0 and sent == 0:
                break
        return handled

    async def _prune_now_and_then(self) -> None:
        now = self._runtime.clock.now()
        if self._pruned_at is None or now - self._pruned_at >= _PRUNE_EVERY:
            self._pruned_at = now
            await self._runtime.store.write(functools.partial(_prune, before=now - KEEP_FINISHED))

    async def _send_due(self) -> int:
        """Claim due deliveries in chains (one target and resource each, in order), send the
        chains side by side and each chain's deliveries one after the other, stopping a chain
        at its first failure; record it all. Returns how many deliveries were tried."""
        store, clock = self._runtime.store, self._runtime.clock
        now = clock.now()
        chains = await store.write(
            functools.partial(
                deliveries.claim_due,
                now=now,
                lease_until=now + LEASE,
                limit=SEND_BATCH,
                chain=CHAIN,
            )
        )
        if not chains:
            return 0
        tried = await asyncio.gather(*(self._send_chain(chain) for chain in chains))
        outcomes = [outcome for chain_outcomes in tried for outcome in chain_outcomes]
        untried = [
            d.id for chain, got in zip(chains, tried, strict=True) for d in chain[len(got) :]
        ]
        await store.write(lambda conn: self._record(conn, outcomes, untried, clock.now()))
        return len(outcomes)

    async def _send_chain(
        self, chain: Sequence[deliveries.DueDelivery]
    ) -> list[tuple[deliveries.DueDelivery, DeliveryFailed | None]]:
        outcomes: list[tuple[deliveries.DueDelivery, DeliveryFailed | None]] = []
        for delivery in chain:
            failure = await self._send(delivery)
            outcomes.append((delivery, failure))
            if failure is not None:
                break
        return outcomes

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
        outcomes: Sequence[tuple[deliveries.DueDelivery, DeliveryFailed | None]],
        untried: Sequence[int],
        now: dt.datetime,
    ) -> None:
        settings = self._runtime.settings
        deliveries.mark_delivered(conn, [d.id for d, failure in outcomes if failure is None], now)
        deliveries.release(conn, untried)
        # A target that took everything sent to it this time is back: what it refused before
        # goes again now rather than at the end of its backoff (up to the cap, 30 s).
        failing = {d.target.id for d, failure in outcomes if failure is not None}
        back = {d.target.id for d, failure in outcomes if failure is None} - failing
        deliveries.retry_now(conn, back, now)
        for delivery, failure in outcomes:
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


def _prune(conn: Connection, *, before: dt.datetime) -> None:
    deliveries.prune_finished(conn, before=before)
    deliveries.prune_routed(conn, before=before)
