"""MaxConcurrency and MaxErrors: how many invocations may start now, and when to stop. Pure.

AWS's rules (SendCommand; ``shared/ssm-api.md`` §2.3):
- Each limit is a whole number or a percentage of the resolved targets. A percentage of
  MaxConcurrency rounds up and never falls below one target (10% of 5 targets is 1); a
  percentage of MaxErrors rounds down (10% of 50 is 5). AWS leaves the rounding unsaid;
  these are the readings that never stall a command and never allow more errors than asked.
- Once the error count passes MaxErrors (error N+1 for MaxErrors N; the first error for 0) no
  new invocation starts; those not yet started end Terminated, those running may finish.
- MaxConcurrency alone sets the pace: openssm starts as many as it allows at once, where AWS
  ramps up from one target (DESIGN: no artificial ramp-up).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_LIMIT = re.compile(r"^(?P<number>0|[1-9][0-9]*)(?P<percent>%?)$")


@dataclass(frozen=True, slots=True)
class Limit:
    """A limit as given: ``value`` targets, or ``value`` percent of them."""

    value: int
    is_percent: bool

    def __str__(self) -> str:
        return f"{self.value}%" if self.is_percent else str(self.value)


def parse_limit(text: str) -> Limit:
    """``"10"`` or ``"10%"``; ValueError for anything else (the API model refuses it first)."""
    match = _LIMIT.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a number or a percentage")
    value = int(match["number"])
    is_percent = bool(match["percent"])
    if is_percent and value > 100:
        raise ValueError(f"{text!r} is more than 100%")
    return Limit(value, is_percent)


def concurrency_for(limit: Limit, target_count: int) -> int:
    """How many invocations may run at once for ``target_count`` targets."""
    if not limit.is_percent:
        return limit.value
    if target_count == 0:
        return 0
    return max(1, math.ceil(limit.value * target_count / 100))


def errors_allowed(limit: Limit, target_count: int) -> int:
    """How many errors a command tolerates; one more stops it."""
    if not limit.is_percent:
        return limit.value
    return limit.value * target_count // 100


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """Where a command's invocations stand, as the dispatcher counts them."""

    waiting: int  # not started on any node yet (Pending, Delayed)
    running: int  # handed to a node, not finished
    error_count: int  # Failed + ExecutionTimedOut so far


@dataclass(frozen=True, slots=True)
class Decision:
    start: int  # how many waiting invocations to start now
    terminate_waiting: bool  # the error limit is passed: end every waiting one Terminated


def decide(progress: Progress, *, concurrency: int, errors: int) -> Decision:
    """What the dispatcher does next for one command."""
    if progress.error_count > errors:
        return Decision(start=0, terminate_waiting=progress.waiting > 0)
    room = max(0, concurrency - progress.running)
    return Decision(start=min(room, progress.waiting), terminate_waiting=False)
