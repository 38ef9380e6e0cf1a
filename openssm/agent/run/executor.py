"""``run_plan``: run a Plan's steps on this host and say how each ended.

The lead's channel code calls::

    outcome = await run_plan(plan, context, sink)              # a new invocation
    outcome = await run_plan(plan, context, sink, start_at=i)  # after a reboot

Each run gets its own private directory under ``context.work_root``, and each step attempt
a directory in it (its default working directory), except in a run of one step attempted
once without a nested document, the common case, whose step has the run's directory itself
(a directory fewer to make and remove; a relative ``workingDirectory`` is looked up in the
run's directory either way). Scripts live in those directories, or in
``context.script_root`` when the agent has one (a tmpfs: ``script_root``). All of it is
removed when the run ends, after every process it started is gone; an agent that died
mid-run leaves its directory behind for ``remove_stale_runs`` at the next start. Steps run
one after another (``sequence`` decides which), each by the plugin for its action; a
plugin that raises fails its step with the error in the step's stderr rather than
ending the run. Nested documents (aws:runDocument) run through the same loop, their
output in the outer step's.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import secrets
import shutil
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openssm.agent.plugins import PLUGINS
from openssm.agent.plugins.base import Plugin, PluginResult, StepEnv
from openssm.agent.run.context import OutputSink, ResolvedDocument, RunContext
from openssm.agent.run.outcome import (
    NOT_STARTED_RESPONSE_CODE,
    PlanOutcome,
    Reboot,
    RebootRequest,
    StepOutcome,
    StepStatus,
    plan_status,
)
from openssm.agent.run.output import StepOutput
from openssm.agent.run.sequence import Stop, after_step, before_step, should_retry
from openssm.documents.nested import RUN_DOCUMENT
from openssm.documents.plan import Plan, RenderedStep
from openssm.files import ensure_private_dir

log = logging.getLogger("openssm.agent.run")

RUN_DIR_PREFIX = "run-"


async def run_plan(
    plan: Plan,
    context: RunContext,
    sink: OutputSink,
    *,
    start_at: int = 0,
    plugins: Mapping[str, Plugin] = PLUGINS,
) -> PlanOutcome:
    """Run ``plan``'s steps from ``start_at`` on, each by ``plugins[step.action]``."""
    ensure_private_dir(context.work_root)
    rest = plan.steps[start_at:]
    one_directory = len(rest) == 1 and rest[0].max_attempts <= 1 and rest[0].action != RUN_DOCUMENT
    runner = _Runner(context, sink, _make_run_dir(context.work_root), plugins, one_directory)
    try:
        deadline = None
        if context.execution_timeout_s is not None:
            deadline = time.monotonic() + context.execution_timeout_s
        return await runner.run(
            plan, secrets=context.secrets, depth=0, deadline=deadline, start_at=start_at
        )
    finally:
        runner.remove()


def _make_run_dir(work_root: Path) -> Path:
    """A new private directory under ``work_root`` (``tempfile.mkdtemp``'s checks and name
    sequence cost more than the mkdir itself)."""
    while True:
        path = work_root / f"{RUN_DIR_PREFIX}{secrets.token_hex(6)}"
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return path


def remove_stale_runs(work_root: Path) -> int:
    """Delete run directories left by an agent that died mid-run (their scripts may hold
    secrets); call it at start-up, before any run. Returns how many were removed."""
    if not work_root.is_dir():
        return 0
    stale = [path for path in work_root.glob(f"{RUN_DIR_PREFIX}*") if path.is_dir()]
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    return len(stale)


@dataclass(frozen=True, slots=True)
class _Target:
    """Where a step's output goes: its own index and name, or those of the
    aws:runDocument step it runs inside."""

    index: int
    name: str


