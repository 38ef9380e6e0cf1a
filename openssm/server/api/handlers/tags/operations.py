"""AddTagsToResource, RemoveTagsFromResource, ListTagsForResource for every taggable type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openssm import arns
from openssm.errors import InvalidResourceType
from openssm.server.api.operations import Body, Operation
from openssm.server.context import RequestContext
from openssm.server.runtime import Runtime
from openssm.server.services import tags
from openssm.server.services.tags import TagTarget

# ARN resource prefix of each supported ResourceType, for authorization.
_ARN_PREFIX = {
    "Parameter": "parameter/",
    "Document": "document/",
    "ManagedInstance": "managed-instance/",
    "Association": "association/",
}


def _targets() -> dict[str, TagTarget]:
    from openssm.server.services.associations import writes as associations
    from openssm.server.services.documents import reads as documents
    from openssm.server.services.fleet import instances
    from openssm.server.services.parameters import writes as parameters

    return {
        "Parameter": parameters.tag_target,
        "Document": documents.tag_target,
        "ManagedInstance": instances.tag_target,
        "Association": associations.tag_target,
    }


def _resource_arn(ctx: RequestContext, body: Body) -> list[str]:
    prefix = _ARN_PREFIX.get(body["ResourceType"])
    if prefix is None:
        return ["*"]
    resource_id: str = body["ResourceId"]
    if resource_id.startswith("arn:"):
        return [resource_id]
    return [arns.ssm_arn(ctx.region, ctx.account_id, prefix + resource_id.lstrip("/"))]


def _target(body: Body) -> TagTarget:
    target = _targets().get(body["ResourceType"])
    if target is None:
        raise InvalidResourceType(
            f"openssm does not support tags on resource type {body['ResourceType']}."
        )
    return target


async def add_tags_to_resource(rt: Runtime, ctx: RequestContext, body: Body) -> Mapping[str, Any]:
    target = _target(body)
    await rt.store.write(
        lambda conn: tags.add_tags(
            conn,
            ctx,
            target,
            resource_type=body["ResourceType"],
            resource_id=body["ResourceId"],
            tags=tags.tags_from_wire(body["Tags"]),
        )
    )
    return {}


async def remove_tags_from_resource(
    rt: Runtime, ctx: RequestContext, body: Body
) -> Mapping[str, Any]:
    target = _target(body)
    await rt.store.write(
        lambda conn: tags.remove_tags(
            conn,
            ctx,
            target,
            resource_type=body["ResourceType"],
            resource_id=body["ResourceId"],
            keys=body["TagKeys"],
        )
    )
    return {}


async def list_tags_for_resource(rt: Runtime, ctx: RequestContext, body: Body) -> Mapping[str, Any]:
    target = _target(body)
    found = await rt.store.read(
        lambda conn: tags.list_tags(
            conn, ctx, target, resource_type=body["ResourceType"], resource_id=body["ResourceId"]
        )
    )
    return {"TagList": tags.tags_to_wire(found)}


OPERATIONS = (
    Operation("AddTagsToResource", add_tags_to_resource, _resource_arn),
    Operation("RemoveTagsFromResource", remove_tags_from_resource, _resource_arn),
    Operation("ListTagsForResource", list_tags_for_resource, _resource_arn),
)
