"""The tagged resources of one account and region that a tag query names, a page at a time.

Every taggable resource keeps its tags in ``resource_tags`` (deleted and deregistered resources
lose theirs), so a group's members are read from that one table: rows of the wanted types
that carry every filter's key, each with one of its values (any value when it lists none).
Never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.schema import resource_tags


@dataclass(frozen=True, slots=True)
class KeyFilter:
    """A member carries ``key``, with one of ``values`` (any value when empty)."""

    key: str
    values: tuple[str, ...] = ()


def _matches(
    columns: sa.ColumnCollection[str, Any], wanted: KeyFilter
) -> list[sa.ColumnElement[bool]]:
    found = [columns.tag_key == wanted.key]
    if wanted.values:
        found.append(columns.tag_value.in_(sorted(wanted.values)))
    return found


def tagged_resources(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    resource_types: Sequence[str],
    filters: Sequence[KeyFilter],
    after: tuple[str, str] | None,
    limit: int,
) -> list[tuple[str, str]]:
    """Up to ``limit`` (resource type, resource id) pairs in that order, after ``after``.

    The first filter's own tag row drives the scan (one row per resource, as a resource has a
    key once); the other filters are EXISTS on the same resource's rows.
    """
    if not resource_types or not filters:
        return []
    t = resource_tags.alias("member")
    query = sa.select(t.c.resource_type, t.c.resource_id).where(
        t.c.account_id == account_id,
        t.c.region == region,
        t.c.resource_type.in_(sorted(resource_types)),
        *_matches(t.c, filters[0]),
    )
    for wanted in filters[1:]:
        other = resource_tags.alias()
        query = query.where(
            sa.exists().where(
                other.c.account_id == t.c.account_id,
                other.c.region == t.c.region,
                other.c.resource_type == t.c.resource_type,
                other.c.resource_id == t.c.resource_id,
                *_matches(other.c, wanted),
            )
        )
    if after is not None:
        last_type, last_id = after
        query = query.where(
            sa.or_(
                t.c.resource_type > last_type,
                sa.and_(t.c.resource_type == last_type, t.c.resource_id > last_id),
            )
        )
    query = query.order_by(t.c.resource_type, t.c.resource_id).limit(limit)
    return [(row[0], row[1]) for row in conn.execute(query)]
