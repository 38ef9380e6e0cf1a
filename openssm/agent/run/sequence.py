"""Which step runs next, and how a finished step is recorded. Pure: no I/O, no clock.

The rules, from AWS's plugin reference ("Shared inputs") and the Automation step
members openssm accepts in Command documents:

- Steps run in document order. A step whose ``precondition`` is false on this host is
  Skipped, and the document goes on.
- After a failed step (Failed, or TimedOut on its own ``timeoutSeconds``) the next step
  runs, unless ``onFailure`` is ``exit`` (the document stops; the step stays failed) or
  ``successAndExit`` (the document stops; the step shows Success).
- ``onSuccess: exit`` stops the document after the step succeeds; ``isEnd`` stops it
  after the step whatever its outcome.
- A step with ``finallyStep: true`` (always the last) still runs after such a stop.
  It does not run after a cancel or once the document's execution timeout has passed:
  the command was told to stop, or has no time left.
- ``maxAttempts`` runs a failed step again, up to that many attempts in all, while the
  command is neither cancelled nor out of time.
- A step that asks for a reboot stops the document where it is; the rest runs after the
  reboot, starting with that same step (exit 194) or the next one (exit 3010).
- Steps that never run after a stop show why: Skipped after an exit, Cancelled after a
  cancel, TimedOut after the document's timeout.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from openssm.agent.run.outcome import StepStatus
from openssm.documents.actions import PlatformType
from openssm.documents.plan import RenderedStep
from openssm.documents.values import OnFailure


class Stop(Enum):
    EXIT = "exit"
    CANCEL = "cancel"
    TIMEOUT = "timeout"
    REBOOT = "reboot"


_NOT_RUN = {
    Stop.EXIT: (StepStatus.SKIPPED, "not run: an earlier step ended the document"),
    Stop.CANCEL: (StepStatus.CANCELLED, "not run: the command was cancelled"),
    Stop.TIMEOUT: (StepStatus.TIMED_OUT, "not run: the document's execution timeout passed"),
    Stop.REBOOT: (StepStatus.SKIPPED, "not run yet: it runs after the reboot"),
}
_FAILED = frozenset({StepStatus.FAILED, StepStatus.TIMED_OUT})


@dataclass(frozen=True, slots=True)
class NotRun:
    """A step that will not run, and why (``skipped`` tells a precondition from a stop)."""

    status: StepStatus
    message: str
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class Recorded:
    """A finished step as it is reported, and the stop it causes (None: go on)."""

    status: StepStatus
    stop: Stop | None


def before_step(step: RenderedStep, stop: Stop | None, platform: PlatformType) -> NotRun | None:
    """None when ``step`` runs now; otherwise how it is reported instead."""
    if stop is not None and not (stop is Stop.EXIT and step.is_finally):
        status, message = _NOT_RUN[stop]
        return NotRun(status, message)
    reason = step.skip_reason(platform)
    if reason is not None:
        return NotRun(
            StepStatus.SKIPPED,
            f"Step execution skipped due to unsatisfied preconditions: {reason}. "
            f"Step name: {step.name}",
            skipped=True,
        )
    return None


def after_step(
    step: RenderedStep, status: StepStatus, *, reboot: bool, out_of_time: bool
) -> Recorded:
    """How a step that ran and ended ``status`` is reported, and whether the document stops.

    ``out_of_time``: the document's execution timeout has passed.
    """
    if reboot:
        return Recorded(status, Stop.REBOOT)
    if status is StepStatus.CANCELLED:
        return Recorded(status, Stop.CANCEL)
    if out_of_time:
        return Recorded(status, Stop.TIMEOUT)
    if status in _FAILED and step.on_failure is OnFailure.SUCCESS_AND_EXIT:
        return Recorded(StepStatus.SUCCESS, Stop.EXIT)
    if status in _FAILED and step.on_failure is OnFailure.EXIT:
        return Recorded(status, Stop.EXIT)
    if status is StepStatus.SUCCESS and step.exit_on_success:
        return Recorded(status, Stop.EXIT)
    return Recorded(status, Stop.EXIT if step.is_end else None)


def should_retry(
    step: RenderedStep, status: StepStatus, attempts: int, *, cancelled: bool, out_of_time: bool
) -> bool:
    """Run ``step`` once more after its ``attempts``-th attempt ended ``status``?"""
    return status in _FAILED and attempts < step.max_attempts and not cancelled and not out_of_time
