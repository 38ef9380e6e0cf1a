"""The "Configuration Compliance State Change" event, with AWS's detail fields.

AWS sends it when a managed node's compliance status for a type changes: ``compliance-status``
is ``compliant`` or ``non_compliant``, ``last-runtime`` the execution time, and Patch events
(AWS's examples) also carry ``severity``. openssm adds ``severity`` (the resource's
OverallSeverity, lower case) for every type but Association, whose AWS events have none.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.server.events.outbox import SSM_SOURCE, EventScope, write_event

DETAIL_TYPE = "Configuration Compliance State Change"
ASSOCIATION = "Association"


def _time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_state_change(
    conn: Connection,
    scope: EventScope,
    *,
    resource_id: str,
    compliance_type: str,
    status: str,
    overall_severity: str,
    execution_time: dt.datetime,
) -> None:
    detail = {
        "last-runtime": _time(execution_time),
        "compliance-status": status.lower(),
        "resource-type": "managed-instance",
        "resource-id": resource_id,
        "compliance-type": compliance_type,
    }
    if compliance_type != ASSOCIATION:
        detail["severity"] = overall_severity.lower()
    resource = arns.managed_instance_arn(scope.region, scope.account_id, resource_id)
    write_event(conn, scope, SSM_SOURCE, DETAIL_TYPE, [resource], detail)
