"""The parameter-policy loop: every ``policy_interval_s`` it enforces the policies that came due.

Expiration deletes the parameter; the notifications write events to the outbox (see
``services.parameter_schedule``). Time comes from the runtime's clock, so tests move it
instead of sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

from openssm.server.runtime import Runtime
from openssm.server.services.parameters import schedule as parameter_schedule

log = logging.getLogger("openssm.scheduler.policies")

BATCH_SIZE = 100
STOP_TIMEOUT_S = 5.0
_MAX_BACKOFF_S = 60.0


class PolicyLoop:
    """Starts a task that ticks until ``stop``; ``tick`` is also callable directly in tests."""

    def __init__(self, runtime: Runtime, *, interval_s: float | None = None) -> None:
        self._runtime = runtime
        self._interval_s = (
            interval_s if interval_s is not None else runtime.settings.policy_interval_s
        )
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the policy loop is already running")
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="openssm-parameter-policies")

    async def stop(self) -> None:
        """Stop ticking; returns at once when idle, and within STOP_TIMEOUT_S when busy."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=STOP_TIMEOUT_S)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            log.warning("parameter policy loop cancelled after %.1fs", STOP_TIMEOUT_S)

    async def tick(self) -> int:
        """Enforce everything due now, in batches; returns how many policies were handled."""
        total = 0
        while not self._stopping.is_set():
            enforce = functools.partial(
                parameter_schedule.enforce_due_policies,
                now=self._runtime.clock.now(),
                limit=BATCH_SIZE,
            )
            handled = await self._runtime.store.write(enforce)
            total += handled
            if handled < BATCH_SIZE:
                break
        return total

    async def _run(self) -> None:
        delay = self._interval_s
        while not self._stopping.is_set():
            try:
                handled = await self.tick()
                if handled:
                    log.info("enforced %d parameter policies", handled)
                delay = self._interval_s
            except Exception:  # the top of a background-loop iteration: log, back off, go on
                log.exception("parameter policy tick failed")
                delay = min(max(delay * 2, self._interval_s), _MAX_BACKOFF_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
