"""Whole plans with real shells: step sequencing, retries, timeouts and aws:runDocument."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from openssm.agent.plugins import PLUGINS
from openssm.agent.plugins.base import PluginResult, StepEnv
from openssm.agent.run.context import ResolvedDocument
from openssm.agent.run.executor import remove_stale_runs
from openssm.agent.run.outcome import Reboot, StepOutcome, StepStatus
from openssm.documents.plan import RenderedStep
from openssm.statuses import InvocationDetail, InvocationStatus
from tests.integration.agent.support import (
    context,
    plan_of,
    run,
    shell_steps,
    static_resolver,
)

S = StepStatus


def _statuses(outcome_steps: tuple[StepOutcome, ...]) -> list[tuple[str, StepStatus]]:
    return [(s.name, s.status) for s in outcome_steps]


def test_on_failure_exit_stops_the_document_but_the_finally_step_runs(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "fails", "runCommand": "exit 2", "onFailure": "exit"},
        {"name": "never", "runCommand": "echo never"},
        {"name": "cleanup", "runCommand": "echo cleanup", "finallyStep": True},
    )
    outcome, sink = run(plan, context(tmp_path))
    assert _statuses(outcome.steps) == [
        ("fails", S.FAILED),
        ("never", S.SKIPPED),
        ("cleanup", S.SUCCESS),
    ]
    assert outcome.steps[1].message == "not run: an earlier step ended the document"
    assert sink.text() == "cleanup\n"
    assert outcome.status is InvocationStatus.FAILED


def test_success_and_exit_shows_the_failed_step_as_a_success(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "probe", "runCommand": "exit 1", "onFailure": "successAndExit"},
        {"name": "never", "runCommand": "echo never"},
    )
    outcome, sink = run(plan, context(tmp_path))
    assert _statuses(outcome.steps) == [("probe", S.SUCCESS), ("never", S.SKIPPED)]
    assert outcome.status is InvocationStatus.SUCCESS
    assert sink.text() == ""


def test_on_success_exit_and_a_failure_that_does_not_stop(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "fails", "runCommand": "exit 1"},
        {"name": "done", "runCommand": "echo done", "onSuccess": "exit"},
        {"name": "never", "runCommand": "echo never"},
    )
    outcome, sink = run(plan, context(tmp_path))
    assert _statuses(outcome.steps) == [
        ("fails", S.FAILED),
        ("done", S.SUCCESS),
        ("never", S.SKIPPED),
    ]
    assert sink.text() == "done\n"
    assert outcome.status is InvocationStatus.FAILED


def test_a_step_for_another_platform_is_skipped_and_says_so(tmp_path: Path) -> None:
    plan = shell_steps(
        {
            "name": "windows",
            "action": "aws:runPowerShellScript",
            "runCommand": "Write-Output no",
            "precondition": {"StringEquals": ["platformType", "Windows"]},
        },
        {
            "name": "linux",
            "runCommand": "echo yes",
            "precondition": {"StringEquals": ["platformType", "Linux"]},
        },
    )
    outcome, sink = run(plan, context(tmp_path))
    assert _statuses(outcome.steps) == [("windows", S.SKIPPED), ("linux", S.SUCCESS)]
    assert outcome.steps[0].response_code == 0
    assert sink.text(step_index=0).startswith(
        "Step execution skipped due to unsatisfied preconditions: precondition platformType"
    )
    assert sink.text(step_index=1) == "yes\n"
    assert outcome.status is InvocationStatus.SUCCESS


def test_max_attempts_runs_a_failed_step_again(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    plan = shell_steps(
        {
            "name": "flaky",
            "runCommand": [f"echo x >> {counter}", f'[ "$(wc -l < {counter})" -ge 2 ]'],
            "maxAttempts": 3,
        }
    )
    outcome, sink = run(plan, context(tmp_path))
    (step,) = outcome.steps
    assert (step.status, step.attempts) == (S.SUCCESS, 2)
    assert sink.text("stderr") == "attempt 1 of 3 ended Failed; trying again\n"


def test_a_non_critical_failure_does_not_fail_the_invocation(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "optional", "runCommand": "exit 1", "isCritical": False},
        {"name": "main", "runCommand": "true"},
    )
    outcome, _ = run(plan, context(tmp_path))
    assert _statuses(outcome.steps) == [("optional", S.FAILED), ("main", S.SUCCESS)]
    assert outcome.status is InvocationStatus.SUCCESS


def test_the_documents_execution_timeout_bounds_the_whole_plan(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "slow", "runCommand": "sleep 30"},
        {"name": "next", "runCommand": "echo next"},
        {"name": "final", "runCommand": "echo final", "finallyStep": True},
    )
    started = time.monotonic()
    outcome, sink = run(plan, context(tmp_path, execution_timeout_s=1.0))
    assert time.monotonic() - started < 10
    assert _statuses(outcome.steps) == [
        ("slow", S.TIMED_OUT),
        ("next", S.TIMED_OUT),
        ("final", S.TIMED_OUT),
    ]
    assert outcome.steps[0].message.startswith("the document's execution timeout passed")
    assert [s.response_code for s in outcome.steps] == [137, -1, -1]
    assert sink.text() == ""
    assert outcome.status_details is InvocationDetail.EXECUTION_TIMED_OUT


def test_an_action_the_agent_lacks_fails_its_step_by_name(tmp_path: Path) -> None:
    plan = plan_of(
        {
            "schemaVersion": "2.2",
            "mainSteps": [
                {
                    "action": "aws:downloadContent",
                    "name": "download",
                    "inputs": {"sourceType": "HTTP", "sourceInfo": "{}"},
                }
            ],
        }
    )
    outcome, sink = run(plan, context(tmp_path))
    (step,) = outcome.steps
    assert step.status is S.FAILED
    assert step.message == "openssm's agent cannot run aws:downloadContent steps yet"
    assert sink.text("stderr") == step.message + "\n"


def _nested(command: str, *, secrets: tuple[str, ...] = ()) -> ResolvedDocument:
    return ResolvedDocument(
        plan=shell_steps({"name": "inner", "runCommand": command}), secrets=secrets
    )


def _run_document_step(path: str, **inputs: object) -> dict[str, object]:
    return {
        "name": "outer",
        "action": "aws:runDocument",
        "documentType": "SSMDocument",
        "documentPath": path,
        **inputs,
    }


def test_run_document_runs_the_stored_document_inside_the_step(tmp_path: Path) -> None:
    calls: list[tuple[str, str | None, dict[str, list[str]]]] = []
    inner = _nested(
        "echo inner $AWS_SSM_INSTANCE_ID; echo nested-secret-1", secrets=("nested-secret-1",)
    )

    async def resolve(
        name: str, version: str | None, parameters: Mapping[str, Sequence[str]]
    ) -> ResolvedDocument:
        calls.append((name, version, {k: list(v) for k, v in parameters.items()}))
        return inner

    plan = shell_steps(
        {"name": "before", "runCommand": "echo before"},
        _run_document_step("Inner:2", documentParameters={"commands": ["a", "b"]}),
    )
    outcome, sink = run(plan, context(tmp_path, resolve_document=resolve))
    assert calls == [("Inner", "2", {"commands": ["a", "b"]})]
    assert _statuses(outcome.steps) == [("before", S.SUCCESS), ("outer", S.SUCCESS)]
    assert sink.text(step_index=1) == "inner mi-0123456789abcdef0\n***\n"
    assert {(i, name) for i, name, _, _ in sink.chunks} == {(0, "before"), (1, "outer")}
    assert outcome.steps[1].stdout_bytes == len("inner mi-0123456789abcdef0\nnested-secret-1\n")


def test_a_failing_nested_document_fails_the_step(tmp_path: Path) -> None:
    resolver = static_resolver({"Bad": _nested("exit 4")})
    plan = shell_steps(_run_document_step("Bad"))
    outcome, _ = run(plan, context(tmp_path, resolve_document=resolver))
    (step,) = outcome.steps
    assert (step.status, step.response_code) == (S.FAILED, 4)
    assert step.message == "document Bad ended Failed"


def test_a_document_that_cannot_be_fetched_fails_the_step_with_the_reason(tmp_path: Path) -> None:
    plan = shell_steps(_run_document_step("Missing"))
    outcome, sink = run(plan, context(tmp_path, resolve_document=static_resolver({})))
    (step,) = outcome.steps
    assert step.status is S.FAILED
    assert step.message == "cannot run document Missing: document Missing does not exist"
    assert sink.text("stderr") == step.message + "\n"


def test_a_document_that_runs_itself_stops_at_the_nesting_limit(tmp_path: Path) -> None:
    looping = ResolvedDocument(plan=shell_steps(_run_document_step("Loop")))
    plan = shell_steps(_run_document_step("Loop"))
    outcome, sink = run(
        plan, context(tmp_path, resolve_document=static_resolver({"Loop": looping}))
    )
    assert outcome.steps[0].status is S.FAILED
    assert "may nest documents 3 deep" in sink.text("stderr")


def test_a_nested_script_may_not_ask_for_a_reboot(tmp_path: Path) -> None:
    resolver = static_resolver({"Reboots": _nested("exit 194")})
    plan = shell_steps(_run_document_step("Reboots"))
    outcome, sink = run(plan, context(tmp_path, resolve_document=resolver))
    assert outcome.reboot is None
    assert (outcome.steps[0].status, outcome.steps[0].response_code) == (S.FAILED, 194)
    assert "which a document run by aws:runDocument may not do" in sink.text("stderr")


def test_a_plugin_that_raises_fails_its_step_and_masks_the_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "plugin-canary-9f2"

    async def broken(step: RenderedStep, env: StepEnv) -> PluginResult:
        raise ValueError(f"cannot use {secret}")

    plan = shell_steps({"name": "one", "runCommand": "true"}, {"name": "two", "runCommand": "true"})
    plugins = {**PLUGINS, "aws:runShellScript": broken}
    with caplog.at_level(logging.DEBUG):
        outcome, sink = run(plan, context(tmp_path, secrets=(secret,)), plugins=plugins)
    assert _statuses(outcome.steps) == [("one", S.FAILED), ("two", S.FAILED)]
    assert (
        outcome.steps[0].message
        == "the agent failed to run this step: ValueError('cannot use ***')"
    )
    assert secret not in sink.text("stderr")
    assert "ValueError" in caplog.text
    assert secret not in caplog.text


def test_stale_run_directories_are_removed(tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "run-abc123").mkdir(parents=True)
    (work / "run-abc123" / "0001").mkdir()
    (work / "run-abc123" / "0001" / "_script.sh").write_text("echo secret")
    (work / "other").mkdir()
    assert remove_stale_runs(work) == 1
    assert [p.name for p in work.iterdir()] == ["other"]
    assert remove_stale_runs(tmp_path / "absent") == 0


def test_a_step_asking_to_reboot_after_it_resumes_at_the_next_step(tmp_path: Path) -> None:
    # Exit 3010 reaches a Linux shell's parent as 194 (exit codes are 8-bit); a plugin that
    # reports the whole code shows where the plan goes on.
    async def reboot_after(step: RenderedStep, env: StepEnv) -> PluginResult:
        return PluginResult(status=S.SUCCESS, response_code=3010, reboot=Reboot.NEXT_STEP)

    plan = shell_steps({"name": "one", "runCommand": "true"}, {"name": "two", "runCommand": "true"})
    plugins = {**PLUGINS, "aws:runShellScript": reboot_after}
    outcome, _ = run(plan, context(tmp_path), plugins=plugins)
    assert outcome.reboot is not None
    assert (outcome.reboot.step_name, outcome.reboot.resume_at) == ("one", 1)
    assert [(s.name, s.response_code) for s in outcome.steps] == [("one", 3010)]


def test_a_reboot_request_fails_its_step_where_the_agent_may_not_reboot(tmp_path: Path) -> None:
    plan = shell_steps(
        {"name": "patch", "runCommand": "exit 194"}, {"name": "after", "runCommand": "true"}
    )
    outcome, sink = run(plan, context(tmp_path, may_reboot=False))
    assert outcome.reboot is None
    assert outcome.status is InvocationStatus.FAILED
    assert (outcome.steps[0].status, outcome.steps[0].response_code) == (S.FAILED, 194)
    assert "this agent does not reboot its host" in sink.text("stderr")
