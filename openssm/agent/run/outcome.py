"""What running a Plan produced: one StepOutcome per step, and the plan's overall status. Pure.

A step's ``StepStatus`` is the agent's own word for it. ``wire_status`` turns it into the
``Status``/``StatusDetails`` pair a CommandPlugin shows through the API; AWS's plugin
status enum has no Skipped, so a skipped step shows Success with StatusDetails Skipped.

The plan's status merges the statuses of its critical steps with the priority the SSM
agent uses (Skipped < Success < Failed < Cancelled < TimedOut): the worst one wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum, StrEnum

from openssm.statuses import InvocationDetail, InvocationStatus

# ResponseCode AWS's Linux agent reports for a script it stopped (timeout or cancel): the
# shell's code for death by SIGKILL, 128 + 9.
STOPPED_RESPONSE_CODE = 137
# ResponseCode of a step that never started (AWS: -1 when the command never ran).
NOT_STARTED_RESPONSE_CODE = -1
# ResponseCode when the agent itself could not run the step (no interpreter, bad input).
AGENT_FAILURE_RESPONSE_CODE = 1


class StepStatus(StrEnum):
    SUCCESS = "Success"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CANCELLED = "Cancelled"
    SKIPPED = "Skipped"


_PRIORITY = {
    StepStatus.SKIPPED: 0,
    StepStatus.SUCCESS: 1,
    StepStatus.FAILED: 2,
    StepStatus.CANCELLED: 3,
    StepStatus.TIMED_OUT: 4,
}


def wire_status(status: StepStatus) -> tuple[InvocationStatus, str]:
    """(Status, StatusDetails) for a CommandPlugin in this status."""
    if status is StepStatus.SKIPPED:
        return InvocationStatus.SUCCESS, "Skipped"
    wire, detail = _PLAN_WIRE[status]
    return wire, detail.value


def merge_statuses(statuses: Iterable[StepStatus]) -> StepStatus:
    """The worst of ``statuses`` by the SSM agent's priority; Success when there are none."""
    return max(statuses, key=_PRIORITY.__getitem__, default=StepStatus.SUCCESS)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepOutcome:
    """How one step ended. Times are epoch seconds; None for a step that never started.

    ``message`` says why a step did not succeed in the agent's words (also written to the
    step's stderr), with every secret masked; empty for a script that ran and exited.
    """

    index: int
    name: str
    action: str
    plugin_id: str
    status: StepStatus
    response_code: int
    message: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    attempts: int = 0
    is_critical: bool = True


class Reboot(Enum):
    """When the plan goes on after a reboot that a step asked for (AWS's exit codes)."""

    RERUN_STEP = "rerun"  # exit 194: reboot now, then run the step that asked again
    NEXT_STEP = "next"  # exit 3010: the step is done; reboot, then go on with the next one


@dataclass(frozen=True, slots=True, kw_only=True)
class RebootRequest:
    """A step asked for a reboot: the host should reboot, then the plan resumes.

    ``resume_at`` is the index of the step to start from after the reboot: the step that
    asked (exit 194: AWS runs its script again, and such scripts check what is already done
    and exit 0 once nothing is left), or the one after it (exit 3010).
    """

    step_index: int
    step_name: str
    resume_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanOutcome:
    """The result of ``run_plan``.

    ``steps`` holds the steps from ``start_at`` on, in plan order. With ``reboot`` set the
    plan is suspended, not finished: the steps after the one that asked have no outcome
    yet, and ``status`` covers only what ran so far.
    """

    status: InvocationStatus
    status_details: InvocationDetail
    steps: tuple[StepOutcome, ...]
    reboot: RebootRequest | None = None

    @property
    def response_code(self) -> int:
        """The invocation's ResponseCode: that of the last step that ran (AWS shows the
        plugin's code for one-step documents), -1 when none ran."""
        ran = [s for s in self.steps if s.started_at is not None]
        return ran[-1].response_code if ran else NOT_STARTED_RESPONSE_CODE


def plan_status(steps: Iterable[StepOutcome]) -> tuple[InvocationStatus, InvocationDetail]:
    """Status and StatusDetails of an invocation whose steps ended as ``steps``.

    Only critical steps count (``isCritical: false`` steps may fail without failing the
    invocation). Skipped steps read as Success: a plan whose every step was skipped by
    its precondition ran as asked.
    """
    merged = merge_statuses(s.status for s in steps if s.is_critical)
    return _PLAN_WIRE[merged]


_PLAN_WIRE: dict[StepStatus, tuple[InvocationStatus, InvocationDetail]] = {
    StepStatus.SKIPPED: (InvocationStatus.SUCCESS, InvocationDetail.SUCCESS),
    StepStatus.SUCCESS: (InvocationStatus.SUCCESS, InvocationDetail.SUCCESS),
    StepStatus.FAILED: (InvocationStatus.FAILED, InvocationDetail.FAILED),
    StepStatus.CANCELLED: (InvocationStatus.CANCELLED, InvocationDetail.CANCELLED),
    StepStatus.TIMED_OUT: (InvocationStatus.TIMED_OUT, InvocationDetail.EXECUTION_TIMED_OUT),
}
