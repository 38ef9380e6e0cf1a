"""Resource groups: create, read, update and delete, with AWS Resource Groups' rules and errors.

A group is a name (unique in its account and region, never starting with ``AWS`` in any case),
a description, a ``TAG_FILTERS_1_0`` resource query (``query.py``) and the application fields
(Criticality, Owner, DisplayName). Service configurations (service-linked groups) belong to
AWS services openssm does not have, so a group always has a query and never a configuration.
Calls name a group by ``Group`` (its name or ARN) or the older ``GroupName``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from openssm import arns
from openssm.errors import BadRequestException, NotFoundException
from openssm.server.context import RequestContext
from openssm.server.services.groups import query as queries
from openssm.server.services.groups import tagging
from openssm.server.store.groups import repo
from openssm.server.store.groups.repo import GroupRow

RESERVED_NAME_PREFIX = "aws"


@dataclass(frozen=True, slots=True, kw_only=True)
class Group:
    """A group as the API shows it."""

    arn: str
    name: str
    description: str
    query_type: str
    query: str
    criticality: int | None = None
    owner: str | None = None
    display_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateInput:
    name: str
    description: str = ""
    resource_query: Mapping[str, Any] | None = None
    configuration: Sequence[Any] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    criticality: int | None = None
    owner: str | None = None
    display_name: str | None = None


def group_name(ctx: RequestContext, group: str | None, group_name: str | None = None) -> str:
    """The group a call names by ``Group`` (a name or an ARN) or ``GroupName``."""
    given = group if group is not None else group_name
    if given is None:
        raise BadRequestException("Specify the group with Group (its name or ARN).")
    if not given.startswith("arn:"):
        return given
    return name_from_arn(ctx, given)


def name_from_arn(ctx: RequestContext, arn: str) -> str:
    """The name in a group ARN of the caller's account and region; NotFoundException for an
    ARN of another account or region, which holds no group the caller can reach."""
    parsed = arns.parse(arn)
    if (
        parsed is None
        or parsed.service != "resource-groups"
        or not parsed.resource.startswith("group/")
    ):
        raise BadRequestException(f"{arn[:128]} is not a resource group ARN.")
    if (parsed.account, parsed.region) != (ctx.account_id, ctx.region):
        raise NotFoundException(f"Resource group {arn[:128]} is not in this account and region.")
    return parsed.resource[len("group/") :]


def arn_of(ctx: RequestContext, group: str) -> str:
    """The ARN a policy is checked against for ``group`` (a name or an ARN)."""
    if group.startswith("arn:"):
        return group
    return arns.group_arn(ctx.region, ctx.account_id, group)


def record(ctx: RequestContext, row: GroupRow) -> Group:
    return Group(
        arn=arns.group_arn(ctx.region, ctx.account_id, row.name),
        name=row.name,
        description=row.description,
        query_type=row.query_type,
        query=row.query,
        criticality=row.criticality,
        owner=row.owner,
        display_name=row.display_name,
    )


def _require(conn: Connection, ctx: RequestContext, name: str) -> GroupRow:
    row = repo.get_group(conn, account_id=ctx.account_id, region=ctx.region, name=name)
    if row is None:
        raise NotFoundException(f"Cannot find group {name!r} in this account and region.")
    return row


def _checked_query(resource_query: Mapping[str, Any]) -> tuple[str, str, queries.TagQuery]:
    query_type = str(resource_query["Type"])
    text = str(resource_query["Query"])
    return query_type, text, queries.parse(query_type, text)


def create_group(conn: Connection, ctx: RequestContext, request: CreateInput) -> Group:
    if request.name[: len(RESERVED_NAME_PREFIX)].lower() == RESERVED_NAME_PREFIX:
        raise BadRequestException(
            f"Group name {request.name!r} is not valid: names beginning with AWS (in any "
            "case) are reserved."
        )
    if request.configuration:
        raise BadRequestException(
            "openssm does not support group configurations (service-linked groups); "
            "define the group with a ResourceQuery."
        )
    if request.resource_query is None:
        raise BadRequestException("A group needs a ResourceQuery of type TAG_FILTERS_1_0.")
    query_type, text, parsed = _checked_query(request.resource_query)
    tagging.check_new_tags(request.tags)
    if repo.get_group(conn, account_id=ctx.account_id, region=ctx.region, name=request.name):
        raise BadRequestException(
            f"Cannot create group {request.name!r}: a group with that name already exists."
        )
    row = GroupRow(
        account_id=ctx.account_id,
        region=ctx.region,
        name=request.name,
        description=request.description,
        query_type=query_type,
        query=text,
        resource_types=json.dumps(list(parsed.resource_types)),
        criticality=request.criticality,
        owner=request.owner,
        display_name=request.display_name,
        created_at=ctx.now,
    )
    repo.insert_group(conn, row)
    tagging.set_tags(conn, ctx, request.name, request.tags)
    return record(ctx, row)


def get_group(conn: Connection, ctx: RequestContext, name: str) -> Group:
    return record(ctx, _require(conn, ctx, name))


def update_group(
    conn: Connection, ctx: RequestContext, name: str, changes: Mapping[str, Any]
) -> Group:
    """Set the members given (Description, Criticality, Owner, DisplayName); others keep."""
    columns = {
        "Description": "description",
        "Criticality": "criticality",
        "Owner": "owner",
        "DisplayName": "display_name",
    }
    values = {columns[k]: v for k, v in changes.items() if k in columns}
    _require(conn, ctx, name)
    if values:
        repo.update_group(
            conn, account_id=ctx.account_id, region=ctx.region, name=name, values=values
        )
    return get_group(conn, ctx, name)


def update_query(
    conn: Connection, ctx: RequestContext, name: str, resource_query: Mapping[str, Any]
) -> Group:
    query_type, text, parsed = _checked_query(resource_query)
    _require(conn, ctx, name)
    repo.update_group(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        name=name,
        values={
            "query_type": query_type,
            "query": text,
            "resource_types": json.dumps(list(parsed.resource_types)),
        },
    )
    return get_group(conn, ctx, name)


def delete_group(conn: Connection, ctx: RequestContext, name: str) -> Group:
    """The group as it was; its tags go with it (its members are untouched)."""
    group = get_group(conn, ctx, name)
    repo.delete_group(conn, account_id=ctx.account_id, region=ctx.region, name=name)
    tagging.drop_tags(conn, ctx, name)
    return group


def query_of(
    conn: Connection, *, account_id: str, region: str, name: str
) -> queries.TagQuery | None:
    """The parsed query of a group, or None when the scope has no group of that name (for
    Run Command's ``resource-groups:Name`` targets)."""
    row = repo.get_group(conn, account_id=account_id, region=region, name=name)
    return None if row is None else queries.parse(row.query_type, row.query)
