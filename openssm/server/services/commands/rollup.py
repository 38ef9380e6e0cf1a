"""A command's Status, StatusDetails and counts, rolled up from its invocations. Pure.

AWS's rules (``shared/ssm-api.md`` §2.3) and the choices openssm makes where AWS is silent:
- No targets: Success / NoInstancesInTag (a finished command that had nothing to do).
- Not every invocation finished: Cancelling once a cancel was asked; InProgress once any
  invocation left Pending; else Pending.
- Every invocation finished:
  - errors (Failed + ExecutionTimedOut) past MaxErrors: Failed / Failed;
  - a cancel was asked and some invocation ended Cancelled: Cancelled / Cancelled;
  - every invocation that reached its node succeeded, and at least one did: Success / Success
    (unreached nodes, Undeliverable, InvalidPlatform and AccessDenied, don't spoil it);
  - no node was reached: Failed, with AccessDenied when that was the reason on every node;
  - every reached invocation timed out the same way: TimedOut / DeliveryTimedOut or
    ExecutionTimedOut;
  - anything else: Failed / Incomplete. AWS names no Status for Incomplete; openssm says
    Failed, so a caller checking ``Status == "Success"`` never mistakes a partial run for a
    whole one, while StatusDetails tells it from a run that passed MaxErrors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from openssm.statuses import (
    ERROR_DETAILS,
    TERMINAL_DETAILS,
    UNREACHED_DETAILS,
    CommandDetail,
    CommandStatus,
    InvocationDetail,
)

_D = InvocationDetail


@dataclass(frozen=True, slots=True, kw_only=True)
class Rollup:
    status: CommandStatus
    detail: CommandDetail
    target_count: int
    completed_count: int
    error_count: int
    delivery_timed_out_count: int


def roll_up(
    details: Iterable[InvocationDetail], *, errors_allowed: int, cancel_requested: bool = False
) -> Rollup:
    """The command's status given every invocation's StatusDetails."""
    counts = Counter(details)
    target_count = sum(counts.values())
    completed = sum(n for detail, n in counts.items() if detail in TERMINAL_DETAILS)
    errors = sum(n for detail, n in counts.items() if detail in ERROR_DETAILS)
    status, detail = _status(
        counts, target_count, completed, errors, errors_allowed, cancel_requested
    )
    return Rollup(
        status=status,
        detail=detail,
        target_count=target_count,
        completed_count=completed,
        error_count=errors,
        delivery_timed_out_count=counts[_D.DELIVERY_TIMED_OUT],
    )


def _status(
    counts: Counter[InvocationDetail],
    target_count: int,
    completed: int,
    errors: int,
    errors_allowed: int,
    cancel_requested: bool,
) -> tuple[CommandStatus, CommandDetail]:
    if target_count == 0:
        return CommandStatus.SUCCESS, CommandDetail.NO_INSTANCES_IN_TAG
    if completed < target_count:
        if cancel_requested:
            return CommandStatus.CANCELLING, CommandDetail.CANCELLING
        if counts[_D.PENDING] == target_count:
            return CommandStatus.PENDING, CommandDetail.PENDING
        return CommandStatus.IN_PROGRESS, CommandDetail.IN_PROGRESS
    if errors > errors_allowed:
        return CommandStatus.FAILED, CommandDetail.FAILED
    if cancel_requested and counts[_D.CANCELLED]:
        return CommandStatus.CANCELLED, CommandDetail.CANCELLED
    reached = {detail: n for detail, n in counts.items() if detail not in UNREACHED_DETAILS}
    if not reached:
        if set(counts) == {_D.ACCESS_DENIED}:
            return CommandStatus.FAILED, CommandDetail.ACCESS_DENIED
        return CommandStatus.FAILED, CommandDetail.FAILED
    if set(reached) == {_D.SUCCESS}:
        return CommandStatus.SUCCESS, CommandDetail.SUCCESS
    if set(reached) == {_D.DELIVERY_TIMED_OUT}:
        return CommandStatus.TIMED_OUT, CommandDetail.DELIVERY_TIMED_OUT
    if set(reached) == {_D.EXECUTION_TIMED_OUT}:
        return CommandStatus.TIMED_OUT, CommandDetail.EXECUTION_TIMED_OUT
    return CommandStatus.FAILED, CommandDetail.INCOMPLETE
