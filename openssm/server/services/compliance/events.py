"""The "Configuration Compliance State Change" event, with AWS's detail fields.

AWS sends it when a managed node's compliance status for a type changes: ``compliance-status``
is ``compliant`` or ``non_compliant``, ``last-runtime`` the execution time, and Patch events
(AWS's examples) also carry ``severity``. openssm adds ``severity`` (the resource's
OverallSeverity, lower case) for every type but Association, whose AWS events have none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.server.events.outbox import SSM_SOURCE, EventScope, write_events

DETAIL_TYPE = "Configuration Compliance State Change"
ASSOCIATION = "Association"


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True, kw_only=True)
class StateChange:
    """A resource's compliance status for a type changed (or it has one for the first time)."""

    resource_id: str
    compliance_type: str
    status: str
    overall_severity: str
    execution_time: dt.datetime


def write_state_changes(
    conn: Connection, scope: EventScope, changes: Sequence[StateChange]
) -> None:
    """One event per change, all in one statement."""
    write_events(conn, scope, SSM_SOURCE, DETAIL_TYPE, [_event(scope, c) for c in changes])


def _event(scope: EventScope, change: StateChange) -> tuple[list[str], dict[str, str]]:
    detail = {
        "last-runtime": _time(change.execution_time),
        "compliance-status": change.status.lower(),
        "resource-type": "managed-instance",
        "resource-id": change.resource_id,
        "compliance-type": change.compliance_type,
    }
    if change.compliance_type != ASSOCIATION:
        detail["severity"] = change.overall_severity.lower()
    resource = arns.managed_instance_arn(scope.region, scope.account_id, change.resource_id)
    return [resource], detail
