"""A command's status from its invocations (shared/ssm-api.md §2.3 "Command (parent) status
rules"; the choices where AWS is silent are in the rollup module's docstring)."""

from __future__ import annotations

import pytest

from openssm.server.services.commands.rollup import roll_up
from openssm.statuses import (
    INVOCATION_STATUS,
    CommandDetail,
    CommandStatus,
    InvocationDetail,
    InvocationStatus,
    is_terminal,
)

D = InvocationDetail
S = CommandStatus
C = CommandDetail


@pytest.mark.parametrize(
    ("details", "errors_allowed", "cancel", "status", "detail"),
    [
        ([], 0, False, S.SUCCESS, C.NO_INSTANCES_IN_TAG),
        ([D.PENDING, D.PENDING], 0, False, S.PENDING, C.PENDING),
        ([D.PENDING, D.IN_PROGRESS], 0, False, S.IN_PROGRESS, C.IN_PROGRESS),
        ([D.DELAYED, D.SUCCESS], 0, False, S.IN_PROGRESS, C.IN_PROGRESS),
        ([D.SUCCESS, D.SUCCESS], 0, False, S.SUCCESS, C.SUCCESS),
        # AWS: 4 Undeliverable + 1 Success is a Success; all unreached is a failure.
        ([D.UNDELIVERABLE] * 4 + [D.SUCCESS], 0, False, S.SUCCESS, C.SUCCESS),
        ([D.UNDELIVERABLE, D.INVALID_PLATFORM], 0, False, S.FAILED, C.FAILED),
        ([D.ACCESS_DENIED, D.ACCESS_DENIED], 0, False, S.FAILED, C.ACCESS_DENIED),
        # Past MaxErrors: Failed, the untouched rest Terminated.
        ([D.FAILED, D.TERMINATED, D.TERMINATED], 0, False, S.FAILED, C.FAILED),
        ([D.FAILED, D.EXECUTION_TIMED_OUT, D.SUCCESS], 1, False, S.FAILED, C.FAILED),
        # Within MaxErrors but not all succeeded: Incomplete (openssm's Status: Failed).
        ([D.FAILED, D.SUCCESS, D.SUCCESS], 1, False, S.FAILED, C.INCOMPLETE),
        ([D.DELIVERY_TIMED_OUT, D.SUCCESS], 0, False, S.FAILED, C.INCOMPLETE),
        ([D.DELIVERY_TIMED_OUT, D.DELIVERY_TIMED_OUT], 0, False, S.TIMED_OUT, C.DELIVERY_TIMED_OUT),
        ([D.EXECUTION_TIMED_OUT], 1, False, S.TIMED_OUT, C.EXECUTION_TIMED_OUT),
        ([D.EXECUTION_TIMED_OUT], 0, False, S.FAILED, C.FAILED),
        # CancelCommand: Cancelling until every invocation has ended, then Cancelled.
        ([D.CANCELLING, D.SUCCESS], 0, True, S.CANCELLING, C.CANCELLING),
        ([D.CANCELLED, D.SUCCESS], 0, True, S.CANCELLED, C.CANCELLED),
        # A cancel that came too late to stop anything leaves the command's own outcome.
        ([D.SUCCESS, D.SUCCESS], 0, True, S.SUCCESS, C.SUCCESS),
    ],
)
def test_roll_up_status(
    details: list[InvocationDetail],
    errors_allowed: int,
    cancel: bool,
    status: CommandStatus,
    detail: CommandDetail,
) -> None:
    rolled = roll_up(details, errors_allowed=errors_allowed, cancel_requested=cancel)
    assert (rolled.status, rolled.detail) == (status, detail)


def test_roll_up_counts_as_aws_defines_them() -> None:
    """CompletedCount: invocations in a terminal state; ErrorCount: Failed + ExecutionTimedOut;
    DeliveryTimedOutCount: DeliveryTimedOut."""
    rolled = roll_up(
        [
            D.SUCCESS,
            D.FAILED,
            D.EXECUTION_TIMED_OUT,
            D.DELIVERY_TIMED_OUT,
            D.UNDELIVERABLE,
            D.TERMINATED,
            D.CANCELLED,
            D.IN_PROGRESS,
            D.PENDING,
        ],
        errors_allowed=5,
    )
    assert rolled.target_count == 9
    assert rolled.completed_count == 7
    assert rolled.error_count == 2
    assert rolled.delivery_timed_out_count == 1


def test_every_detail_has_a_status_and_the_terminal_ones_are_final() -> None:
    assert set(INVOCATION_STATUS) == set(InvocationDetail)
    live = {d for d in InvocationDetail if not is_terminal(d)}
    assert live == {D.PENDING, D.IN_PROGRESS, D.DELAYED, D.CANCELLING}
    assert INVOCATION_STATUS[D.EXECUTION_TIMED_OUT] is InvocationStatus.TIMED_OUT
    assert INVOCATION_STATUS[D.UNDELIVERABLE] is InvocationStatus.FAILED
