"""Retry delays: capped exponential backoff with full jitter, as pure arithmetic.

Shared by everything that retries: the agent reconnecting its channel and the
server's background loops after a failed iteration. No clock and no sleeping
here; the caller waits the delay however it waits. Full jitter (a uniform
draw between 0 and the capped exponential) spreads a fleet that lost its
server at the same instant, so a restarted server is not met by every agent
at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


def backoff_ceiling(attempt: int, *, base_s: float, cap_s: float) -> float:
    """min(cap, base * 2**attempt), the most the `attempt`-th retry (from 0) may wait."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    # 2**64 * any base is past any sensible cap; stop growing before floats overflow.
    return min(cap_s, base_s * 2.0 ** min(attempt, 64))


def backoff_delay(
    attempt: int, *, base_s: float, cap_s: float, draw: Callable[[], float] = random.random
) -> float:
    """A full-jitter delay: draw() in [0, 1) scaled to the attempt's ceiling."""
    return draw() * backoff_ceiling(attempt, base_s=base_s, cap_s=cap_s)


@dataclass(slots=True)
class Backoff:
    """Counts consecutive failures; ``reset`` once the retried work has succeeded."""

    base_s: float
    cap_s: float
    draw: Callable[[], float] = field(default=random.random)
    attempt: int = 0

    def next_delay(self) -> float:
        delay = backoff_delay(self.attempt, base_s=self.base_s, cap_s=self.cap_s, draw=self.draw)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0
