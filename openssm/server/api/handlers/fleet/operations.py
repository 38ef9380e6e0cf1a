"""Managed nodes and hybrid activations: activations, DescribeInstanceInformation,
DeregisterManagedInstance, UpdateManagedInstanceRole.

Tags on managed instances go through the tags handlers (resource type ManagedInstance).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import openssm
from openssm import arns
from openssm.errors import InvalidParameters
from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services import tags
from openssm.server.services.fleet import activations, instances
from openssm.server.services.fleet.filters import RESOURCE_TYPE, SOURCE_TYPE

Out = Mapping[str, Any]


def _instance_arn(ctx: RequestContext, body: Body) -> list[str]:
    return [arns.managed_instance_arn(ctx.region, ctx.account_id, body["InstanceId"])]


def _expiration_date(value: float | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidParameters(f"ExpirationDate {value} is not a date.") from None


# --- activations -------------------------------------------------------------------------------


def _activation(row: activations.Activation, now: dt.datetime) -> dict[str, Any]:
    return {
        "ActivationId": row.activation_id,
        "Description": row.description,
        "DefaultInstanceName": row.default_instance_name,
        "IamRole": row.iam_role,
        "RegistrationLimit": row.registration_limit,
        "RegistrationsCount": row.registrations_count,
        "ExpirationDate": row.expires_at,
        "Expired": activations.is_expired(row, now),
        "CreatedDate": row.created_at,
        "Tags": tags.tags_to_wire(row.tags),
    }


async def create_activation(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    request = activations.CreateInput(
        iam_role=body["IamRole"],
        description=body.get("Description"),
        default_instance_name=body.get("DefaultInstanceName"),
        registration_limit=body.get("RegistrationLimit"),
        expiration_date=_expiration_date(body.get("ExpirationDate")),
        tags=tags.tags_from_wire(body.get("Tags")),
        registration_metadata=body.get("RegistrationMetadata") or (),
    )
    created = await rt.store.write(lambda conn: activations.create_activation(conn, ctx, request))
    return {"ActivationId": created.activation_id, "ActivationCode": created.activation_code}


async def describe_activations(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    rows, token = await rt.store.scan(
        lambda conn: activations.describe_activations(
            conn,
            ctx,
            filters=body.get("Filters"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {"ActivationList": [_activation(r, ctx.now) for r in rows], "NextToken": token}


async def delete_activation(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await rt.store.write(
        lambda conn: activations.delete_activation(conn, ctx, body["ActivationId"])
    )
    return {}


# --- managed instances -------------------------------------------------------------------------


def _information(item: instances.Described) -> dict[str, Any]:
    row = item.row
    return {
        "InstanceId": row.instance_id,
        "PingStatus": item.ping_status,
        "LastPingDateTime": row.last_ping_at,
        "AgentVersion": row.agent_version,
        # The agent ships with the server, so "latest" is the server's own version; left
        # out until the agent has said which version it runs.
        "IsLatestVersion": (
            None if row.agent_version is None else row.agent_version == openssm.__version__
        ),
        "PlatformType": row.platform_type,
        "PlatformName": row.platform_name,
        "PlatformVersion": row.platform_version,
        "ActivationId": row.activation_id,
        "IamRole": row.iam_role,
        "RegistrationDate": row.registered_at,
        "ResourceType": RESOURCE_TYPE,
        "Name": row.name,
        "IPAddress": row.ip_address,
        "ComputerName": row.computer_name,
        "SourceId": row.instance_id,
        "SourceType": SOURCE_TYPE,
    }


async def describe_instance_information(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found, token = await rt.store.scan(
        lambda conn: instances.describe_instance_information(
            conn,
            ctx,
            filter_list=body.get("InstanceInformationFilterList"),
            filters=body.get("Filters"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
            connection_lost_after_s=rt.settings.connection_lost_after_s,
        )
    )
    return {"InstanceInformationList": [_information(i) for i in found], "NextToken": token}


async def deregister_managed_instance(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    instance_id: str = body["InstanceId"]
    await rt.store.write(lambda conn: instances.deregister_managed_instance(conn, ctx, instance_id))
    # Committed: the key no longer opens a channel. Close the one that is open, if it is here.
    # On another replica, its Presence loop closes it at the agent's next heartbeat.
    await rt.hub.revoke(instance_id, instances.deregistration_notice(instance_id))
    return {}


async def update_managed_instance_role(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await rt.store.write(
        lambda conn: instances.update_managed_instance_role(
            conn, ctx, body["InstanceId"], body["IamRole"]
        )
    )
    return {}


OPERATIONS = (
    Operation("CreateActivation", create_activation),
    Operation("DescribeActivations", describe_activations),
    Operation("DeleteActivation", delete_activation),
    Operation("DescribeInstanceInformation", describe_instance_information),
    Operation("DeregisterManagedInstance", deregister_managed_instance, _instance_arn),
    Operation("UpdateManagedInstanceRole", update_managed_instance_role, _instance_arn),
)
