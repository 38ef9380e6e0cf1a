"""A plan's status from its steps' (the SSM agent's merge priority), and the wire forms."""

from __future__ import annotations

import pytest

from openssm.agent.run.outcome import (
    PlanOutcome,
    StepOutcome,
    StepStatus,
    merge_statuses,
    plan_status,
    wire_status,
)
from openssm.statuses import InvocationDetail, InvocationStatus

S = StepStatus
V = InvocationStatus
D = InvocationDetail


def _outcome(
    status: StepStatus, *, critical: bool = True, code: int = 0, ran: bool = True
) -> StepOutcome:
    return StepOutcome(
        index=0,
        name="s",
        action="aws:runShellScript",
        plugin_id="s",
        status=status,
        response_code=code,
        started_at=1.0 if ran else None,
        is_critical=critical,
    )


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([], S.SUCCESS),
        ([S.SKIPPED, S.SUCCESS], S.SUCCESS),
        ([S.SUCCESS, S.FAILED, S.SUCCESS], S.FAILED),
        ([S.FAILED, S.CANCELLED], S.CANCELLED),
        ([S.CANCELLED, S.TIMED_OUT, S.FAILED], S.TIMED_OUT),
        ([S.SKIPPED], S.SKIPPED),
    ],
)
def test_merge_takes_the_worst(statuses: list[StepStatus], expected: StepStatus) -> None:
    assert merge_statuses(statuses) is expected


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([_outcome(S.SUCCESS)], (V.SUCCESS, D.SUCCESS)),
        ([_outcome(S.SKIPPED), _outcome(S.SKIPPED)], (V.SUCCESS, D.SUCCESS)),
        ([_outcome(S.SUCCESS), _outcome(S.FAILED)], (V.FAILED, D.FAILED)),
        ([_outcome(S.TIMED_OUT)], (V.TIMED_OUT, D.EXECUTION_TIMED_OUT)),
        ([_outcome(S.CANCELLED), _outcome(S.CANCELLED)], (V.CANCELLED, D.CANCELLED)),
        # isCritical: false — its failure does not fail the invocation.
        ([_outcome(S.FAILED, critical=False), _outcome(S.SUCCESS)], (V.SUCCESS, D.SUCCESS)),
    ],
)
def test_plan_status(
    steps: list[StepOutcome], expected: tuple[InvocationStatus, InvocationDetail]
) -> None:
    assert plan_status(steps) == expected


def test_a_skipped_plugin_shows_success_with_details_skipped() -> None:
    assert wire_status(S.SKIPPED) == (V.SUCCESS, "Skipped")
    assert wire_status(S.TIMED_OUT) == (V.TIMED_OUT, "ExecutionTimedOut")


def test_the_invocations_response_code_is_the_last_run_steps() -> None:
    outcome = PlanOutcome(
        status=V.FAILED,
        status_details=D.FAILED,
        steps=(
            _outcome(S.FAILED, code=2),
            _outcome(S.SUCCESS, code=0),
            _outcome(S.SKIPPED, ran=False),
        ),
    )
    assert outcome.response_code == 0
    nothing_ran = PlanOutcome(
        status=V.CANCELLED, status_details=D.CANCELLED, steps=(_outcome(S.CANCELLED, ran=False),)
    )
    assert nothing_ran.response_code == -1
