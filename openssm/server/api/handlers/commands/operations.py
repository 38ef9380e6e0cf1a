"""Run Command operations: SendCommand, ListCommands, ListCommandInvocations,
GetCommandInvocation, CancelCommand.

A sent command is written with its invocations in one transaction, in which the dispatcher
claims what it starts at once on the agents connected here (services/commands/starter.py).
Times the model types as strings (ExecutionStartDateTime, ExecutionElapsedTime) are written as
AWS writes them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from openssm import arns
from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.commands import cancel, output, reads, send
from openssm.server.services.documents.catalog import document_arn
from openssm.statuses import INVOCATION_STATUS, InvocationDetail

Out = Mapping[str, Any]
_ERROR_MARKER = "\n----------ERROR-------\n"
_TRUNCATED = "\n---Output truncated---"


# --- resources for authorization -------------------------------------------------------------


def _send_resources(ctx: RequestContext, body: Body) -> list[str]:
    """The document and the nodes: ssm:SendCommand is checked on both, as in IAM. Nodes
    chosen by Targets are known only once resolved: the policy must allow every node."""
    instance_ids = body.get("InstanceIds") or []
    nodes = [arns.managed_instance_arn(ctx.region, ctx.account_id, i) for i in instance_ids]
    if not nodes:
        nodes = [arns.managed_instance_arn(ctx.region, ctx.account_id, "*")]
    return [document_arn(ctx, body["DocumentName"]), *nodes]


def _group_access(ctx: RequestContext, body: Body) -> list[tuple[str, list[str]]]:
    """Targets by resource-groups:Name read the group's members for the caller, who must be
    allowed resource-groups:ListGroupResources on the group, as on AWS."""
    groups = [
        arns.group_arn(ctx.region, ctx.account_id, name)
        for target in body.get("Targets") or ()
        if target.get("Key") == "resource-groups:Name"
        for name in target.get("Values") or ()
    ]
    return [("resource-groups:ListGroupResources", groups)] if groups else []


# --- wire shapes ------------------------------------------------------------------------------


def _command(row: reads.CommandRow) -> dict[str, Any]:
    return {
        "CommandId": row.command_id,
        "DocumentName": row.document_name,
        "DocumentVersion": row.document_version,
        "Comment": row.comment,
        "ExpiresAfter": row.expires_at,
        "Parameters": json.loads(row.parameters),
        "InstanceIds": json.loads(row.instance_ids),
        "Targets": json.loads(row.targets),
        "RequestedDateTime": row.requested_at,
        "Status": row.status,
        "StatusDetails": row.status_details,
        "OutputS3Region": row.output_s3_region or None,
        "OutputS3BucketName": row.output_s3_bucket,
        "OutputS3KeyPrefix": row.output_s3_prefix,
        "MaxConcurrency": row.max_concurrency,
        "MaxErrors": row.max_errors,
        "TargetCount": row.target_count,
        "CompletedCount": row.completed_count,
        "ErrorCount": row.error_count,
        "DeliveryTimedOutCount": row.delivery_timed_out_count,
        "ServiceRole": row.service_role or None,
        "NotificationConfig": _notification(row),
        "CloudWatchOutputConfig": json.loads(row.cloudwatch_output_config) or None,
        "TimeoutSeconds": row.delivery_timeout_s,
        "TriggeredAlarms": [],
    }


def _notification(row: reads.CommandRow) -> dict[str, Any]:
    config: dict[str, Any] = json.loads(row.notification_config)
    return {
        "NotificationArn": config.get("NotificationArn", ""),
        "NotificationEvents": config.get("NotificationEvents", []),
        "NotificationType": config.get("NotificationType", "Command"),
    }


def _combined_output(plugin: reads.PluginRow, limit: int) -> str:
    """A plugin's Output as AWS shows it: standard output, then standard error under a
    marker, cut to ``limit`` characters."""
    text = plugin.stdout
    if plugin.stderr:
        text += _ERROR_MARKER + plugin.stderr
    if len(text) > limit:
        return text[: limit - len(_TRUNCATED)] + _TRUNCATED
    return text


Links = Callable[[reads.CommandRow, reads.PluginRow], tuple[str, str]]


def _links(rt: Runtime, ctx: RequestContext) -> Links:
    """StandardOutputUrl and StandardErrorUrl of a step, as this caller reaches them."""
    return functools.partial(output.output_urls, endpoint_url=ctx.endpoint_url, objects=rt.objects)


def _plugin(plugin: reads.PluginRow, command: reads.CommandRow, links: Links) -> dict[str, Any]:
    stdout_url, stderr_url = links(command, plugin)
    return {
        "Name": plugin.name,
        "Status": plugin.status,
        "StatusDetails": plugin.status_details,
        "ResponseCode": plugin.response_code,
        "ResponseStartDateTime": plugin.started_at,
        "ResponseFinishDateTime": plugin.ended_at,
        "Output": _combined_output(plugin, reads.DETAILS_OUTPUT_LIMIT),
        "StandardOutputUrl": stdout_url,
        "StandardErrorUrl": stderr_url,
        "OutputS3Region": command.output_s3_region or command.region,
        "OutputS3BucketName": command.output_s3_bucket,
        # AWS shows the step's folder (<prefix>/<command>/<instance>/<plugin>) with a bucket.
        "OutputS3KeyPrefix": plugin.output_key_prefix if command.output_s3_bucket else "",
    }


def _status(details: str) -> str:
    return INVOCATION_STATUS[InvocationDetail(details)].value


def _invocation(item: reads.Invocation, *, details: bool, links: Links) -> dict[str, Any]:
    row, command = item.row, item.command
    out: dict[str, Any] = {
        "CommandId": row.command_id,
        "InstanceId": row.instance_id,
        "InstanceName": row.instance_name,
        "Comment": command.comment,
        "DocumentName": command.document_name,
        "DocumentVersion": command.document_version,
        "RequestedDateTime": row.requested_at,
        "Status": _status(row.status_details),
        "StatusDetails": row.status_details,
        "TraceOutput": "",
        "StandardOutputUrl": "",
        "StandardErrorUrl": "",
        "CommandPlugins": [],
        "ServiceRole": command.service_role or None,
        "NotificationConfig": _notification(command),
        "CloudWatchOutputConfig": json.loads(command.cloudwatch_output_config) or None,
    }
    if details:
        plugins = [_plugin(p, command, links) for p in item.plugins]
        out["CommandPlugins"] = plugins
        if len(plugins) == 1:  # AWS fills the invocation's URLs when it ran one plugin
            out["StandardOutputUrl"] = plugins[0]["StandardOutputUrl"]
            out["StandardErrorUrl"] = plugins[0]["StandardErrorUrl"]
    return out


def _iso(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{value.microsecond // 1000:03d}Z"
    )


def _elapsed(start: dt.datetime | None, end: dt.datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = max(0.0, (end - start).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    return text + f"{secs:.3f}S"


# --- handlers ---------------------------------------------------------------------------------


async def send_command(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    request = send.SendInput(
        document_name=body["DocumentName"],
        document_version=body.get("DocumentVersion"),
        document_hash=body.get("DocumentHash"),
        parameters=body.get("Parameters") or {},
        instance_ids=body.get("InstanceIds") or (),
        targets=body.get("Targets") or (),
        delivery_timeout_s=body.get("TimeoutSeconds"),
        comment=body.get("Comment") or "",
        output_s3_region=body.get("OutputS3Region") or "",
        output_s3_bucket=body.get("OutputS3BucketName") or "",
        output_s3_prefix=body.get("OutputS3KeyPrefix") or "",
        max_concurrency=body.get("MaxConcurrency"),
        max_errors=body.get("MaxErrors"),
        service_role=body.get("ServiceRoleArn") or "",
        notification_config=body.get("NotificationConfig"),
        cloudwatch_output_config=body.get("CloudWatchOutputConfig"),
    )
    if request.output_s3_bucket:  # the local store needs no asking (and no thread)
        await asyncio.to_thread(
            output.check_location, rt.objects, request.output_s3_bucket, request.output_s3_prefix
        )
    cutoff = ctx.now - dt.timedelta(seconds=rt.settings.connection_lost_after_s)
    row = await rt.command_starter.send(
        rt.store,
        rt.commands_doorbell,
        lambda conn: send.send_command(conn, ctx, rt.keyring, request, online_cutoff=cutoff),
    )
    return {"Command": _command(row)}


async def list_commands(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    reads.check_instance(body.get("InstanceId"))
    rows, token = await (rt.store.read if body.get("CommandId") else rt.store.scan)(
        lambda conn: reads.list_commands(
            conn,
            ctx,
            command_id=body.get("CommandId"),
            instance_id=body.get("InstanceId"),
            filters=body.get("Filters"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"Commands": [_command(r) for r in rows], "NextToken": token}


async def list_command_invocations(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    reads.check_instance(body.get("InstanceId"))
    details = bool(body.get("Details"))
    items, token = await rt.store.scan(
        lambda conn: reads.list_invocations(
            conn,
            ctx,
            command_id=body.get("CommandId"),
            instance_id=body.get("InstanceId"),
            filters=body.get("Filters"),
            details=details,
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {
        "CommandInvocations": [
            _invocation(i, details=details, links=_links(rt, ctx)) for i in items
        ],
        "NextToken": token,
    }


async def get_command_invocation(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    item, plugin = await rt.store.read(
        lambda conn: reads.get_invocation(
            conn,
            ctx,
            command_id=body["CommandId"],
            instance_id=body["InstanceId"],
            plugin_name=body.get("PluginName"),
        )
    )
    row, command = item.row, item.command
    out: dict[str, Any] = {
        "CommandId": row.command_id,
        "InstanceId": row.instance_id,
        "Comment": command.comment,
        "DocumentName": command.document_name,
        "DocumentVersion": command.document_version,
        "PluginName": body.get("PluginName") or (plugin.name if plugin else ""),
        "ResponseCode": row.response_code,
        "ExecutionStartDateTime": "",
        "ExecutionElapsedTime": "",
        "ExecutionEndDateTime": "",
        "Status": _status(row.status_details),
        "StatusDetails": row.status_details,
        "StandardOutputContent": "",
        "StandardOutputUrl": "",
        "StandardErrorContent": "",
        "StandardErrorUrl": "",
        "CloudWatchOutputConfig": {
            "CloudWatchLogGroupName": "",
            "CloudWatchOutputEnabled": False,
        },
    }
    if plugin is not None:
        stdout_url, stderr_url = _links(rt, ctx)(command, plugin)
        out.update(
            {
                "ResponseCode": plugin.response_code,
                "ExecutionStartDateTime": _iso(plugin.started_at),
                "ExecutionElapsedTime": _elapsed(plugin.started_at, plugin.ended_at),
                "ExecutionEndDateTime": _iso(plugin.ended_at),
                "Status": plugin.status,
                "StatusDetails": plugin.status_details,
                "StandardOutputContent": plugin.stdout[: reads.STDOUT_LIMIT],
                "StandardErrorContent": plugin.stderr[: reads.STDERR_LIMIT],
                "StandardOutputUrl": stdout_url,
                "StandardErrorUrl": stderr_url,
            }
        )
    return out


async def cancel_command(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    command_id = body["CommandId"]
    instance_ids = body.get("InstanceIds") or None

    await rt.store.write(lambda conn: cancel.cancel_command(conn, ctx, command_id, instance_ids))
    # The dispatcher of the replica that delivered each invocation tells its agent to stop.
    rt.commands_doorbell.ring()
    return {}


OPERATIONS = (
    Operation("SendCommand", send_command, _send_resources, also_needs=_group_access),
    Operation("ListCommands", list_commands),
    Operation("ListCommandInvocations", list_command_invocations),
    Operation("GetCommandInvocation", get_command_invocation),
    Operation("CancelCommand", cancel_command),
)
