"""The queue between the API and the audit writer: calls wait here, in memory, for a batch.

Recording a call costs the request an append; the writer (``writer.py``) turns what waits
into rows and outbox events in one transaction every flush interval, and once more when the
server stops. What a kill -9 loses is what was waiting: the calls of the last interval.

Calls nobody could be identified for (refused signatures, unknown keys, wrong activation
codes, throttled guessers) are sampled per source address: a guesser fills the trail with a
few records a minute and a count of the rest, never with one row per guess.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from openssm.server.services.audit.calls import ApiCall

log = logging.getLogger("openssm.audit")

MAX_PENDING = 200_000
# The writer is woken early once this many calls wait.
WAKE_AT = 2000
ANONYMOUS_PER_WINDOW = 20
ANONYMOUS_WINDOW_S = 60.0
_MAX_TRACKED_ADDRESSES = 10_000


class _AddressWindow:
    __slots__ = ("recorded", "started", "suppressed")

    def __init__(self, started: float) -> None:
        self.started = started
        self.recorded = 0
        self.suppressed = 0


class AuditTrail:
    """Calls waiting to be written. Lives on the event loop; no locks."""

    def __init__(
        self,
        *,
        max_pending: int = MAX_PENDING,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pending: deque[ApiCall] = deque()
        self._max_pending = max_pending
        self._monotonic = monotonic
        self._windows: dict[str, _AddressWindow] = {}
        self._wake: Callable[[], None] | None = None
        self._flush: Callable[[], Awaitable[object]] | None = None
        self.dropped = 0

    def attach(self, wake: Callable[[], None], flush: Callable[[], Awaitable[object]]) -> None:
        """The writer: woken when a batch is ready, asked to flush before a lookup."""
        self._wake, self._flush = wake, flush

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, call: ApiCall) -> None:
        if call.identity is None and call.error_code is not None and not self._sampled(call):
            return
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 10_000 == 0:
                log.error("audit trail full: %d calls went unrecorded", self.dropped)
            return
        self._pending.append(call)
        if len(self._pending) >= WAKE_AT and self._wake is not None:
            self._wake()

    def take(self, limit: int) -> list[ApiCall]:
        taken: list[ApiCall] = []
        while self._pending and len(taken) < limit:
            taken.append(self._pending.popleft())
        return taken

    def put_back(self, calls: list[ApiCall]) -> None:
        """Calls a failed write took: first in line again."""
        self._pending.extendleft(reversed(calls))

    async def flush(self) -> None:
        """Write what waits now and wait for a write in flight (a lookup reads the calls
        before it); nothing without a writer."""
        if self._flush is not None:
            await self._flush()

    def _sampled(self, call: ApiCall) -> bool:
        now = self._monotonic()
        window = self._windows.get(call.source_ip)
        if window is None or now - window.started >= ANONYMOUS_WINDOW_S:
            if window is None and len(self._windows) >= _MAX_TRACKED_ADDRESSES:
                self._windows.clear()
            suppressed = window.suppressed if window is not None else 0
            window = self._windows[call.source_ip] = _AddressWindow(now)
            if suppressed:
                call.additional = {**(call.additional or {}), "suppressedSimilarEvents": suppressed}
        if window.recorded >= ANONYMOUS_PER_WINDOW:
            window.suppressed += 1
            return False
        window.recorded += 1
        return True
