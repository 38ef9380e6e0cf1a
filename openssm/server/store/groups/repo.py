"""Resource-group rows: insert, read, list in name order, update, delete. Never commits."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.groups.tables import resource_groups

TAG_RESOURCE_TYPE = "ResourceGroup"


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRow:
    account_id: str
    region: str
    name: str
    description: str
    query_type: str
    query: str
    resource_types: str  # JSON array
    criticality: int | None
    owner: str | None
    display_name: str | None
    created_at: dt.datetime


def _row(row: Any) -> GroupRow:
    return GroupRow(**dict(row._mapping))


def _key(account_id: str, region: str, name: str) -> list[sa.ColumnElement[bool]]:
    c = resource_groups.c
    return [c.account_id == account_id, c.region == region, c.name == name]


def insert_group(conn: Connection, row: GroupRow) -> None:
    """DuplicateKey (from the Store) when the name is taken in the scope."""
    conn.execute(resource_groups.insert().values(**dataclasses.asdict(row)))


def get_group(conn: Connection, *, account_id: str, region: str, name: str) -> GroupRow | None:
    found = conn.execute(sa.select(resource_groups).where(*_key(account_id, region, name))).first()
    return None if found is None else _row(found)


def list_groups(
    conn: Connection, *, account_id: str, region: str, after: str | None, limit: int
) -> list[GroupRow]:
    """Up to ``limit`` groups of the scope in name order, after ``after`` when given."""
    c = resource_groups.c
    query = sa.select(resource_groups).where(c.account_id == account_id, c.region == region)
    if after is not None:
        query = query.where(c.name > after)
    return [_row(r) for r in conn.execute(query.order_by(c.name).limit(limit))]


def update_group(
    conn: Connection, *, account_id: str, region: str, name: str, values: Mapping[str, Any]
) -> bool:
    """Set columns of one group; False when there is no such group."""
    done = conn.execute(
        resource_groups.update().where(*_key(account_id, region, name)).values(**values)
    )
    return bool(done.rowcount)


def delete_group(conn: Connection, *, account_id: str, region: str, name: str) -> bool:
    done = conn.execute(resource_groups.delete().where(*_key(account_id, region, name)))
    return bool(done.rowcount)
