"""Inventory: PutInventory, GetInventory, ListInventoryEntries, GetInventorySchema,
DeleteInventory and DescribeInventoryDeletions.

PutInventory and ListInventoryEntries are authorized on the managed instance's ARN; the
others, which span the fleet, on ``*``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from openssm import arns
from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.inventory import deletions, reads, writes

Out = Mapping[str, Any]


def _instance_arn(ctx: RequestContext, body: Body) -> list[str]:
    return [arns.managed_instance_arn(ctx.region, ctx.account_id, body["InstanceId"])]


def _online_cutoff(rt: Runtime, ctx: RequestContext) -> dt.datetime:
    return ctx.now - dt.timedelta(seconds=rt.settings.connection_lost_after_s)


async def put_inventory(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    items = [
        writes.PutItem(
            type_name=raw["TypeName"],
            schema_version=raw["SchemaVersion"],
            capture_time=raw["CaptureTime"],
            content=raw.get("Content") or [],
            content_hash=raw.get("ContentHash") or "",
            context=raw.get("Context"),
        )
        for raw in body["Items"]
    ]
    instance_id = body["InstanceId"]
    await rt.store.write(lambda conn: writes.put_inventory(conn, ctx, instance_id, items))
    return {"Message": f"Inventory of {instance_id} updated: {len(items)} item(s)."}


async def get_inventory(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    request = reads.GetInventoryInput(
        filters=body.get("Filters"),
        aggregators=body.get("Aggregators"),
        result_attributes=body.get("ResultAttributes"),
        max_results=body.get("MaxResults"),
        next_token=body.get("NextToken"),
    )
    cutoff = _online_cutoff(rt, ctx)
    entities, token = await rt.store.scan(
        lambda conn: reads.get_inventory(conn, ctx, request, online_cutoff=cutoff)
    )
    return {"Entities": entities, "NextToken": token}


async def list_inventory_entries(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    cutoff = _online_cutoff(rt, ctx)
    page = await rt.store.scan(
        lambda conn: reads.list_inventory_entries(
            conn,
            ctx,
            instance_id=body["InstanceId"],
            type_name=body["TypeName"],
            filters=body.get("Filters"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
            online_cutoff=cutoff,
        )
    )
    return {
        "TypeName": page.type_name,
        "InstanceId": page.instance_id,
        "SchemaVersion": page.schema_version,
        "CaptureTime": page.capture_time,
        "Entries": page.entries,
        "NextToken": page.next_token,
    }


async def get_inventory_schema(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    schemas, token = await rt.store.read(
        lambda conn: reads.get_inventory_schema(
            conn,
            ctx,
            type_name=body.get("TypeName"),
            aggregator=bool(body.get("Aggregator")),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"Schemas": schemas, "NextToken": token}


async def delete_inventory(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    deleted = await rt.store.write(
        lambda conn: deletions.delete_inventory(
            conn,
            ctx,
            type_name=body["TypeName"],
            option=body.get("SchemaDeleteOption"),
            dry_run=bool(body.get("DryRun")),
            client_token=body.get("ClientToken"),
        )
    )
    return {
        "DeletionId": deleted.deletion_id,
        "TypeName": deleted.type_name,
        "DeletionSummary": deleted.summary,
    }


async def describe_inventory_deletions(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rows, token = await rt.store.read(
        lambda conn: deletions.describe_inventory_deletions(
            conn,
            ctx,
            deletion_id=body.get("DeletionId"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {
        "InventoryDeletions": [
            {
                "DeletionId": r.deletion_id,
                "TypeName": r.type_name,
                "DeletionStartTime": r.started_at,
                "LastStatus": r.last_status,
                "LastStatusMessage": r.last_status_message,
                "DeletionSummary": deletions.summary_of(r),
                "LastStatusUpdateTime": r.last_status_updated_at,
            }
            for r in rows
        ],
        "NextToken": token,
    }


OPERATIONS = (
    Operation("PutInventory", put_inventory, _instance_arn),
    Operation("GetInventory", get_inventory),
    Operation("ListInventoryEntries", list_inventory_entries, _instance_arn),
    Operation("GetInventorySchema", get_inventory_schema),
    Operation("DeleteInventory", delete_inventory),
    Operation("DescribeInventoryDeletions", describe_inventory_deletions),
)
