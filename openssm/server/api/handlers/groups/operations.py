"""AWS Resource Groups operations: CreateGroup, GetGroup, GetGroupQuery, UpdateGroup,
UpdateGroupQuery, DeleteGroup, ListGroups, ListGroupResources, SearchResources, Tag, Untag
and GetTags.

Served by the REST-JSON endpoint (``api/restjson.py``) and authorized as
``resource-groups:<Operation>`` on the group's ARN (``*`` for ListGroups and SearchResources).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services.groups import groups, listing, members, tagging
from openssm.server.services.groups.groups import Group

Out = Mapping[str, Any]


def _group_arn(ctx: RequestContext, body: Body) -> list[str]:
    name = body.get("Group", body.get("GroupName"))
    return [groups.arn_of(ctx, name)] if name is not None else ["*"]


def _new_group_arn(ctx: RequestContext, body: Body) -> list[str]:
    return [groups.arn_of(ctx, body["Name"])]


def _tagged_arn(_ctx: RequestContext, body: Body) -> list[str]:
    return [body["Arn"]]


def _name(ctx: RequestContext, body: Body) -> str:
    return groups.group_name(ctx, body.get("Group"), body.get("GroupName"))


def _group(group: Group) -> dict[str, Any]:
    return {
        "GroupArn": group.arn,
        "Name": group.name,
        "Description": group.description or None,
        "Criticality": group.criticality,
        "Owner": group.owner,
        "DisplayName": group.display_name,
    }


def _query(group: Group) -> dict[str, Any]:
    return {"Type": group.query_type, "Query": group.query}


def _group_query(group: Group) -> dict[str, Any]:
    return {"GroupName": group.name, "ResourceQuery": _query(group)}


async def create_group(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    request = groups.CreateInput(
        name=body["Name"],
        description=body.get("Description", ""),
        resource_query=body.get("ResourceQuery"),
        configuration=body.get("Configuration"),
        tags=body.get("Tags") or {},
        criticality=body.get("Criticality"),
        owner=body.get("Owner"),
        display_name=body.get("DisplayName"),
    )
    group = await rt.store.write_retrying(lambda conn: groups.create_group(conn, ctx, request))
    return {"Group": _group(group), "ResourceQuery": _query(group), "Tags": dict(request.tags)}


async def get_group(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = _name(ctx, body)
    group = await rt.store.read(lambda conn: groups.get_group(conn, ctx, name))
    return {"Group": _group(group)}


async def get_group_query(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = _name(ctx, body)
    group = await rt.store.read(lambda conn: groups.get_group(conn, ctx, name))
    return {"GroupQuery": _group_query(group)}


async def update_group(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = _name(ctx, body)
    group = await rt.store.write(lambda conn: groups.update_group(conn, ctx, name, body))
    return {"Group": _group(group)}


async def update_group_query(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = _name(ctx, body)
    group = await rt.store.write(
        lambda conn: groups.update_query(conn, ctx, name, body["ResourceQuery"])
    )
    return {"GroupQuery": _group_query(group)}


async def delete_group(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = _name(ctx, body)
    group = await rt.store.write(lambda conn: groups.delete_group(conn, ctx, name))
    return {"Group": _group(group)}


async def list_groups(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    found, token = await rt.store.scan(
        lambda conn: listing.list_groups(
            conn,
            ctx,
            filters=body.get("Filters"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return {
        "GroupIdentifiers": [
            {
                "GroupName": g.name,
                "GroupArn": g.arn,
                "Description": g.description or None,
                "Criticality": g.criticality,
                "Owner": g.owner,
                "DisplayName": g.display_name,
            }
            for g in found
        ],
        "Groups": [_group(g) for g in found],
        "NextToken": token,
    }


def _members(page: members.Page) -> dict[str, Any]:
    identifiers = [{"ResourceArn": r.arn, "ResourceType": r.resource_type} for r in page.resources]
    return {
        "ResourceIdentifiers": identifiers,
        "NextToken": page.next_token,
        "QueryErrors": page.query_errors,
    }


async def list_group_resources(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = _name(ctx, body)
    page = await rt.store.scan(
        lambda conn: members.list_group_resources(
            conn,
            ctx,
            name,
            filters=body.get("Filters"),
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    out = _members(page)
    # Resources is the current member; ResourceIdentifiers the deprecated one botocore's
    # paginator still reads, so both are filled.
    return out | {"Resources": [{"Identifier": i} for i in out["ResourceIdentifiers"]]}


async def search_resources(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    page = await rt.store.scan(
        lambda conn: members.search(
            conn,
            ctx,
            body["ResourceQuery"],
            max_results=body.get("MaxResults"),
            next_token=body.get("NextToken"),
        )
    )
    return _members(page)


async def get_tags(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = groups.name_from_arn(ctx, body["Arn"])
    found = await rt.store.read(lambda conn: tagging.get_tags(conn, ctx, name))
    return {"Arn": body["Arn"], "Tags": found}


async def tag(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = groups.name_from_arn(ctx, body["Arn"])
    await rt.store.write(lambda conn: tagging.tag(conn, ctx, name, body["Tags"]))
    return {"Arn": body["Arn"], "Tags": body["Tags"]}


async def untag(rt: Runtime, ctx: RequestContext, body: Body) -> Out:
    name = groups.name_from_arn(ctx, body["Arn"])
    await rt.store.write(lambda conn: tagging.untag(conn, ctx, name, body["Keys"]))
    return {"Arn": body["Arn"], "Keys": body["Keys"]}


OPERATIONS = (
    Operation("CreateGroup", create_group, _new_group_arn),
    Operation("GetGroup", get_group, _group_arn),
    Operation("GetGroupQuery", get_group_query, _group_arn),
    Operation("UpdateGroup", update_group, _group_arn),
    Operation("UpdateGroupQuery", update_group_query, _group_arn),
    Operation("DeleteGroup", delete_group, _group_arn),
    Operation("ListGroups", list_groups, denied_with=("GetGroup",)),
    Operation("ListGroupResources", list_group_resources, _group_arn),
    Operation("SearchResources", search_resources),
    Operation("GetTags", get_tags, _tagged_arn),
    Operation("Tag", tag, _tagged_arn),
    Operation("Untag", untag, _tagged_arn),
)
