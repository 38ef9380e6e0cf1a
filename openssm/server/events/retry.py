"""When a failed delivery is tried again: capped exponential backoff with jitter. Pure.

The wait before attempt n+1 is drawn between half and all of min(cap, base * 2**(n-1)):
"equal jitter", so receivers that failed together are not retried together, yet no retry
comes so soon that a run of attempts is spent in a few seconds. With the default cap of 30 s
a receiver that comes back gets its events within about 30 s (plus one relay interval), and
the default 20 attempts span several minutes before an event is dead-lettered.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from openssm.backoff import backoff_ceiling

BASE_S = 1.0


def retry_delay_s(
    failed_attempts: int,
    *,
    max_attempts: int,
    cap_s: float,
    base_s: float = BASE_S,
    draw: Callable[[], float] = random.random,
) -> float | None:
    """Seconds until the next attempt after ``failed_attempts`` failures (1 or more), or None
    when the attempts are spent and the delivery is dead-lettered."""
    if failed_attempts >= max_attempts:
        return None
    ceiling = backoff_ceiling(failed_attempts - 1, base_s=base_s, cap_s=cap_s)
    return ceiling * (0.5 + 0.5 * draw())
