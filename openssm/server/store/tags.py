"""Tag rows of any resource, keyed by (account, region, resource type, resource id)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.fleet import changes as fleet_changes
from openssm.server.store.fleet.instances import TAG_RESOURCE_TYPE as INSTANCE_TYPE
from openssm.server.store.schema import resource_tags


def _scope(account_id: str, region: str, resource_type: str) -> list[sa.ColumnElement[bool]]:
    return [
        resource_tags.c.account_id == account_id,
        resource_tags.c.region == region,
        resource_tags.c.resource_type == resource_type,
    ]


def list_tags(
    conn: Connection, *, account_id: str, region: str, resource_type: str, resource_id: str
) -> dict[str, str]:
    rows = conn.execute(
        sa.select(resource_tags.c.tag_key, resource_tags.c.tag_value)
        .where(
            *_scope(account_id, region, resource_type), resource_tags.c.resource_id == resource_id
        )
        .order_by(resource_tags.c.tag_key)
    )
    return {r[0]: r[1] for r in rows}


def list_tags_for_many(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    resource_type: str,
    resource_ids: Iterable[str],
) -> dict[str, dict[str, str]]:
    ids = list(resource_ids)
    found: dict[str, dict[str, str]] = {i: {} for i in ids}
    # Chunked so the IN list stays within every dialect's parameter limit.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            sa.select(
                resource_tags.c.resource_id, resource_tags.c.tag_key, resource_tags.c.tag_value
            ).where(
                *_scope(account_id, region, resource_type), resource_tags.c.resource_id.in_(chunk)
            )
        )
        for resource_id, key, value in rows:
            found[resource_id][key] = value
    return found


def upsert_tags(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    resource_type: str,
    resource_id: str,
    tags: Mapping[str, str],
) -> None:
    if not tags:
        return
    delete_tags(
        conn,
        account_id=account_id,
        region=region,
        resource_type=resource_type,
        resource_id=resource_id,
        keys=list(tags),
    )
    conn.execute(
        resource_tags.insert(),
        [
            {
                "account_id": account_id,
                "region": region,
                "resource_type": resource_type,
                "resource_id": resource_id,
                "tag_key": k,
                "tag_value": v,
            }
            for k, v in tags.items()
        ],
    )


def delete_tags(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    resource_type: str,
    resource_id: str,
    keys: Iterable[str] | None = None,
) -> None:
    """Delete the given keys, or every tag of the resource when `keys` is None."""
    if resource_type == INSTANCE_TYPE:
        # A host's tags decide which targets it matches (associations follow them).
        fleet_changes.note(conn, account_id=account_id, region=region, instance_id=resource_id)
    query = resource_tags.delete().where(
        *_scope(account_id, region, resource_type), resource_tags.c.resource_id == resource_id
    )
    if keys is not None:
        query = query.where(resource_tags.c.tag_key.in_(list(keys)))
    conn.execute(query)


def find_resources_by_tag(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    resource_type: str,
    key: str,
    values: Iterable[str] | None = None,
) -> set[str]:
    query = sa.select(resource_tags.c.resource_id).where(
        *_scope(account_id, region, resource_type), resource_tags.c.tag_key == key
    )
    if values is not None:
        query = query.where(resource_tags.c.tag_value.in_(list(values)))
    return {r[0] for r in conn.execute(query)}
