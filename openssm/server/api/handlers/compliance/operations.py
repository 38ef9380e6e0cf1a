"""Configuration compliance: PutComplianceItems, ListComplianceItems,
ListResourceComplianceSummaries and ListComplianceSummaries.

PutComplianceItems is authorized on the managed instance's ARN; the listings, which span
resources, on ``*``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.errors import ValidationException
from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.associations import compliance_link
from openssm.server.services.compliance import reads, writes
from openssm.server.services.compliance.reads import ItemRow, SummaryRow
from openssm.server.services.compliance.rollup import Rollup, SeverityCounts
from openssm.server.services.compliance.writes import Execution

Out = Mapping[str, Any]


def _resource_arn(ctx: RequestContext, body: Body) -> list[str]:
    return [arns.managed_instance_arn(ctx.region, ctx.account_id, body["ResourceId"])]


def _execution_from_wire(raw: Mapping[str, Any]) -> Execution:
    try:
        time = dt.datetime.fromtimestamp(raw["ExecutionTime"], dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise ValidationException(
            f"ExecutionSummary.ExecutionTime {raw['ExecutionTime']} is not a date."
        ) from None
    return Execution(time, raw.get("ExecutionId", ""), raw.get("ExecutionType", ""))


def _execution_to_wire(execution: Execution) -> dict[str, Any]:
    return {
        "ExecutionTime": execution.time,
        "ExecutionId": execution.execution_id or None,
        "ExecutionType": execution.execution_type or None,
    }


def _item(item: ItemRow) -> dict[str, Any]:
    return {
        "ComplianceType": item.compliance_type,
        "ResourceType": item.resource_type,
        "ResourceId": item.resource_id,
        "Id": item.item_id or None,
        "Title": item.title or None,
        "Status": item.status,
        "Severity": item.severity,
        "ExecutionSummary": _execution_to_wire(item.execution),
        "Details": dict(item.details),
    }


def _resource_summary(row: SummaryRow) -> dict[str, Any]:
    return {
        "ComplianceType": row.compliance_type,
        "ResourceType": row.resource_type,
        "ResourceId": row.resource_id,
        "Status": row.status,
        "OverallSeverity": row.overall_severity,
        "ExecutionSummary": _execution_to_wire(row.execution),
        **Rollup(
            SeverityCounts(list(row.compliant)), SeverityCounts(list(row.non_compliant))
        ).to_wire(),
    }


def _page(body: Body) -> reads.Page:
    return reads.Page(max_results=body.get("MaxResults"), next_token=body.get("NextToken"))


async def put_compliance_items(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    request = writes.PutRequest(
        resource_id=body["ResourceId"],
        resource_type=body["ResourceType"],
        compliance_type=body["ComplianceType"],
        execution=_execution_from_wire(body["ExecutionSummary"]),
        items=[
            writes.Item(
                item_id=raw.get("Id", ""),
                title=raw.get("Title", ""),
                severity=raw["Severity"],
                status=raw["Status"],
                details=raw.get("Details") or {},
            )
            for raw in body["Items"]
        ],
        content_hash=body.get("ItemContentHash", ""),
        upload_type=body.get("UploadType") or writes.COMPLETE,
    )

    def put(conn: Connection) -> bool:
        if request.upload_type == writes.PARTIAL and request.compliance_type == writes.ASSOCIATION:
            compliance_link.check_manual_upload(conn, ctx, [i.item_id for i in request.items])
        return writes.put_items(conn, ctx, request)

    await rt.store.write(put)
    return {}


async def list_compliance_items(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.list_items(
            conn,
            ctx,
            resource_ids=body.get("ResourceIds"),
            resource_types=body.get("ResourceTypes"),
            filters=body.get("Filters"),
            page=_page(body),
        )
    )
    return {"ComplianceItems": [_item(i) for i in found], "NextToken": token}


async def list_resource_compliance_summaries(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.list_resource_summaries(
            conn, ctx, filters=body.get("Filters"), page=_page(body)
        )
    )
    return {
        "ResourceComplianceSummaryItems": [_resource_summary(r) for r in found],
        "NextToken": token,
    }


async def list_compliance_summaries(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.list_summaries(conn, ctx, filters=body.get("Filters"), page=_page(body))
    )
    return {
        "ComplianceSummaryItems": [
            {"ComplianceType": compliance_type, **rollup.to_wire()}
            for compliance_type, rollup in found
        ],
        "NextToken": token,
    }


OPERATIONS = (
    Operation("PutComplianceItems", put_compliance_items, _resource_arn),
    Operation("ListComplianceItems", list_compliance_items),
    Operation("ListResourceComplianceSummaries", list_resource_compliance_summaries),
    Operation("ListComplianceSummaries", list_compliance_summaries),
)
