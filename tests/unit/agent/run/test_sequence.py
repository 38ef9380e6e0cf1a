"""Step sequencing as AWS's plugin reference defines it ("Shared inputs": onFailure,
onSuccess, finallyStep), plus preconditions (schema 2.2) and the Automation-style step
members openssm accepts (isEnd, isCritical, maxAttempts)."""

from __future__ import annotations

from typing import Any

import pytest

from openssm.agent.run.outcome import StepStatus
from openssm.agent.run.sequence import Recorded, Stop, after_step, before_step, should_retry
from openssm.documents.actions import PlatformType
from openssm.documents.plan import RenderedStep
from openssm.documents.values import OnFailure, Precondition

S = StepStatus
LINUX = PlatformType.LINUX


def _step(**fields: Any) -> RenderedStep:
    return RenderedStep(name="s", action="aws:runShellScript", plugin_id="s", **fields)


@pytest.mark.parametrize(
    ("fields", "status", "expected"),
    [
        # A failed step does not stop the document unless onFailure says so.
        ({}, S.FAILED, Recorded(S.FAILED, None)),
        ({}, S.TIMED_OUT, Recorded(S.TIMED_OUT, None)),
        ({}, S.SUCCESS, Recorded(S.SUCCESS, None)),
        # onFailure: exit — "the step status reflects the failure" and the document stops.
        ({"on_failure": OnFailure.EXIT}, S.FAILED, Recorded(S.FAILED, Stop.EXIT)),
        ({"on_failure": OnFailure.EXIT}, S.TIMED_OUT, Recorded(S.TIMED_OUT, Stop.EXIT)),
        ({"on_failure": OnFailure.EXIT}, S.SUCCESS, Recorded(S.SUCCESS, None)),
        # onFailure: successAndExit — "the step status shows successful" and it stops.
        (
            {"on_failure": OnFailure.SUCCESS_AND_EXIT},
            S.FAILED,
            Recorded(S.SUCCESS, Stop.EXIT),
        ),
        ({"on_failure": OnFailure.SUCCESS_AND_EXIT}, S.SUCCESS, Recorded(S.SUCCESS, None)),
        # onSuccess: exit — stops after a success only.
        ({"exit_on_success": True}, S.SUCCESS, Recorded(S.SUCCESS, Stop.EXIT)),
        ({"exit_on_success": True}, S.FAILED, Recorded(S.FAILED, None)),
        # isEnd stops whatever the outcome.
        ({"is_end": True}, S.SUCCESS, Recorded(S.SUCCESS, Stop.EXIT)),
        ({"is_end": True}, S.FAILED, Recorded(S.FAILED, Stop.EXIT)),
        # A cancelled step stops everything, onFailure or not.
        (
            {"on_failure": OnFailure.SUCCESS_AND_EXIT},
            S.CANCELLED,
            Recorded(S.CANCELLED, Stop.CANCEL),
        ),
    ],
)
def test_after_step(fields: dict[str, Any], status: StepStatus, expected: Recorded) -> None:
    assert after_step(_step(**fields), status, reboot=False, out_of_time=False) == expected


def test_the_documents_timeout_stops_the_document_even_after_a_success() -> None:
    recorded = after_step(_step(), S.SUCCESS, reboot=False, out_of_time=True)
    assert recorded == Recorded(S.SUCCESS, Stop.TIMEOUT)
    recorded = after_step(
        _step(on_failure=OnFailure.SUCCESS_AND_EXIT), S.TIMED_OUT, reboot=False, out_of_time=True
    )
    assert recorded == Recorded(S.TIMED_OUT, Stop.TIMEOUT)


def test_a_reboot_request_suspends_the_document_at_that_step() -> None:
    recorded = after_step(_step(exit_on_success=True), S.SUCCESS, reboot=True, out_of_time=False)
    assert recorded == Recorded(S.SUCCESS, Stop.REBOOT)


def test_a_step_runs_when_nothing_stopped_the_document_and_its_precondition_holds() -> None:
    assert before_step(_step(), None, LINUX) is None
    linux_only = Precondition(expected="Linux", platform_type=PlatformType.LINUX)
    assert before_step(_step(precondition=linux_only), None, LINUX) is None


def test_a_step_for_another_platform_is_skipped_with_awss_words() -> None:
    windows_only = Precondition(expected="Windows", platform_type=PlatformType.WINDOWS)
    not_run = before_step(_step(precondition=windows_only), None, LINUX)
    assert not_run is not None
    assert not_run.status is S.SKIPPED
    assert not_run.skipped
    assert not_run.message.startswith("Step execution skipped due to unsatisfied preconditions")
    assert "Step name: s" in not_run.message


def test_a_false_parameter_precondition_skips_the_step() -> None:
    on_ubuntu = Precondition(expected="ubuntu", parameter="os")
    not_run = before_step(_step(precondition=on_ubuntu, precondition_met=False), None, LINUX)
    assert not_run is not None
    assert not_run.status is S.SKIPPED


@pytest.mark.parametrize(
    ("stop", "status"),
    [(Stop.EXIT, S.SKIPPED), (Stop.CANCEL, S.CANCELLED), (Stop.TIMEOUT, S.TIMED_OUT)],
)
def test_steps_after_a_stop_do_not_run_and_say_why(stop: Stop, status: StepStatus) -> None:
    not_run = before_step(_step(), stop, LINUX)
    assert not_run is not None
    assert not_run.status is status
    assert not not_run.skipped
    assert not_run.message.startswith("not run")


def test_a_finally_step_runs_after_an_exit_but_not_after_a_cancel_or_the_timeout() -> None:
    final = _step(is_finally=True)
    assert before_step(final, Stop.EXIT, LINUX) is None
    assert before_step(final, Stop.CANCEL, LINUX) is not None
    assert before_step(final, Stop.TIMEOUT, LINUX) is not None


def test_a_finally_step_still_obeys_its_precondition() -> None:
    windows_only = Precondition(expected="Windows", platform_type=PlatformType.WINDOWS)
    final = _step(is_finally=True, precondition=windows_only)
    not_run = before_step(final, Stop.EXIT, LINUX)
    assert not_run is not None
    assert not_run.skipped


@pytest.mark.parametrize(
    ("status", "attempts", "cancelled", "out_of_time", "expected"),
    [
        (S.FAILED, 1, False, False, True),
        (S.TIMED_OUT, 2, False, False, True),
        (S.FAILED, 3, False, False, False),  # maxAttempts 3 used up
        (S.SUCCESS, 1, False, False, False),
        (S.CANCELLED, 1, False, False, False),
        (S.FAILED, 1, True, False, False),
        (S.FAILED, 1, False, True, False),
    ],
)
def test_retries(
    status: StepStatus, attempts: int, cancelled: bool, out_of_time: bool, expected: bool
) -> None:
    step = _step(max_attempts=3)
    assert (
        should_retry(step, status, attempts, cancelled=cancelled, out_of_time=out_of_time)
        is expected
    )


def test_one_attempt_by_default() -> None:
    assert not should_retry(_step(), S.FAILED, 1, cancelled=False, out_of_time=False)
