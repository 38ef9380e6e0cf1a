"""What a plugin is given and what it hands back.

A plugin runs one step: ``await plugin(step, env)`` returns a PluginResult. It handles
its own deadline and the run's cancel event, and returns only once everything it
started has stopped. The executor decides what happens next (retries, onFailure, …).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from openssm.agent.run.context import ResolvedDocument, RunContext
from openssm.agent.run.outcome import (
    AGENT_FAILURE_RESPONSE_CODE,
    PlanOutcome,
    Reboot,
    StepStatus,
)
from openssm.agent.run.output import StepOutput
from openssm.documents.plan import RenderedStep


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginResult:
    """``message`` is already masked (``StepEnv.fail`` sees to it).

    ``reboot``: the step asks for a reboot, and says where the plan goes on after it.
    ``nested_*_bytes``: output written by the steps of a nested document, counted into this
    step's.
    """

    status: StepStatus
    response_code: int
    message: str = ""
    reboot: Reboot | None = None
    nested_stdout_bytes: int = 0
    nested_stderr_bytes: int = 0


class NestedRunner(Protocol):
    async def __call__(self, document: ResolvedDocument, env: StepEnv) -> PlanOutcome:
        """Run ``document``'s steps inside the step ``env`` belongs to."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StepEnv:
    """One attempt at one step.

    ``work_dir``: a private (0700) directory of its own, removed after the run.
    ``run_dir``: the run's directory, where a relative ``workingDirectory`` is looked up
    (``work_dir`` is in it, or is it when the run has this one step).
    ``script_path``: where to write a script file named so (in ``work_dir``, or in the
    agent's directory on a tmpfs); the executor removes it after the run.
    ``deadline``: ``time.monotonic()`` by which the step must have stopped (the step's
    ``timeoutSeconds`` and the document's execution timeout), None when unbounded.
    ``depth``: 0 for the plan sent, one more for each ``aws:runDocument`` around it.
    ``secrets``: what this step's output must mask (the run's and any nested document's).
    """

    context: RunContext
    output: StepOutput
    work_dir: Path
    run_dir: Path
    script_path: Callable[[str], Path]
    deadline: float | None
    depth: int
    secrets: tuple[str, ...]
    run_nested: NestedRunner

    async def fail(
        self, message: str, *, response_code: int = AGENT_FAILURE_RESPONSE_CODE
    ) -> PluginResult:
        """A Failed result whose ``message`` is also written to the step's stderr."""
        masked = await self.output.report(message)
        return PluginResult(status=StepStatus.FAILED, response_code=response_code, message=masked)


class Plugin(Protocol):
    async def __call__(self, step: RenderedStep, env: StepEnv) -> PluginResult: ...
