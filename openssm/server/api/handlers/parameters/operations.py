"""Parameter Store operations: wire dicts in, services called, wire dicts out.

Each handler turns the validated request into service arguments, runs the service in one
store transaction, and shapes the result the way the SSM model names it. The resources for
IAM are the parameter ARNs a call touches (selectors removed), or ``*`` for listings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from openssm import arns
from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services import tags
from openssm.server.services.parameters import reads
from openssm.server.services.parameters import writes as params
from openssm.server.services.parameters.names import resource_arn

T = TypeVar("T")
Out = Mapping[str, Any]


# --- resources for authorization -------------------------------------------------------------


def _name_arn(ctx: RequestContext, body: Body) -> list[str]:
    return [resource_arn(body["Name"], region=ctx.region, account_id=ctx.account_id)]


def _names_arns(ctx: RequestContext, body: Body) -> list[str]:
    return [resource_arn(n, region=ctx.region, account_id=ctx.account_id) for n in body["Names"]]


def _path_arn(ctx: RequestContext, body: Body) -> list[str]:
    path = str(body["Path"]).strip(" ").rstrip("/")
    return [arns.parameter_arn(ctx.region, ctx.account_id, path)]


# --- wire shapes ------------------------------------------------------------------------------


def _arn(ctx: RequestContext, name: str) -> str:
    return arns.parameter_arn(ctx.region, ctx.account_id, name)


def _parameter(ctx: RequestContext, found: reads.ParameterValue) -> dict[str, Any]:
    row = found.row
    return {
        "Name": row.name,
        "Type": row.type,
        "Value": found.value,
        "Version": row.version,
        "Selector": found.selector,
        "LastModifiedDate": row.modified_at,
        "ARN": _arn(ctx, row.name),
        "DataType": row.data_type,
    }


def _policies(policies: list[reads.InlinePolicy]) -> list[dict[str, str]]:
    return [
        {"PolicyText": p.text, "PolicyType": p.type, "PolicyStatus": p.status} for p in policies
    ]


def _metadata(ctx: RequestContext, item: reads.Described) -> dict[str, Any]:
    row = item.row
    return {
        "Name": row.name,
        "ARN": _arn(ctx, row.name),
        "Type": row.type,
        "KeyId": row.key_id,
        "LastModifiedDate": row.modified_at,
        "LastModifiedUser": row.modified_by,
        "Description": row.description,
        "AllowedPattern": row.allowed_pattern,
        "Version": row.version,
        "Tier": row.tier,
        "Policies": _policies(item.policies),
        "DataType": row.data_type,
    }


def _history(entry: reads.HistoryEntry) -> dict[str, Any]:
    row = entry.row
    return {
        "Name": row.name,
        "Type": row.type,
        "KeyId": row.key_id,
        "LastModifiedDate": row.modified_at,
        "LastModifiedUser": row.modified_by,
        "Description": row.description,
        "Value": entry.value,
        "AllowedPattern": row.allowed_pattern,
        "Version": row.version,
        "Labels": entry.labels,
        "Tier": row.tier,
        "Policies": _policies(entry.policies),
        "DataType": row.data_type,
    }


# --- operations -------------------------------------------------------------------------------


async def put_parameter(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    request = params.PutInput(
        name=body["Name"],
        value=body["Value"],
        type=body.get("Type"),
        description=body.get("Description"),
        key_id=body.get("KeyId"),
        overwrite=bool(body.get("Overwrite", False)),
        allowed_pattern=body.get("AllowedPattern"),
        tags=tags.tags_from_wire(body.get("Tags")),
        tier=body.get("Tier"),
        policies=body.get("Policies"),
        data_type=body.get("DataType"),
    )
    out = await rt.store.write_retrying(
        lambda conn: params.put_parameter(conn, ctx, rt.keyring, request)
    )
    return {"Version": out.version, "Tier": out.tier}


async def get_parameter(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    decrypt = bool(body.get("WithDecryption", False))
    found = await rt.parameter_cache.get_parameter(
        rt.store, ctx, rt.keyring, body["Name"], decrypt=decrypt
    )
    return {"Parameter": _parameter(ctx, found)}


async def get_parameters(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    decrypt = bool(body.get("WithDecryption", False))
    found, invalid = await rt.store.read(
        lambda conn: reads.get_parameters(conn, ctx, rt.keyring, body["Names"], decrypt=decrypt)
    )
    return {"Parameters": [_parameter(ctx, f) for f in found], "InvalidParameters": invalid}


async def get_parameters_by_path(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    page = await rt.store.scan(
        lambda conn: reads.get_parameters_by_path(
            conn,
            ctx,
            rt.keyring,
            path=body["Path"],
            recursive=bool(body.get("Recursive")),
            parameter_filters=body.get("ParameterFilters"),
            decrypt=bool(body.get("WithDecryption")),
            max_results=body.get("MaxResults", 10),
            next_token=body.get("NextToken"),
        )
    )
    return {"Parameters": [_parameter(ctx, p) for p in page.items], "NextToken": page.next_token}


async def describe_parameters(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    page = await rt.store.scan(
        lambda conn: reads.describe_parameters(
            conn,
            ctx,
            parameter_filters=body.get("ParameterFilters"),
            legacy_filters=body.get("Filters"),
            max_results=body.get("MaxResults", 10),
            next_token=body.get("NextToken"),
            shared=bool(body.get("Shared")),
        )
    )
    return {"Parameters": [_metadata(ctx, d) for d in page.items], "NextToken": page.next_token}


async def get_parameter_history(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    page = await rt.store.scan(
        lambda conn: reads.get_parameter_history(
            conn,
            ctx,
            rt.keyring,
            body["Name"],
            decrypt=bool(body.get("WithDecryption")),
            max_results=body.get("MaxResults", 50),
            next_token=body.get("NextToken"),
        )
    )
    return {"Parameters": [_history(e) for e in page.items], "NextToken": page.next_token}


async def delete_parameter(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    await rt.store.write_retrying(lambda conn: params.delete_parameter(conn, ctx, body["Name"]))
    return {}


async def delete_parameters(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    deleted, invalid = await rt.store.write_retrying(
        lambda conn: params.delete_parameters(conn, ctx, body["Names"])
    )
    return {"DeletedParameters": deleted, "InvalidParameters": invalid}


async def label_parameter_version(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    invalid, version = await rt.store.write_retrying(
        lambda conn: params.label_parameter_version(
            conn, ctx, body["Name"], body.get("ParameterVersion"), body["Labels"]
        ),
    )
    return {"InvalidLabels": invalid, "ParameterVersion": version}


async def unlabel_parameter_version(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    removed, invalid = await rt.store.write_retrying(
        lambda conn: params.unlabel_parameter_version(
            conn, ctx, body["Name"], body["ParameterVersion"], body["Labels"]
        ),
    )
    return {"RemovedLabels": removed, "InvalidLabels": invalid}


# The calls that return values: a Deny of any one of them on a parameter holds for all.
_READS_VALUES = ("GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory")

OPERATIONS = (
    Operation("PutParameter", put_parameter, _name_arn),
    Operation("GetParameter", get_parameter, _name_arn, _READS_VALUES),
    Operation("GetParameters", get_parameters, _names_arns, _READS_VALUES),
    Operation("GetParametersByPath", get_parameters_by_path, _path_arn, _READS_VALUES),
    Operation("DescribeParameters", describe_parameters),
    Operation("GetParameterHistory", get_parameter_history, _name_arn, _READS_VALUES),
    Operation("DeleteParameter", delete_parameter, _name_arn, ("DeleteParameters",)),
    Operation("DeleteParameters", delete_parameters, _names_arns, ("DeleteParameter",)),
    Operation("LabelParameterVersion", label_parameter_version, _name_arn),
    Operation("UnlabelParameterVersion", unlabel_parameter_version, _name_arn),
)
