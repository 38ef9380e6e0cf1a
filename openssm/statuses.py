"""Run Command's statuses with AWS's wire values, shared by the server and the agent. Pure.

An invocation's ``StatusDetails`` is the fine-grained truth; its ``Status`` follows from it
(``INVOCATION_STATUS``), as on AWS where StatusDetails ``ExecutionTimedOut`` shows Status
``TimedOut`` and ``Undeliverable`` shows ``Failed``. A command's status is rolled up from
its invocations (``openssm.server.services.commands.rollup``).
"""

from __future__ import annotations

from enum import StrEnum


class InvocationStatus(StrEnum):
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    DELAYED = "Delayed"
    SUCCESS = "Success"
    CANCELLED = "Cancelled"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CANCELLING = "Cancelling"


class InvocationDetail(StrEnum):
    """CommandInvocation.StatusDetails as the API spells them (no spaces)."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    DELAYED = "Delayed"
    CANCELLING = "Cancelling"
    SUCCESS = "Success"
    FAILED = "Failed"
    EXECUTION_TIMED_OUT = "ExecutionTimedOut"
    DELIVERY_TIMED_OUT = "DeliveryTimedOut"
    UNDELIVERABLE = "Undeliverable"
    TERMINATED = "Terminated"
    CANCELLED = "Cancelled"
    INVALID_PLATFORM = "InvalidPlatform"
    ACCESS_DENIED = "AccessDenied"


class CommandStatus(StrEnum):
    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    SUCCESS = "Success"
    CANCELLED = "Cancelled"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CANCELLING = "Cancelling"


class CommandDetail(StrEnum):
    """Command.StatusDetails as the API spells them."""

    PENDING = "Pending"
    IN_PROGRESS = "InProgress"
    CANCELLING = "Cancelling"
    SUCCESS = "Success"
    FAILED = "Failed"
    INCOMPLETE = "Incomplete"
    DELIVERY_TIMED_OUT = "DeliveryTimedOut"
    EXECUTION_TIMED_OUT = "ExecutionTimedOut"
    CANCELLED = "Cancelled"
    RATE_EXCEEDED = "RateExceeded"
    ACCESS_DENIED = "AccessDenied"
    NO_INSTANCES_IN_TAG = "NoInstancesInTag"


_D = InvocationDetail
_S = InvocationStatus

# StatusDetails → Status. Where AWS shows it (ExecutionTimedOut → TimedOut, Undeliverable →
# Failed) this follows what it shows; the rest follow the same reading: a node that could not
# run the command failed, one stopped by the system or a caller was cancelled.
INVOCATION_STATUS: dict[InvocationDetail, InvocationStatus] = {
    _D.PENDING: _S.PENDING,
    _D.IN_PROGRESS: _S.IN_PROGRESS,
    _D.DELAYED: _S.DELAYED,
    _D.CANCELLING: _S.CANCELLING,
    _D.SUCCESS: _S.SUCCESS,
    _D.FAILED: _S.FAILED,
    _D.EXECUTION_TIMED_OUT: _S.TIMED_OUT,
    _D.DELIVERY_TIMED_OUT: _S.TIMED_OUT,
    _D.UNDELIVERABLE: _S.FAILED,
    _D.TERMINATED: _S.CANCELLED,
    _D.CANCELLED: _S.CANCELLED,
    _D.INVALID_PLATFORM: _S.FAILED,
    _D.ACCESS_DENIED: _S.FAILED,
}

TERMINAL_DETAILS = frozenset(
    {
        _D.SUCCESS,
        _D.FAILED,
        _D.EXECUTION_TIMED_OUT,
        _D.DELIVERY_TIMED_OUT,
        _D.UNDELIVERABLE,
        _D.TERMINATED,
        _D.CANCELLED,
        _D.INVALID_PLATFORM,
        _D.ACCESS_DENIED,
    }
)

# What counts against MaxErrors (AWS's ErrorCount): the command ran and failed or overran.
ERROR_DETAILS = frozenset({_D.FAILED, _D.EXECUTION_TIMED_OUT})

# Nodes the command could not reach or may not touch: they neither count as errors nor keep
# a command from Success when another node succeeded (AWS: 4 Undeliverable + 1 Success is a
# Success).
UNREACHED_DETAILS = frozenset({_D.UNDELIVERABLE, _D.INVALID_PLATFORM, _D.ACCESS_DENIED})


def invocation_status(detail: InvocationDetail) -> InvocationStatus:
    return INVOCATION_STATUS[detail]


def is_terminal(detail: InvocationDetail) -> bool:
    return detail in TERMINAL_DETAILS
