"""Managed-instance rows: registration, fleet listing with filters, presence, deregistration.

Ping status is derived in SQL from three columns, so a filter on it pages like any other:
Inactive once deregistered; Online while a channel holds the host and it was heard at or after
the cutoff; ConnectionLost otherwise.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.fleet.tables import managed_instances
from openssm.server.store.schema import resource_tags

TAG_RESOURCE_TYPE = "ManagedInstance"
_CHUNK = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceRow:
    instance_id: str
    account_id: str
    region: str
    activation_id: str
    name: str | None
    iam_role: str
    public_key: bytes
    fingerprint: str | None
    registered_at: dt.datetime
    deregistered_at: dt.datetime | None = None
    agent_version: str | None = None
    platform_type: str | None = None
    platform_name: str | None = None
    platform_version: str | None = None
    ip_address: str | None = None
    computer_name: str | None = None
    last_ping_at: dt.datetime | None = None
    channel_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceInfo:
    """What an agent reports about its host."""

    instance_id: str
    agent_version: str | None
    platform_type: str | None
    platform_name: str | None
    platform_version: str | None
    ip_address: str | None
    computer_name: str | None


# --- listing conditions (ANDed) ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnIn:
    """The named column's value is one of ``values``."""

    column: str
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class PingStatusIn:
    values: frozenset[str]


@dataclass(frozen=True, slots=True)
class TagIn:
    """The instance has tag ``key``, with one of ``values`` (any value when None)."""

    key: str
    values: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class TagKeyIn:
    """The instance has at least one of these tag keys."""

    keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class NoMatch:
    """A condition no managed instance satisfies (e.g. ResourceType EC2Instance)."""


Condition = ColumnIn | PingStatusIn | TagIn | TagKeyIn | NoMatch

