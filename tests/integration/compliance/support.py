"""What the compliance tests share: hosts registered without agents, puts, and the outbox."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import sqlalchemy as sa
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import ComplianceItemEntryTypeDef

from openssm.server.store.engine import create_engine
from openssm.server.store.schema import outbox_events
from tests.integration.channel_client import activate, register
from tests.support import ServerEndpoint

EVENT = "Configuration Compliance State Change"


def register_hosts(server: ServerEndpoint, count: int) -> list[str]:
    """``count`` registered managed instances (no agent runs for them)."""
    activation_id, code = activate(server.client(), limit=count)
    return [register(server.url, activation_id, code).instance_id for _ in range(count)]


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
    url = server.database_url or f"sqlite:///{server.data_dir / 'openssm.db'}"
    engine = create_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(outbox_events.c.resources, outbox_events.c.detail)
                .where(outbox_events.c.detail_type == EVENT)
                .order_by(outbox_events.c.id)
            ).all()
    finally:
        engine.dispose()
    found = [{"resources": json.loads(r), "detail": json.loads(d)} for r, d in rows]
    return [e for e in found if e["detail"]["resource-id"] == instance_id]
