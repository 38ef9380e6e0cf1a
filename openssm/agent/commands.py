"""Run Command on the agent: invocations in, results out, exactly once per command id.

DESIGN §4. A command id is recorded in the ledger as started before its first step runs, so
an invocation delivered again (after a reconnect, or a server restart) is recognised:

- still running here: ignored, its result will come;
- finished: its stored result is sent again;
- started by an agent process that died before it finished: it is not run again; it ends
  Failed with a message saying so;
- suspended because a step asked for a reboot (exit 194 or 3010): it resumes, once, at the
  step the ledger recorded before the reboot, and its result holds every step's outcome. The
  invocation stays InProgress on the server all along: after the reboot the server delivers
  it again, as it does to any agent that reconnects with work in flight.

A result is written to the ledger's outbox before it is sent and forgotten only when the
server acknowledges it, so a lost connection or a restart never loses one. While the channel
is down, results wait in the outbox and go out on the next connection (``attach``). The whole
output waits in the spool as long (``command_output``): the server asks for what it lacks
(``output_wanted``) before it acknowledges the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path

import msgspec

from openssm.agent.command_output import CommandOutput, send_range
from openssm.agent.inventory.reporter import InventoryReporter
from openssm.agent.ledger import Ledger, ResumePoint
from openssm.agent.reboot import Reboot, RebootFailed
from openssm.agent.run.context import DocumentResolver, ResolvedDocument, RunContext
from openssm.agent.run.executor import run_plan
from openssm.agent.run.outcome import PlanOutcome, StepOutcome, plan_status, wire_status
from openssm.agent.spool import OutputSpool
from openssm.documents.actions import PlatformType
from openssm.documents.nested import NestedDocument, lookup_key
from openssm.documents.plan import Plan
from openssm.errors import OpenSSMError, ProtocolViolation
from openssm.protocol.frames import (
    CancelFrame,
    Frame,
    InvocationFrame,
    OutputWantedFrame,
    ResultAckFrame,
    ResultFrame,
    StepResult,
    decode,
    encode,
)
from openssm.statuses import INVOCATION_STATUS, InvocationDetail, InvocationStatus

log = logging.getLogger("openssm.agent.commands")

_NOT_STARTED = -1
Send = Callable[[Frame], Awaitable[None]]


def result_frame(command_id: str, outcome: PlanOutcome, output: CommandOutput) -> ResultFrame:
    steps: list[StepResult] = []
    for step in outcome.steps:
        status, details = wire_status(step.status)
        if step.message and step.message not in output.text(step.index)[1]:
            # Said by the agent rather than written to the stream: the stream gets it too, so
            # the whole output holds what the result shows.
            output.note(step.index, step.message)
        stdout, stderr = output.text(step.index)
        stdout_size, stderr_size = output.sizes(step.index)
        steps.append(
            StepResult(
                index=step.index,
                name=step.name,
                action=step.action,
                status=status.value,
                status_details=details,
                response_code=step.response_code,
                started_at=step.started_at,
                ended_at=step.ended_at,
                stdout=stdout,
                stderr=stderr,
                plugin_id=step.plugin_id,
                stdout_size=stdout_size,
                stderr_size=stderr_size,
            )
        )
    return ResultFrame(
        command_id=command_id,
        details=outcome.status_details.value,
        response_code=outcome.response_code,
        ended_at=time.time(),
        steps=steps,
    )


def failed_frame(command_id: str, details: InvocationDetail, message: str) -> ResultFrame:
    """The result of a command that never ran to its end here."""
    status = INVOCATION_STATUS[details]
    now = time.time()
    step = StepResult(
        index=0,
        name="agent",
        action="",
        status=status.value,
        status_details=details.value,
        response_code=_NOT_STARTED,
        started_at=None,
        ended_at=now,
        stdout="",
        stderr=message,
    )
    return ResultFrame(
        command_id=command_id,
        details=details.value,
        response_code=_NOT_STARTED,
        ended_at=now,
        steps=[step],
    )


def _resolver(documents: list[NestedDocument]) -> DocumentResolver:
    """Finds the documents the server rendered for the invocation's aws:runDocument steps."""
    table = {lookup_key(d.name, d.version, d.parameters): d for d in documents}

    async def resolve(
        name_or_arn: str, version: str | None, parameters: Mapping[str, Sequence[str]]
    ) -> ResolvedDocument:
        found = table.get(
            lookup_key(name_or_arn, version, {k: list(v) for k, v in parameters.items()})
        )
        if found is None:
            raise LookupError(
                f"the server did not render {name_or_arn} with these parameters for this command"
            )
        return ResolvedDocument(plan=found.plan, secrets=found.secrets)

    return resolve