_FILTER_COLUMNS = frozenset(
    {"instance_id", "agent_version", "platform_type", "activation_id", "iam_role"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceQuery:
    account_id: str
    region: str
    # A connected host heard from at or after this instant is Online.
    online_cutoff: dt.datetime
    conditions: tuple[Condition, ...] = ()
    after: str | None = None


def _instance(row: Any) -> InstanceRow:
    m = row._mapping
    return InstanceRow(
        instance_id=m["instance_id"],
        account_id=m["account_id"],
        region=m["region"],
        activation_id=m["activation_id"],
        name=m["name"],
        iam_role=m["iam_role"],
        public_key=bytes(m["public_key"]),
        fingerprint=m["fingerprint"],
        registered_at=m["registered_at"],
        deregistered_at=m["deregistered_at"],
        agent_version=m["agent_version"],
        platform_type=m["platform_type"],
        platform_name=m["platform_name"],
        platform_version=m["platform_version"],
        ip_address=m["ip_address"],
        computer_name=m["computer_name"],
        last_ping_at=m["last_ping_at"],
        channel_id=m["channel_id"],
    )


def ping_status_expression(
    online_cutoff: dt.datetime | sa.BindParameter[Any],
) -> sa.ColumnElement[str]:
    c = managed_instances.c
    return sa.case(
        (c.deregistered_at.is_not(None), sa.literal("Inactive")),
        (
            sa.and_(c.channel_id.is_not(None), c.last_ping_at >= online_cutoff),
            sa.literal("Online"),
        ),
        else_=sa.literal("ConnectionLost"),
    )


def _tag_exists(*conditions: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    t = resource_tags.c
    c = managed_instances.c
    return sa.exists().where(
        t.account_id == c.account_id,
        t.region == c.region,
        t.resource_type == TAG_RESOURCE_TYPE,
        t.resource_id == c.instance_id,
        *conditions,
    )


# A condition's shape: what its SQL looks like, its values aside (those are bound at execution).
_Shape = tuple[str, ...]


def _shape(condition: Condition) -> _Shape:
    if isinstance(condition, ColumnIn):
        if condition.column not in _FILTER_COLUMNS:
            raise ValueError(f"cannot filter managed instances on {condition.column!r}")
        return ("column", condition.column)
    if isinstance(condition, TagIn):
        return ("tag", "any" if condition.values is None else "in")
    return (type(condition).__name__,)


def _bound(n: int, condition: Condition) -> dict[str, Any]:
    """The values of the ``n``th condition, by the names its shape's SQL binds."""
    if isinstance(condition, ColumnIn | PingStatusIn):
        return {f"b_{n}": sorted(condition.values)}
    if isinstance(condition, TagIn):
        values = {f"b_{n}_key": condition.key}
        return (
            values if condition.values is None else {**values, f"b_{n}": sorted(condition.values)}
        )
    if isinstance(condition, TagKeyIn):
        return {f"b_{n}": sorted(condition.keys)}
    return {}


def _where(n: int, shape: _Shape, status: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    values: sa.BindParameter[Any] = sa.bindparam(f"b_{n}", expanding=True)
    kind = shape[0]
    if kind == "column":
        return managed_instances.c[shape[1]].in_(values)
    if kind == "PingStatusIn":
        return status.in_(values)
    if kind == "tag":
        key_matches = resource_tags.c.tag_key == sa.bindparam(f"b_{n}_key")
        if shape[1] == "any":
            return _tag_exists(key_matches)
        return _tag_exists(key_matches, resource_tags.c.tag_value.in_(values))
    if kind == "TagKeyIn":
        return _tag_exists(resource_tags.c.tag_key.in_(values))
    return sa.false()


@functools.lru_cache(maxsize=64)
def _listing(shapes: tuple[_Shape, ...], paged: bool) -> sa.Select[Any]:
    """list_instances' statement for conditions of these shapes, built once: SendCommand
    resolves its targets and pollers list the fleet again and again, and building it (and
    keying it for the compiled cache) cost more than running it."""
    c = managed_instances.c
    status = ping_status_expression(sa.bindparam("b_cutoff", type_=c.last_ping_at.type))
    select = sa.select(managed_instances, status.label("ping_status")).where(
        c.account_id == sa.bindparam("b_account_id"), c.region == sa.bindparam("b_region")
    )
    for n, shape in enumerate(shapes):
        select = select.where(_where(n, shape, status))
    if paged:
        select = select.where(c.instance_id > sa.bindparam("b_after"))
    return select.order_by(c.instance_id).limit(sa.bindparam("b_limit"))


def list_instances(
    conn: Connection, query: InstanceQuery, *, limit: int
) -> list[tuple[InstanceRow, str]]:
    """Up to ``limit`` instances of the scope in id order, each with its ping status."""
    select = _listing(tuple(_shape(c) for c in query.conditions), query.after is not None)
    values: dict[str, Any] = {
        "b_account_id": query.account_id,
        "b_region": query.region,
        "b_cutoff": query.online_cutoff,
        "b_limit": limit,
    }
    if query.after is not None:
        values["b_after"] = query.after
    for n, condition in enumerate(query.conditions):
        values.update(_bound(n, condition))
    return [(_instance(r), r._mapping["ping_status"]) for r in conn.execute(select, values)]


def existing_ids(
    conn: Connection, *, account_id: str, region: str, instance_ids: Iterable[str]
) -> set[str]:
    """Those of ``instance_ids`` registered in the scope (deregistered ones included)."""
    c = managed_instances.c
    return _ids_where(conn, instance_ids, c.account_id == account_id, c.region == region)


def active_ids(
    conn: Connection, *, account_id: str, region: str, instance_ids: Iterable[str]
) -> set[str]:
    """Those of ``instance_ids`` registered in the scope and not deregistered."""
    c = managed_instances.c
    return _ids_where(
        conn,
        instance_ids,
        c.account_id == account_id,
        c.region == region,
        c.deregistered_at.is_(None),
    )


def deregistered_among(conn: Connection, instance_ids: Iterable[str]) -> set[str]:
    """Those of ``instance_ids`` that are deregistered (instance ids are unique server-wide)."""
    return _ids_where(conn, instance_ids, managed_instances.c.deregistered_at.is_not(None))


def _ids_where(
    conn: Connection, instance_ids: Iterable[str], *conditions: sa.ColumnElement[bool]
) -> set[str]:
    ids = sorted(set(instance_ids))
    c = managed_instances.c
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = conn.execute(sa.select(c.instance_id).where(c.instance_id.in_(chunk), *conditions))
        found.update(r[0] for r in rows)
    return found


def is_id_taken(conn: Connection, instance_id: str) -> bool:
    c = managed_instances.c
    row = conn.execute(sa.select(c.instance_id).where(c.instance_id == instance_id)).first()
    return row is not None


def insert_instance(conn: Connection, row: InstanceRow) -> None:
    conn.execute(
        managed_instances.insert().values(
            instance_id=row.instance_id,
            account_id=row.account_id,
            region=row.region,
            activation_id=row.activation_id,
            name=row.name,
            iam_role=row.iam_role,
            public_key=row.public_key,
            fingerprint=row.fingerprint,
            registered_at=row.registered_at,
        )
    )


def get_instance(conn: Connection, instance_id: str) -> InstanceRow | None:
    """The instance with this id in any account (ids are globally unique)."""
    row = conn.execute(
        sa.select(managed_instances).where(managed_instances.c.instance_id == instance_id)
    ).first()
    return None if row is None else _instance(row)


def _active(account_id: str, region: str, instance_id: str) -> list[sa.ColumnElement[bool]]:
    c = managed_instances.c
    return [
        c.instance_id == instance_id,
        c.account_id == account_id,
        c.region == region,
        c.deregistered_at.is_(None),
    ]


def deregister_instance(
    conn: Connection, *, account_id: str, region: str, instance_id: str, now: dt.datetime
) -> bool:
    """Mark an active instance deregistered; False when there is none to deregister."""
    result = conn.execute(
        managed_instances.update()
        .where(*_active(account_id, region, instance_id))
        .values(deregistered_at=now, channel_id=None)
    )
    return result.rowcount == 1


def update_iam_role(
    conn: Connection, *, account_id: str, region: str, instance_id: str, iam_role: str
) -> bool:
    result = conn.execute(
        managed_instances.update()
        .where(*_active(account_id, region, instance_id))
        .values(iam_role=iam_role)
    )
    return result.rowcount == 1


def is_active(conn: Connection, *, account_id: str, region: str, instance_id: str) -> bool:
    row = conn.execute(
        sa.select(managed_instances.c.instance_id).where(*_active(account_id, region, instance_id))
    ).first()
    return row is not None


# --- presence, written in batches --------------------------------------------------------------

_ID: sa.BindParameter[str] = sa.bindparam("b_instance_id", type_=sa.String())


def record_connections(conn: Connection, items: Sequence[tuple[str, str, dt.datetime]]) -> None:
    """(instance id, channel id, when): the channel now holds the host, heard at that instant."""
    if not items:
        return
    c = managed_instances.c
    conn.execute(
        managed_instances.update()
        .where(c.instance_id == _ID, c.deregistered_at.is_(None))
        .values(channel_id=sa.bindparam("b_channel_id"), last_ping_at=sa.bindparam("b_at")),
        [{"b_instance_id": i, "b_channel_id": ch, "b_at": at} for i, ch, at in items],
    )


def record_pings(conn: Connection, items: Sequence[tuple[str, dt.datetime]]) -> None:
    if not items:
        return
    c = managed_instances.c
    conn.execute(
        managed_instances.update()
        .where(c.instance_id == _ID, c.deregistered_at.is_(None))
        .values(last_ping_at=sa.bindparam("b_at")),
        [{"b_instance_id": i, "b_at": at} for i, at in items],
    )


def record_disconnections(conn: Connection, items: Sequence[tuple[str, str]]) -> None:
    """(instance id, channel id): that channel no longer holds the host.

    A newer channel of the same host is left alone: only a row still naming this channel is
    cleared.
    """
    if not items:
        return
    c = managed_instances.c
    conn.execute(
        managed_instances.update()
        .where(c.instance_id == _ID, c.channel_id == sa.bindparam("b_channel_id"))
        .values(channel_id=None),
        [{"b_instance_id": i, "b_channel_id": ch} for i, ch in items],
    )


def record_info(conn: Connection, items: Collection[InstanceInfo]) -> None:
    if not items:
        return
    c = managed_instances.c
    conn.execute(
        managed_instances.update()
        .where(c.instance_id == _ID, c.deregistered_at.is_(None))
        .values(
            agent_version=sa.bindparam("b_agent_version"),
            platform_type=sa.bindparam("b_platform_type"),
            platform_name=sa.bindparam("b_platform_name"),
            platform_version=sa.bindparam("b_platform_version"),
            ip_address=sa.bindparam("b_ip_address"),
            computer_name=sa.bindparam("b_computer_name"),
        ),
        [
            {
                "b_instance_id": i.instance_id,
                "b_agent_version": i.agent_version,
                "b_platform_type": i.platform_type,
                "b_platform_name": i.platform_name,
                "b_platform_version": i.platform_version,
                "b_ip_address": i.ip_address,
                "b_computer_name": i.computer_name,
            }
            for i in items
        ],
    )
