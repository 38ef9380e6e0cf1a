"""The parameter-policy loop: every ``policy_interval_s`` it enforces the policies that came due.

Expiration deletes the parameter; the notifications write events to the outbox (see
``services.parameter_schedule``). Time comes from the runtime's clock, so tests move it
instead of sleeping.
"""

from __future__ import annotations

import functools
import logging

from openssm.server.loops import PeriodicLoop
from openssm.server.runtime import Runtime
from openssm.server.services.parameters import schedule as parameter_schedule

log = logging.getLogger("openssm.scheduler.policies")

BATCH_SIZE = 100
STOP_TIMEOUT_S = 5.0


class PolicyLoop(PeriodicLoop):
    """Every ``policy_interval_s``, enforces the parameter policies that came due."""

    def __init__(self, runtime: Runtime, *, interval_s: float | None = None) -> None:
        super().__init__(
            name="parameter-policies",
            interval_s=interval_s if interval_s is not None else runtime.settings.policy_interval_s,
            stop_timeout_s=STOP_TIMEOUT_S,
        )
        self._runtime = runtime

    async def tick(self) -> int:
        """Enforce everything due now, in batches; returns how many policies were handled."""
        total = 0
        while not self.is_stopping:
            enforce = functools.partial(
                parameter_schedule.enforce_due_policies,
                now=self._runtime.clock.now(),
                limit=BATCH_SIZE,
            )
            handled = await self._runtime.store.write(enforce)
            total += handled
            if handled < BATCH_SIZE:
                break
        if total:
            log.info("enforced %d parameter policies", total)
        return total
