"""What the compliance tests share: hosts registered without agents, puts, and the outbox."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import ComplianceItemEntryTypeDef

from tests.support import ServerEndpoint

EVENT = "Configuration Compliance State Change"


def custom_type() -> str:
    """A compliance type no other test uses, so summaries on a shared server stay exact."""
    return "Custom:T" + uuid.uuid4().hex[:12]


def item(
    item_id: str, status: str = "COMPLIANT", severity: str = "UNSPECIFIED", **extra: Any
) -> ComplianceItemEntryTypeDef:
    entry: dict[str, Any] = {"Id": item_id, "Status": status, "Severity": severity, **extra}
    return entry  # type: ignore[return-value]  # built from the same keys


def put(
    ssm: SSMClient,
    instance_id: str,
    compliance_type: str,
    items: list[ComplianceItemEntryTypeDef],
    *,
    at: dt.datetime | None = None,
    **kwargs: Any,
) -> None:
    ssm.put_compliance_items(
        ResourceId=instance_id,
        ResourceType="ManagedInstance",
        ComplianceType=compliance_type,
        ExecutionSummary={
            "ExecutionTime": at or dt.datetime.now(dt.UTC),
            "ExecutionId": "exec-1",
            "ExecutionType": "Command",
        },
        Items=items,
        **kwargs,
    )


def compliance_events(server: ServerEndpoint, instance_id: str) -> list[dict[str, Any]]:
    """The compliance events in the server's outbox about ``instance_id``, oldest first, each
    as ``{"resources": […], "detail": {…}}``."""
    return [e for e in server.events(EVENT) if e["detail"]["resource-id"] == instance_id]
