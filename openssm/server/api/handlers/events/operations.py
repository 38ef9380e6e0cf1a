"""EventBridge operations on the default bus: PutRule, DescribeRule, ListRules, DeleteRule,
EnableRule, DisableRule, PutTargets, ListTargetsByRule and RemoveTargets.

Served on the same URL as SSM (AWS JSON 1.1, ``X-Amz-Target: AWSEvents.<Operation>``, signed
for service ``events``) and authorized as ``events:<Operation>`` on the rule's ARN (``*`` for
ListRules).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.events import rules

Out = Mapping[str, Any]


def _rule_arn(ctx: RequestContext, body: Body) -> list[str]:
    return [rules.rule_arn(ctx, body.get("Name") or body["Rule"])]


async def put_rule(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    request = rules.RuleInput(
        name=body["Name"],
        event_pattern=body.get("EventPattern"),
        schedule_expression=body.get("ScheduleExpression"),
        state=body.get("State"),
        description=body.get("Description"),
    )
    arn = await rt.store.write_retrying(lambda conn: rules.put_rule(conn, ctx, request))
    return {"RuleArn": arn}


async def describe_rule(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    return await rt.store.read(lambda conn: rules.describe_rule(conn, ctx, body["Name"]))


async def list_rules(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    found, token = await rt.store.scan(
        lambda conn: rules.list_rules(
            conn,
            ctx,
            prefix=body.get("NamePrefix", ""),
            limit=body.get("Limit"),
            token=body.get("NextToken"),
        )
    )
    return {"Rules": found, "NextToken": token}


async def delete_rule(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    await rt.store.write(lambda conn: rules.delete_rule(conn, ctx, body["Name"]))
    return {}


async def enable_rule(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    await rt.store.write(lambda conn: rules.set_state(conn, ctx, body["Name"], "ENABLED"))
    return {}


async def disable_rule(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    await rt.store.write(lambda conn: rules.set_state(conn, ctx, body["Name"], "DISABLED"))
    return {}


async def put_targets(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    allow = rt.settings.events_allow_link_local
    await rt.store.write(
        lambda conn: rules.put_targets(
            conn, ctx, rt.keyring, body["Rule"], body["Targets"], allow_link_local=allow
        )
    )
    return {"FailedEntryCount": 0, "FailedEntries": []}


async def list_targets_by_rule(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    found = await rt.store.read(lambda conn: rules.list_targets(conn, ctx, body["Rule"]))
    return {"Targets": found}


async def remove_targets(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rules.check_bus(body.get("EventBusName"))
    missing = await rt.store.write(
        lambda conn: rules.remove_targets(conn, ctx, body["Rule"], body["Ids"])
    )
    failed = [
        {
            "TargetId": target_id,
            "ErrorCode": "ResourceNotFoundException",
            "ErrorMessage": f"Target {target_id} does not exist on rule {body['Rule']}.",
        }
        for target_id in missing
    ]
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


OPERATIONS = (
    Operation("PutRule", put_rule, _rule_arn),
    Operation("DescribeRule", describe_rule, _rule_arn),
    Operation("ListRules", list_rules, denied_with=("DescribeRule",)),
    Operation("DeleteRule", delete_rule, _rule_arn),
    Operation("EnableRule", enable_rule, _rule_arn),
    Operation("DisableRule", disable_rule, _rule_arn),
    Operation("PutTargets", put_targets, _rule_arn),
    Operation("ListTargetsByRule", list_targets_by_rule, _rule_arn),
    Operation("RemoveTargets", remove_targets, _rule_arn),
)
