"""Cancel and timeout stop a script's whole process tree, and are reported only once it is gone.

Each script records the pids of what it starts, including processes that leave its
process group and session (``setsid``) and orphans whose parent exited (a double fork),
then waits. The test checks every recorded pid after ``run_plan`` returns.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from openssm.agent.run.executor import run_plan
from openssm.agent.run.outcome import STOPPED_RESPONSE_CODE, StepStatus
from openssm.statuses import InvocationDetail, InvocationStatus
from tests.integration.agent.support import (
    Recorder,
    alive,
    context,
    kill_all,
    read_pids,
    run,
    shell_steps,
)


def _escaping_script(pids: Path) -> list[str]:
    return [
        f"echo $$ >> {pids}",
        # A child in its own session (and so its own process group).
        f"setsid sh -c 'echo $$ >> {pids}; exec sleep 300' &",
        # A double fork: the middle process exits, the grandchild is orphaned.
        f"sh -c 'sleep 300 & echo $! >> {pids}' ",
        # Both: an orphan in a session of its own, found by the marker in its environment.
        f"setsid sh -c 'sleep 300 & echo $! >> {pids}' ",
        # A plain child in the script's process group.
        f"sleep 300 & echo $! >> {pids}",
        "sleep 0.2",
        "echo ready",
        "wait",
    ]


@pytest.mark.parametrize("how", ["cancel", "timeout"])
def test_a_stop_kills_every_process_the_script_started(tmp_path: Path, how: str) -> None:
    pids = tmp_path / "pids"
    ctx = context(tmp_path)
    inputs = {"timeoutSeconds": "1"} if how == "timeout" else {}

    async def cancel_when_ready(text: str) -> None:
        if how == "cancel" and "ready" in text:
            ctx.cancel.set()

    plan = shell_steps({"name": "tree", "runCommand": _escaping_script(pids), **inputs})
    started = time.monotonic()
    try:
        outcome, sink = run(plan, ctx, Recorder(on_chunk=cancel_when_ready))
        recorded = read_pids(pids)
        assert len(recorded) == 5
        assert [pid for pid in recorded if alive(pid)] == []
    finally:
        kill_all(read_pids(pids))
    (step,) = outcome.steps
    assert step.response_code == STOPPED_RESPONSE_CODE
    assert sink.text("stderr") == step.message + "\n"
    if how == "cancel":
        assert step.status is StepStatus.CANCELLED
        assert step.message.startswith("the command was cancelled")
        assert outcome.status_details is InvocationDetail.CANCELLED
    else:
        assert time.monotonic() - started >= 1.0
        assert step.status is StepStatus.TIMED_OUT
        assert step.message.startswith("the script ran longer than its timeout of 1s")
        assert outcome.status_details is InvocationDetail.EXECUTION_TIMED_OUT


def test_processes_get_sigterm_first_and_a_trap_may_clean_up(tmp_path: Path) -> None:
    cleaned = tmp_path / "cleaned"
    plan = shell_steps(
        {
            "name": "trap",
            "runCommand": [
                f"trap 'echo cleaning; touch {cleaned}; exit 1' TERM",
                "sleep 300 & wait",
            ],
            "timeoutSeconds": 1,
        }
    )
    outcome, sink = run(plan, context(tmp_path))
    assert cleaned.exists()
    assert "cleaning\n" in sink.text()
    assert outcome.steps[0].status is StepStatus.TIMED_OUT


def test_what_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    plan = shell_steps(
        {
            "name": "stubborn",
            "runCommand": [
                f"sh -c 'trap \"\" TERM; echo $$ >> {pids}; while :; do sleep 0.1; done' &",
                "trap '' TERM",
                "wait",
            ],
            "timeoutSeconds": 1,
        }
    )
    started = time.monotonic()
    try:
        outcome, _ = run(plan, context(tmp_path, kill_grace_s=0.5))
        assert [pid for pid in read_pids(pids) if alive(pid)] == []
    finally:
        kill_all(read_pids(pids))
    assert time.monotonic() - started >= 1.5
    assert outcome.steps[0].status is StepStatus.TIMED_OUT


def test_a_cancel_before_the_plan_starts_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    ctx = context(tmp_path)
    ctx.cancel.set()
    plan = shell_steps(
        {"name": "one", "runCommand": f"touch {marker}"},
        {"name": "two", "runCommand": f"touch {marker}"},
    )
    outcome, sink = run(plan, ctx)
    assert not marker.exists()
    assert [(s.status, s.response_code, s.started_at) for s in outcome.steps] == [
        (StepStatus.CANCELLED, -1, None),
        (StepStatus.CANCELLED, -1, None),
    ]
    assert outcome.status is InvocationStatus.CANCELLED
    assert sink.chunks == []


def test_a_background_service_the_script_started_outlives_a_normal_exit(tmp_path: Path) -> None:
    """Starting a service is a legitimate script (``nohup server &``): the tree is only
    killed on a cancel or a timeout, never after the script exited by itself."""
    pids = tmp_path / "pids"
    plan = shell_steps(
        {
            "name": "service",
            "runCommand": f"nohup setsid sleep 300 > /dev/null 2>&1 & echo $! >> {pids}",
        }
    )
    try:
        outcome, _ = run(plan, context(tmp_path))
        (pid,) = read_pids(pids)
        assert alive(pid)
    finally:
        kill_all(read_pids(pids))
    assert outcome.status is InvocationStatus.SUCCESS


@pytest.mark.parametrize("drain", ["closed", "held open"])
def test_the_step_ends_with_its_script_even_if_a_child_holds_the_output_open(
    tmp_path: Path, drain: str
) -> None:
    pids = tmp_path / "pids"
    redirect = "> /dev/null 2>&1" if drain == "closed" else ""
    plan = shell_steps(
        {"name": "bg", "runCommand": [f"sleep 300 {redirect} & echo $! >> {pids}", "echo done"]}
    )
    started = time.monotonic()
    try:
        outcome, sink = run(plan, context(tmp_path))
    finally:
        kill_all(read_pids(pids))
    assert outcome.status is InvocationStatus.SUCCESS
    assert sink.text() == "done\n"
    assert time.monotonic() - started < 5


def test_an_agent_shutdown_mid_run_stops_the_tree_and_cleans_up(tmp_path: Path) -> None:
    """Cancelling the run_plan task itself (the agent stopping) leaves no process behind."""
    pids = tmp_path / "pids"
    ctx = context(tmp_path)

    async def shut_down_when_ready() -> None:
        ready = asyncio.Event()

        async def on_chunk(text: str) -> None:
            if "ready" in text:
                ready.set()

        task = asyncio.create_task(
            run_plan(
                shell_steps({"name": "tree", "runCommand": _escaping_script(pids)}),
                ctx,
                Recorder(on_chunk=on_chunk),
            )
        )
        await ready.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    try:
        asyncio.run(shut_down_when_ready())
        recorded = read_pids(pids)
        assert len(recorded) == 5
        assert [pid for pid in recorded if alive(pid)] == []
    finally:
        kill_all(read_pids(pids))
    assert list((tmp_path / "work").iterdir()) == []
