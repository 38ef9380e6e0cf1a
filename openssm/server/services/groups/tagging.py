"""Tags on resource groups (Tag, Untag, GetTags and CreateGroup's Tags), with AWS's limits.

A group carries at most 50 tags; keys beginning ``aws:`` (any case) are AWS's own and no caller
may set or remove one. Tags are stored with every other resource's (``store/tags.py``) under
the resource type ``ResourceGroup`` and the group's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy.engine import Connection

from openssm.errors import BadRequestException, NotFoundException
from openssm.server.context import RequestContext
from openssm.server.store import tags as tag_rows
from openssm.server.store.groups import repo

MAX_TAGS = 50
RESERVED_KEY_PREFIX = "aws:"


def _refuse_reserved(keys: Iterable[str]) -> None:
    for key in keys:
        if key[: len(RESERVED_KEY_PREFIX)].lower() == RESERVED_KEY_PREFIX:
            raise BadRequestException(
                f"Tag key {key!r} is not valid: keys beginning with '{RESERVED_KEY_PREFIX}' "
                "(in any case) are reserved for AWS."
            )


def check_new_tags(tags: Mapping[str, str]) -> None:
    _refuse_reserved(tags)
    if len(tags) > MAX_TAGS:
        raise BadRequestException(
            f"A group can have at most {MAX_TAGS} tags; {len(tags)} were given."
        )


def _scope(ctx: RequestContext) -> dict[str, str]:
    return {
        "account_id": ctx.account_id,
        "region": ctx.region,
        "resource_type": repo.TAG_RESOURCE_TYPE,
    }


def set_tags(conn: Connection, ctx: RequestContext, name: str, tags: Mapping[str, str]) -> None:
    """Tags given when the group is made (checked already by ``check_new_tags``)."""
    tag_rows.upsert_tags(conn, **_scope(ctx), resource_id=name, tags=tags)


def _require(conn: Connection, ctx: RequestContext, name: str) -> None:
    if repo.get_group(conn, account_id=ctx.account_id, region=ctx.region, name=name) is None:
        raise NotFoundException(f"Cannot find group {name!r} in this account and region.")


def get_tags(conn: Connection, ctx: RequestContext, name: str) -> dict[str, str]:
    _require(conn, ctx, name)
    return tag_rows.list_tags(conn, **_scope(ctx), resource_id=name)


def tag(conn: Connection, ctx: RequestContext, name: str, tags: Mapping[str, str]) -> None:
    """Add or overwrite these tags; the group's other tags stay."""
    _refuse_reserved(tags)
    current = get_tags(conn, ctx, name)
    if len(current | dict(tags)) > MAX_TAGS:
        raise BadRequestException(f"A group can have at most {MAX_TAGS} tags.")
    tag_rows.upsert_tags(conn, **_scope(ctx), resource_id=name, tags=tags)


def untag(conn: Connection, ctx: RequestContext, name: str, keys: Sequence[str]) -> None:
    _refuse_reserved(keys)
    _require(conn, ctx, name)
    tag_rows.delete_tags(conn, **_scope(ctx), resource_id=name, keys=keys)


def drop_tags(conn: Connection, ctx: RequestContext, name: str) -> None:
    """When a group is deleted its tags go with it."""
    tag_rows.delete_tags(conn, **_scope(ctx), resource_id=name)