async def _resumed_run(
    plan: Plan, context: RunContext, output: CommandOutput, resume: ResumePoint | None
) -> PlanOutcome:
    """Run the plan, or its rest after a reboot; the outcome covers every step run so far."""
    if resume is None:
        return await run_plan(plan, context, output)
    before = tuple(msgspec.json.decode(resume.steps, type=list[StepOutcome]))
    # The step that asked may run again (exit 194): its output goes on where it stopped.
    output.reload(range(resume.resume_at + 1))
    rest = await run_plan(plan, context, output, start_at=resume.resume_at)
    steps = before + rest.steps
    status, details = plan_status(steps)
    return PlanOutcome(status=status, status_details=details, steps=steps, reboot=rest.reboot)


class CommandRunner:
    """The agent's Run Command worker; the channel feeds it frames and lends it a sender."""

    def __init__(
        self,
        *,
        ledger: Ledger,
        instance_id: str,
        work_root: Path,
        spool: OutputSpool,
        platform: PlatformType = PlatformType.LINUX,
        reboot: Reboot | None = None,
        inventory: InventoryReporter | None = None,
        script_root: Path | None = None,
    ) -> None:
        self._ledger = ledger
        self._script_root = script_root
        self._reboot = reboot
        self._spool = spool
        self._instance_id = instance_id
        self._work_root = work_root
        self._platform = platform
        self._inventory = inventory
        self._send: Send | None = None
        self._stopping = False
        self._running: dict[str, tuple[asyncio.Task[None], asyncio.Event]] = {}

    # --- the channel's side --------------------------------------------------------------------

    async def attach(self, send: Send) -> None:
        """A channel is up: results that wait in the outbox go out first."""
        self._send = send
        if self._inventory is not None:
            self._inventory.attach(send)
        for pending in self._ledger.pending_results():
            await self._deliver_stored(pending.payload)

    def detach(self) -> None:
        self._send = None
        if self._inventory is not None:
            self._inventory.detach()

    async def handle(self, frame: Frame) -> bool:
        """Take a Run Command frame; False when ``frame`` is not one."""
        if isinstance(frame, InvocationFrame):
            await self._invocation(frame)
        elif isinstance(frame, CancelFrame):
            await self._cancel(frame.command_id)
        elif isinstance(frame, ResultAckFrame):
            self._ledger.ack_result(frame.command_id)
            with contextlib.suppress(ValueError):
                self._spool.remove(frame.command_id)
        elif isinstance(frame, OutputWantedFrame):
            await self._send_wanted(frame)
        elif self._inventory is not None and self._inventory.handle(frame):
            pass
        else:
            return False
        return True

    async def stop(self, grace_s: float = 5.0) -> None:
        """The agent is shutting down: stop what runs and record it as ended by the stop."""
        self._stopping = True
        for _, cancel in self._running.values():
            cancel.set()
        tasks = [task for task, _ in self._running.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace_s)

    # --- invocations ---------------------------------------------------------------------------

    async def _invocation(self, frame: InvocationFrame) -> None:
        command_id = frame.command_id
        if command_id in self._running:
            return
        resume = None
        if self._ledger.was_started(command_id):
            stored = self._ledger.stored_result(command_id)
            if stored is not None:
                await self._deliver_stored(stored)
                return
            resume = self._ledger.take_resume(command_id)
            if resume is None:
                await self._finish(
                    failed_frame(
                        command_id,
                        InvocationDetail.FAILED,
                        "The agent stopped while this command ran; it was not run again.",
                    )
                )
                return
            log.info("command %s resumes at step %d after a reboot", command_id, resume.resume_at)
        else:
            self._ledger.record_started(command_id)
        cancel = asyncio.Event()
        context = RunContext(
            instance_id=self._instance_id,
            region=frame.region,
            platform=self._platform,
            work_root=self._work_root,
            script_root=self._script_root,
            cancel=cancel,
            execution_timeout_s=float(frame.execution_timeout_s),
            secrets=tuple(frame.secrets),
            command_id=command_id,
            resolve_document=_resolver(frame.documents),
            may_reboot=self._reboot is not None,
            inventory=self._inventory,
        )
        task = asyncio.create_task(
            self._run(command_id, frame.plan, context, resume), name=f"run-{command_id}"
        )
        self._running[command_id] = (task, cancel)

    async def _run(
        self, command_id: str, plan: Plan, context: RunContext, resume: ResumePoint | None
    ) -> None:
        output = CommandOutput(command_id, self._spool, lambda: self._send)
        try:
            outcome = await _resumed_run(plan, context, output, resume)
            if outcome.reboot is not None:
                suspended = await self._suspend(command_id, outcome, output)
                if suspended is None:
                    return  # the host reboots; the command resumes in the next agent process
                frame = suspended
            elif self._stopping and outcome.status is InvocationStatus.CANCELLED:
                frame = failed_frame(
                    command_id,
                    InvocationDetail.FAILED,
                    "The agent stopped while this command ran; its processes were stopped.",
                )
            else:
                frame = result_frame(command_id, outcome, output)
        except (OpenSSMError, OSError) as exc:
            log.exception("command %s could not run", command_id)
            frame = failed_frame(command_id, InvocationDetail.FAILED, f"The agent failed: {exc}")
        finally:
            self._running.pop(command_id, None)
        await self._finish(frame)

    async def _suspend(
        self, command_id: str, outcome: PlanOutcome, output: CommandOutput
    ) -> ResultFrame | None:
        """A step asked for a reboot: record where the command resumes, durably, then reboot
        (unless the agent is stopping anyway). None while the reboot goes ahead; the failed
        result when the reboot command failed."""
        request = outcome.reboot
        assert request is not None
        # The resumed run reads the earlier steps' output back from the spool.
        output.persist()
        done = [step for step in outcome.steps if step.index < request.resume_at]
        self._ledger.record_resume(
            command_id, request.resume_at, msgspec.json.encode(done).decode()
        )
        log.warning(
            "command %s: step %s asked for a reboot; it resumes at step %d afterwards",
            command_id,
            request.step_name,
            request.resume_at,
        )
        if self._stopping:
            return None
        try:
            if self._reboot is None:
                raise RebootFailed("this agent has no reboot command")
            await self._reboot()
        except RebootFailed as exc:
            log.error("command %s: the host was not rebooted: %s", command_id, exc)
            self._ledger.take_resume(command_id)  # nothing will resume it now
            return failed_frame(
                command_id,
                InvocationDetail.FAILED,
                f"Step {request.step_name} asked for a reboot, which failed: {exc}",
            )
        return None

    async def _cancel(self, command_id: str) -> None:
        running = self._running.get(command_id)
        if running is not None:
            running[1].set()
            return
        if self._ledger.was_started(command_id):
            stored = self._ledger.stored_result(command_id)
            if stored is not None:
                await self._deliver_stored(stored)
            elif self._ledger.take_resume(command_id) is not None:
                await self._finish(
                    failed_frame(
                        command_id,
                        InvocationDetail.CANCELLED,
                        "Cancelled while it waited to resume after a reboot.",
                    )
                )
            return
        # Cancelled before it arrived: it must never run here afterwards.
        self._ledger.record_started(command_id)
        await self._finish(
            failed_frame(command_id, InvocationDetail.CANCELLED, "Cancelled before it started.")
        )

    async def _send_wanted(self, frame: OutputWantedFrame) -> None:
        """The server lacks part of a finished command's output: send it from the spool, then
        the result again. When the spool no longer has it, the result says so."""
        command_id = frame.command_id
        stored = self._ledger.stored_result(command_id)
        send = self._send
        if command_id in self._running or stored is None or send is None:
            return
        lost = False
        for wanted in frame.ranges:
            try:
                await send_range(
                    send, self._spool, command_id, wanted.step_index, wanted.stream, wanted.offset
                )
            except (FileNotFoundError, UnicodeDecodeError, ValueError):
                lost = True
        result = decode(stored)
        if not isinstance(result, ResultFrame):
            raise ProtocolViolation(f"the outbox holds a {result.TYPE} frame, not a result")
        if lost and not result.output_lost:
            log.warning("output of command %s asked for again is no longer here", command_id)
            result = msgspec.structs.replace(result, output_lost=True)
            self._ledger.put_result(command_id, encode(result))
        await self._deliver(result)

    # --- results -------------------------------------------------------------------------------

    async def _finish(self, frame: ResultFrame) -> None:
        self._ledger.put_result(frame.command_id, encode(frame))
        await self._deliver(frame)

    async def _deliver_stored(self, payload: str) -> None:
        frame = decode(payload)
        if not isinstance(frame, ResultFrame):
            raise ProtocolViolation(f"the outbox holds a {frame.TYPE} frame, not a result")
        await self._deliver(frame)

    async def _deliver(self, frame: ResultFrame) -> None:
        send = self._send
        if send is None:
            return  # waits in the outbox for the next connection
        with contextlib.suppress(OpenSSMError, OSError):
            await send(frame)
