"""State Manager's EventBridge events, written to the outbox in the transaction of the change.

Detail types and fields are AWS's: "EC2 State Manager Association State Change" when an
association is created, updated, deleted or a run of it ends, and "EC2 State Manager Instance
Association State Change" when one host's result of a run is known. As in AWS's events, dates
are ISO 8601 strings, and targets and counts are JSON text inside the detail.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.server.events.outbox import SSM_SOURCE, EventScope, write_event
from openssm.server.services.associations.spec import Spec
from openssm.server.store.associations.repo import AssociationRow

ASSOCIATION_CHANGE = "EC2 State Manager Association State Change"
INSTANCE_ASSOCIATION_CHANGE = "EC2 State Manager Instance Association State Change"


def _date(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return (
        value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{value.microsecond // 1000:03d}Z"
    )


def _targets(spec: Spec) -> str:
    wanted = spec.get("Targets") or [{"Key": "InstanceIds", "Values": [spec.get("InstanceId")]}]
    return json.dumps(
        [{"key": t["Key"], "values": list(t["Values"])} for t in wanted], separators=(",", ":")
    )


def association_arn(scope: EventScope, association_id: str) -> str:
    return arns.ssm_arn(scope.region, scope.account_id, f"association/{association_id}")


def association_changed(
    conn: Connection,
    scope: EventScope,
    row: AssociationRow,
    *,
    status: str,
    counts: Mapping[str, int],
) -> None:
    spec: Spec = json.loads(row.spec)
    write_event(
        conn,
        scope,
        SSM_SOURCE,
        ASSOCIATION_CHANGE,
        [association_arn(scope, row.association_id)],
        {
            "association-id": row.association_id,
            "document-name": row.name,
            "association-version": str(row.version),
            "document-version": spec.get("DocumentVersion", "Optional.empty"),
            "targets": _targets(spec),
            "creation-date": _date(row.created_at),
            "last-successful-execution-date": _date(row.last_successful_execution_at),
            "last-execution-date": _date(row.last_execution_at),
            "last-updated-date": _date(row.updated_at),
            "status": status,
            "association-status-aggregated-count": json.dumps(dict(counts), separators=(",", ":")),
            "schedule-expression": spec.get("ScheduleExpression", ""),
            "association-cwe-version": "1.0",
        },
    )


def instance_association_changed(
    conn: Connection,
    scope: EventScope,
    row: AssociationRow,
    *,
    instance_id: str,
    status: str,
    detailed_status: str,
    error_code: str,
    execution_summary: str,
    executed_at: dt.datetime,
    last_success_at: dt.datetime | None,
) -> None:
    spec: Spec = json.loads(row.spec)
    write_event(
        conn,
        scope,
        SSM_SOURCE,
        INSTANCE_ASSOCIATION_CHANGE,
        [
            association_arn(scope, row.association_id),
            arns.managed_instance_arn(scope.region, scope.account_id, instance_id),
        ],
        {
            "association-id": row.association_id,
            "instance-id": instance_id,
            "document-name": row.name,
            "document-version": spec.get("DocumentVersion", "Optional.empty"),
            "targets": _targets(spec),
            "creation-date": _date(row.created_at),
            "last-successful-execution-date": _date(last_success_at),
            "last-execution-date": _date(executed_at),
            "status": status,
            "detailed-status": detailed_status,
            "error-code": error_code,
            "execution-summary": execution_summary,
            "output-url": "",
            "instance-association-cwe-version": "1.0",
        },
    )