class _Runner:
    def __init__(
        self,
        context: RunContext,
        sink: OutputSink,
        run_dir: Path,
        plugins: Mapping[str, Plugin],
        one_directory: bool = False,
    ) -> None:
        self._context = context
        # The run's directory is its one step's: it is handed out once, as that step's.
        self._run_dir_free = one_directory
        self._plugins = plugins
        self._sink = sink
        self._run_dir = run_dir
        self._dirs = 0
        self._scripts: list[Path] = []

    def remove(self) -> None:
        """Remove the run's scripts and directories. Most scripts leave nothing behind, so
        unlinking what the run made costs less than walking it (``rmtree``), which is kept
        for directories a script wrote to."""
        for script in self._scripts:
            with contextlib.suppress(OSError):
                script.unlink()
        try:
            for number in range(self._dirs, 0, -1):
                (self._run_dir / f"{number:04d}").rmdir()
            self._run_dir.rmdir()
        except OSError:
            shutil.rmtree(self._run_dir, ignore_errors=True)

    def _script_path(self, work_dir: Path, name: str) -> Path:
        """Where the step whose directory is ``work_dir`` writes its script ``name``."""
        root = self._context.script_root
        if root is None:
            path = work_dir / name
        else:
            # Named after the run and the step's directory; a one-step run's is the run's own.
            owner = self._run_dir.name
            if work_dir != self._run_dir:
                owner = f"{owner}-{work_dir.name}"
            path = root / f"{owner}-{name}"
        self._scripts.append(path)
        return path

    async def run(
        self,
        plan: Plan,
        *,
        secrets: tuple[str, ...],
        depth: int,
        deadline: float | None,
        start_at: int = 0,
        target: _Target | None = None,
    ) -> PlanOutcome:
        outcomes: list[StepOutcome] = []
        stop: Stop | None = None
        reboot: RebootRequest | None = None
        for index in range(start_at, len(plan.steps)):
            step = plan.steps[index]
            if stop is Stop.REBOOT:
                break
            # A cancel or the timeout outranks an exit: they also stop a finallyStep.
            if stop in (None, Stop.EXIT):
                if self._context.cancel.is_set():
                    stop = Stop.CANCEL
                elif deadline is not None and time.monotonic() >= deadline:
                    stop = Stop.TIMEOUT
            where = target or _Target(index, step.name)
            not_run = before_step(step, stop, self._context.platform)
            if not_run is not None:
                said = await self._say(where, secrets, not_run.message) if not_run.skipped else 0
                outcomes.append(_not_run(index, step, not_run.status, not_run.message, said))
                continue
            outcome, step_stop, asked = await self._run_step(
                index, step, where, secrets=secrets, depth=depth, deadline=deadline
            )
            outcomes.append(outcome)
            if step_stop is Stop.REBOOT:
                resume_at = index if asked is Reboot.RERUN_STEP else index + 1
                reboot = RebootRequest(step_index=index, step_name=step.name, resume_at=resume_at)
            stop = stop or step_stop
        status, details = plan_status(outcomes)
        return PlanOutcome(
            status=status, status_details=details, steps=tuple(outcomes), reboot=reboot
        )

    async def _run_step(
        self,
        index: int,
        step: RenderedStep,
        where: _Target,
        *,
        secrets: tuple[str, ...],
        depth: int,
        deadline: float | None,
    ) -> tuple[StepOutcome, Stop | None, Reboot | None]:
        output = StepOutput(
            self._sink, step_index=where.index, step_name=where.name, secrets=secrets
        )
        started_at = time.time()
        attempts = 0
        while True:
            attempts += 1
            step_deadline = deadline
            if step.timeout_s is not None:
                own = time.monotonic() + step.timeout_s
                step_deadline = own if deadline is None else min(own, deadline)
            work_dir = self._new_dir()
            env = StepEnv(
                context=self._context,
                output=output,
                work_dir=work_dir,
                run_dir=self._run_dir,
                script_path=functools.partial(self._script_path, work_dir),
                deadline=step_deadline,
                depth=depth,
                secrets=secrets,
                run_nested=self._run_nested,
            )
            result = await self._attempt(step, env)
            out_of_time = deadline is not None and time.monotonic() >= deadline
            cancelled = self._context.cancel.is_set()
            if not should_retry(
                step, result.status, attempts, cancelled=cancelled, out_of_time=out_of_time
            ):
                break
            await output.report(
                f"attempt {attempts} of {step.max_attempts} ended {result.status}; trying again"
            )
        await output.close()
        recorded = after_step(
            step, result.status, reboot=result.reboot is not None, out_of_time=out_of_time
        )
        outcome = _outcome(
            index,
            step,
            recorded.status,
            response_code=result.response_code,
            message=result.message,
            started_at=started_at,
            ended_at=time.time(),
            stdout_bytes=output.stdout.bytes_seen + result.nested_stdout_bytes,
            stderr_bytes=output.stderr.bytes_seen + result.nested_stderr_bytes,
            attempts=attempts,
        )
        return outcome, recorded.stop, result.reboot

    async def _attempt(self, step: RenderedStep, env: StepEnv) -> PluginResult:
        plugin = self._plugins.get(step.action)
        if plugin is None:
            return await env.fail(f"openssm's agent cannot run {step.action} steps yet")
        try:
            return await plugin(step, env)
        except Exception as exc:  # noqa: BLE001 - the step runner (STYLE 3.4): the step fails
            # The error's text may quote an input, so it is masked; the traceback's frames
            # (files, lines, code) hold no values.
            masked = env.output.mask(repr(exc))
            where = "".join(traceback.format_tb(exc.__traceback__))
            log.error(
                "step %s (%s) failed in the agent: %s\n%s", step.name, step.action, masked, where
            )
            return await env.fail(f"the agent failed to run this step: {masked}")

    async def _run_nested(self, document: ResolvedDocument, env: StepEnv) -> PlanOutcome:
        outer = env.output
        return await self.run(
            document.plan,
            secrets=env.secrets + document.secrets,
            depth=env.depth + 1,
            deadline=env.deadline,
            target=_Target(outer.step_index, outer.step_name),
        )

    async def _say(self, where: _Target, secrets: tuple[str, ...], message: str) -> int:
        """Write ``message`` to the step's stdout; the number of bytes written."""
        output = StepOutput(
            self._sink, step_index=where.index, step_name=where.name, secrets=secrets
        )
        await output.stdout.write_text(output.mask(message) + "\n")
        await output.close()
        return output.stdout.bytes_seen

    def _new_dir(self) -> Path:
        if self._run_dir_free:
            self._run_dir_free = False
            return self._run_dir
        self._dirs += 1
        path = self._run_dir / f"{self._dirs:04d}"
        path.mkdir(mode=0o700)
        return path


def _not_run(
    index: int, step: RenderedStep, status: StepStatus, message: str, stdout_bytes: int
) -> StepOutcome:
    code = 0 if status is StepStatus.SKIPPED else NOT_STARTED_RESPONSE_CODE
    return _outcome(
        index, step, status, response_code=code, message=message, stdout_bytes=stdout_bytes
    )


def _outcome(index: int, step: RenderedStep, status: StepStatus, **results: Any) -> StepOutcome:
    return StepOutcome(
        index=index,
        name=step.name,
        action=step.action,
        plugin_id=step.plugin_id,
        status=status,
        is_critical=step.is_critical,
        **results,
    )
