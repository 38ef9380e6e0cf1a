"""State Manager operations: associations, their versions, executions and per-host status.

Writes ring the associations doorbell, so the scheduler starts a run asked for at once; the
runs themselves are Run Command commands (services.associations.execution).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from openssm import arns
from openssm.errors import InvalidOutputFolder
from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.associations import reads, writes
from openssm.server.services.associations.errors import InvalidOutputLocation
from openssm.server.services.commands import output
from openssm.server.services.documents.catalog import document_arn

Out = Mapping[str, Any]


def _association_arn(ctx: RequestContext, association_id: str) -> str:
    return arns.ssm_arn(ctx.region, ctx.account_id, f"association/{association_id}")


def _create_resources(ctx: RequestContext, body: Body) -> list[str]:
    """The document, and the nodes (known only once resolved, so every node), as in IAM."""
    nodes = [arns.managed_instance_arn(ctx.region, ctx.account_id, body.get("InstanceId") or "*")]
    return [document_arn(ctx, body["Name"]), *nodes]


def _batch_resources(ctx: RequestContext, body: Body) -> list[str]:
    found: list[str] = []
    for entry in body.get("Entries") or []:
        found.extend(_create_resources(ctx, entry))
    return found or ["*"]


def _by_id(ctx: RequestContext, body: Body) -> list[str]:
    association_id = body.get("AssociationId")
    return [_association_arn(ctx, association_id)] if association_id else ["*"]


def _by_ids(ctx: RequestContext, body: Body) -> list[str]:
    return [_association_arn(ctx, a) for a in body.get("AssociationIds") or []] or ["*"]


async def _check_output(rt: Runtime, body: Mapping[str, Any]) -> None:
    location = (body.get("OutputLocation") or {}).get("S3Location") or {}
    bucket = location.get("OutputS3BucketName") or ""
    if bucket:
        try:
            await asyncio.to_thread(
                output.check_location, rt.objects, bucket, location.get("OutputS3KeyPrefix") or ""
            )
        except InvalidOutputFolder as exc:
            raise InvalidOutputLocation(exc.message) from None


async def create_association(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await _check_output(rt, body)
    row = await rt.store.write(lambda conn: writes.create_association(conn, ctx, rt.keyring, body))
    rt.associations_doorbell.ring()
    return {"AssociationDescription": reads.description(row, {})}


async def create_association_batch(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    for entry in body["Entries"]:
        await _check_output(rt, entry)
    created, failed = await rt.store.write(
        lambda conn: writes.create_batch(conn, ctx, rt.keyring, body["Entries"])
    )
    rt.associations_doorbell.ring()
    return {
        "Successful": [reads.description(row, {}) for row in created],
        "Failed": [
            {"Entry": entry, "Message": message, "Fault": fault} for entry, message, fault in failed
        ],
    }


async def describe_association(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    return {
        "AssociationDescription": await rt.store.read(lambda conn: reads.describe(conn, ctx, body))
    }


async def update_association(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await _check_output(rt, body)
    row = await rt.store.write(lambda conn: writes.update_association(conn, ctx, rt.keyring, body))
    rt.associations_doorbell.ring()
    shown = await rt.store.read(
        lambda conn: reads.describe(conn, ctx, {"AssociationId": row.association_id})
    )
    return {"AssociationDescription": shown}


async def delete_association(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await rt.store.write(lambda conn: writes.delete_association(conn, ctx, body))
    return {}


async def list_associations(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.list_associations(
            conn,
            ctx,
            filters=body.get("AssociationFilterList") or [],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"Associations": found, "NextToken": token}


async def list_association_versions(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.list_versions(
            conn,
            ctx,
            body["AssociationId"],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"AssociationVersions": found, "NextToken": token}


async def describe_association_executions(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.list_executions(
            conn,
            ctx,
            body["AssociationId"],
            filters=body.get("Filters") or [],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"AssociationExecutions": found, "NextToken": token}


async def describe_association_execution_targets(
    rt: Runtime, ctx: RequestContext, body: Body
) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.list_execution_targets(
            conn,
            ctx,
            body["AssociationId"],
            body["ExecutionId"],
            filters=body.get("Filters") or [],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"AssociationExecutionTargets": found, "NextToken": token}


async def start_associations_once(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await rt.store.write(lambda conn: writes.start_once(conn, ctx, body["AssociationIds"]))
    rt.associations_doorbell.ring()
    return {}


async def update_association_status(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    row = await rt.store.write(lambda conn: writes.update_status(conn, ctx, body))
    shown = await rt.store.read(
        lambda conn: reads.describe(conn, ctx, {"AssociationId": row.association_id})
    )
    return {"AssociationDescription": shown}


async def describe_instance_associations_status(
    rt: Runtime, ctx: RequestContext, body: Body
) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.instance_statuses(
            conn,
            ctx,
            body["InstanceId"],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"InstanceAssociationStatusInfos": found, "NextToken": token}


async def describe_effective_instance_associations(
    rt: Runtime, ctx: RequestContext, body: Body
) -> Out:
    found, token = await rt.store.scan(
        lambda conn: reads.effective_associations(
            conn,
            ctx,
            body["InstanceId"],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"Associations": found, "NextToken": token}


OPERATIONS = (
    Operation("CreateAssociation", create_association, _create_resources),
    Operation(
        "CreateAssociationBatch",
        create_association_batch,
        _batch_resources,
        denied_with=("CreateAssociation",),
    ),
    Operation("DescribeAssociation", describe_association, _by_id),
    Operation("UpdateAssociation", update_association, _by_id),
    Operation("DeleteAssociation", delete_association, _by_id),
    Operation("ListAssociations", list_associations),
    Operation("ListAssociationVersions", list_association_versions, _by_id),
    Operation("DescribeAssociationExecutions", describe_association_executions, _by_id),
    Operation(
        "DescribeAssociationExecutionTargets", describe_association_execution_targets, _by_id
    ),
    Operation("StartAssociationsOnce", start_associations_once, _by_ids),
    Operation("UpdateAssociationStatus", update_association_status),
    Operation("DescribeInstanceAssociationsStatus", describe_instance_associations_status),
    Operation("DescribeEffectiveInstanceAssociations", describe_effective_instance_associations),
)
