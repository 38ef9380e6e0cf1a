"""The loops that keep the audit trail: a writer that flushes the queue, a pruner that ages it.

The writer takes what waits in the ``AuditTrail`` every ``interval_s`` (sooner when a batch
fills), shapes the records on a worker thread, and writes them in one transaction with, for
the calls the outbox setting picks, an "AWS API Call via CloudTrail" event each, so rules
deliver them like any other event. It flushes once more when stopped. A write that fails puts
its calls back in line; the loop backs off and tries again. A batch the database refuses for
its data (which ``records.storable`` should make impossible) is split until the one record it
refuses is found and dropped with a log line, so one bad record never stalls the trail.

The pruner deletes records older than the retention, hourly by default, in short batches.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Mapping, Sequence
from enum import StrEnum

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DataError

from openssm.clock import Clock
from openssm.errors import StoreError
from openssm.server.events.outbox import Scope, write_event
from openssm.server.loops import PeriodicLoop
from openssm.server.services.audit.calls import ApiCall
from openssm.server.services.audit.records import DETAIL_TYPE, record_row
from openssm.server.services.audit.redaction import Redactor
from openssm.server.services.audit.trail import AuditTrail
from openssm.server.store.audit import repo
from openssm.server.store.engine import Store

log = logging.getLogger("openssm.audit")

BATCH = 1000
STOP_TIMEOUT_S = 10.0
# A call's row, the call, and its record when it also goes to the outbox.
Shaped = tuple[repo.AuditRow, ApiCall, dict[str, object] | None]


class OutboxChoice(StrEnum):
    """Which records also become events: writes (as EventBridge delivers), all, or none."""

    WRITES = "writes"
    ALL = "all"
    NONE = "none"


def _wanted(choice: OutboxChoice, call: ApiCall) -> bool:
    return choice is OutboxChoice.ALL or (choice is OutboxChoice.WRITES and not call.read_only)


class AuditWriter(PeriodicLoop):
    def __init__(
        self,
        trail: AuditTrail,
        store: Store,
        redactors: Mapping[str, Redactor],
        *,
        interval_s: float,
        outbox: OutboxChoice = OutboxChoice.WRITES,
    ) -> None:
        super().__init__(name="audit-writer", interval_s=interval_s, stop_timeout_s=STOP_TIMEOUT_S)
        self._trail = trail
        self._store = store
        self._redactors = redactors
        self._outbox = outbox
        self._lock = asyncio.Lock()
        trail.attach(self.wake, self.tick)

    async def tick(self) -> int:
        """Write everything waiting, a batch per transaction; how many calls were written."""
        written = 0
        async with self._lock:
            while self._trail.pending:
                calls = self._trail.take(BATCH)
                try:
                    shaped = await asyncio.to_thread(self._shape, calls)
                    await self._write_all(shaped)
                except BaseException:
                    self._trail.put_back(calls)
                    raise
                written += len(calls)
        return written

    async def _write_all(self, shaped: Sequence[Shaped]) -> None:
        try:
            await self._store.write(functools.partial(self._write, shaped))
        except (DataError, StoreError, UnicodeError) as exc:
            if len(shaped) == 1:
                log.error("audit trail: dropped a record the database refused: %s", exc)
                return
            middle = len(shaped) // 2
            await self._write_all(shaped[:middle])
            await self._write_all(shaped[middle:])

    async def after_stop(self) -> None:
        written = await self.tick()
        if written:
            log.info("audit trail: wrote the last %d records", written)

    def _shape(self, calls: Sequence[ApiCall]) -> list[Shaped]:
        shaped: list[Shaped] = []
        for call in calls:
            record, row = record_row(call, self._redactors)
            shaped.append((row, call, record if _wanted(self._outbox, call) else None))
        return shaped

    @staticmethod
    def _write(shaped: Sequence[Shaped], conn: Connection) -> None:
        repo.insert_rows(conn, [row for row, _, _ in shaped])
        for _, call, event in shaped:
            if event is None:
                continue
            scope = Scope(account_id=call.account_id, region=call.region, now=call.event_time)
            arns = [r for r in call.resources if r != "*"]
            write_event(conn, scope, f"aws.{call.service}", DETAIL_TYPE, arns, event)


class AuditPruner(PeriodicLoop):
    """Deletes records older than ``retention`` every ``interval_s``."""

    def __init__(
        self, store: Store, clock: Clock, *, retention: dt.timedelta, interval_s: float
    ) -> None:
        super().__init__(name="audit-pruner", interval_s=interval_s, stop_timeout_s=STOP_TIMEOUT_S)
        self._store = store
        self._clock = clock
        self._retention = retention

    async def tick(self) -> int:
        cutoff = self._clock.now() - self._retention
        total = 0
        while not self.is_stopping:
            pruned = await self._store.write(
                functools.partial(repo.prune_before, cutoff=cutoff, limit=repo.PRUNE_BATCH)
            )
            total += pruned
            if pruned < repo.PRUNE_BATCH:
                break
        if total:
            log.info("audit trail: pruned %d records older than %s", total, cutoff.isoformat())
        return total
