"""Tags on SSM resources: AWS's limits and errors, for every resource type.

Each capability tells this module how to find its resources by handing a
`TagTarget` resolver to the tag handlers; nothing here knows about parameters
or instances.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import InvalidResourceId, TooManyTagsError, ValidationException
from openssm.server.context import RequestContext
from openssm.server.store import tags as repo

MAX_TAGS_PER_RESOURCE = 50

# Given the caller's ResourceId, returns the id under which tags are stored,
# or None when no such resource exists.
TagTarget = Callable[[Connection, RequestContext, str], str | None]


# AWS keeps tag keys beginning "aws:" (any case) for its own tags: no caller may set or remove
# one. Every request's tags pass through tags_from_wire or remove_tags, so both check.
RESERVED_KEY_PREFIX = "aws:"


def tags_from_wire(tags: Sequence[Mapping[str, Any]] | None) -> dict[str, str]:
    """`[{"Key": k, "Value": v}]` → `{k: v}`; a later duplicate key wins, as in AWS."""
    out = {str(t["Key"]): str(t.get("Value", "")) for t in tags or ()}
    _refuse_reserved(out)
    return out


def _refuse_reserved(keys: Iterable[str]) -> None:
    for key in keys:
        if key[: len(RESERVED_KEY_PREFIX)].lower() == RESERVED_KEY_PREFIX:
            raise ValidationException(
                f"Tag key {key} is not valid: keys beginning with "
                f"'{RESERVED_KEY_PREFIX}' (in any case) are reserved for system use."
            )


def tags_to_wire(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _resolve(
    conn: Connection, ctx: RequestContext, target: TagTarget, resource_type: str, resource_id: str
) -> str:
    stored_id = target(conn, ctx, resource_id)
    if stored_id is None:
        raise InvalidResourceId(
            f"The resource ID {resource_id!r} of type {resource_type} is not valid."
        )
    return stored_id


def set_initial_tags(
    conn: Connection,
    ctx: RequestContext,
    *,
    resource_type: str,
    resource_id: str,
    tags: Mapping[str, str],
) -> None:
    """Tags given at creation time (PutParameter, CreateDocument, …)."""
    if len(tags) > MAX_TAGS_PER_RESOURCE:
        raise TooManyTagsError(
            f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags; {len(tags)} were given."
        )
    repo.upsert_tags(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_type=resource_type,
        resource_id=resource_id,
        tags=tags,
    )


def add_tags(
    conn: Connection,
    ctx: RequestContext,
    target: TagTarget,
    *,
    resource_type: str,
    resource_id: str,
    tags: Mapping[str, str],
) -> None:
    stored_id = _resolve(conn, ctx, target, resource_type, resource_id)
    current = repo.list_tags(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_type=resource_type,
        resource_id=stored_id,
    )
    if len(current | dict(tags)) > MAX_TAGS_PER_RESOURCE:
        raise TooManyTagsError(f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags.")
    repo.upsert_tags(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_type=resource_type,
        resource_id=stored_id,
        tags=tags,
    )


def remove_tags(
    conn: Connection,
    ctx: RequestContext,
    target: TagTarget,
    *,
    resource_type: str,
    resource_id: str,
    keys: Sequence[str],
) -> None:
    _refuse_reserved(keys)
    stored_id = _resolve(conn, ctx, target, resource_type, resource_id)
    repo.delete_tags(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_type=resource_type,
        resource_id=stored_id,
        keys=keys,
    )


def list_tags(
    conn: Connection,
    ctx: RequestContext,
    target: TagTarget,
    *,
    resource_type: str,
    resource_id: str,
) -> dict[str, str]:
    stored_id = _resolve(conn, ctx, target, resource_type, resource_id)
    return repo.list_tags(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_type=resource_type,
        resource_id=stored_id,
    )


def drop_all_tags(
    conn: Connection, ctx: RequestContext, *, resource_type: str, resource_id: str
) -> None:
    """When a resource is deleted its tags go with it."""
    repo.delete_tags(
        conn,
        account_id=ctx.account_id,
        region=ctx.region,
        resource_type=resource_type,
        resource_id=resource_id,
    )
