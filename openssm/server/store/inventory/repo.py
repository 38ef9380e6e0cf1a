"""Reads and writes of inventory rows. No commits: the caller's transaction holds them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.inventory.tables import (
    INDEXED_CHARS,
    inventory_deletions,
    inventory_entries,
    inventory_items,
    inventory_schemas,
)

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Scope:
    account_id: str
    region: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemRow:
    instance_id: str
    type_name: str
    schema_version: str
    capture_time: str
    content_hash: str
    entry_count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryRow:
    instance_id: str
    name: str | None
    version: str | None
    content: str

    def entry(self) -> dict[str, str]:
        value: dict[str, str] = json.loads(self.content)
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class SchemaRow:
    type_name: str
    version: str
    attributes: tuple[str, ...]
    disabled_version: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletionRow:
    deletion_id: str
    type_name: str
    started_at: dt.datetime
    last_status: str
    last_status_message: str
    summary: str
    last_status_updated_at: dt.datetime


def _scope(table: sa.Table, scope: Scope) -> list[sa.ColumnElement[bool]]:
    return [table.c.account_id == scope.account_id, table.c.region == scope.region]


def _item(row: sa.Row[tuple[object, ...]]) -> ItemRow:
    m = row._mapping
    return ItemRow(
        instance_id=m["instance_id"],
        type_name=m["type_name"],
        schema_version=m["schema_version"],
        capture_time=m["capture_time"],
        content_hash=m["content_hash"],
        entry_count=m["entry_count"],
    )


# --- items -------------------------------------------------------------------------------------


def get_item(conn: Connection, scope: Scope, instance_id: str, type_name: str) -> ItemRow | None:
    t = inventory_items
    row = conn.execute(
        sa.select(t).where(
            *_scope(t, scope), t.c.instance_id == instance_id, t.c.type_name == type_name
        )
    ).first()
    return None if row is None else _item(row)


def items_of_instance(conn: Connection, scope: Scope, instance_id: str) -> list[ItemRow]:
    t = inventory_items
    rows = conn.execute(
        sa.select(t)
        .where(*_scope(t, scope), t.c.instance_id == instance_id)
        .order_by(t.c.type_name)
    )
    return [_item(r) for r in rows]


def items_of_type(
    conn: Connection, scope: Scope, type_name: str, instance_ids: Iterable[str] | None = None
) -> dict[str, ItemRow]:
    """The type's item of each instance (of ``instance_ids`` when given)."""
    t = inventory_items
    where = [*_scope(t, scope), t.c.type_name == type_name]
    if instance_ids is None:
        return {r.instance_id: r for r in map(_item, conn.execute(sa.select(t).where(*where)))}
    found: dict[str, ItemRow] = {}
    ids = sorted(set(instance_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = conn.execute(sa.select(t).where(*where, t.c.instance_id.in_(chunk)))
        found.update((r.instance_id, r) for r in map(_item, rows))
    return found


def instances_with_types(conn: Connection, scope: Scope, type_names: Iterable[str]) -> set[str]:
    t = inventory_items
    rows = conn.execute(
        sa.select(t.c.instance_id)
        .where(*_scope(t, scope), t.c.type_name.in_(sorted(set(type_names))))
        .distinct()
    )
    return {r[0] for r in rows}


def type_counts(conn: Connection, scope: Scope, type_name: str) -> dict[str, int]:
    """Instances holding the type, by schema version."""
    t = inventory_items
    rows = conn.execute(
        sa.select(t.c.schema_version, sa.func.count())
        .where(*_scope(t, scope), t.c.type_name == type_name)
        .group_by(t.c.schema_version)
    )
    return {r[0]: int(r[1]) for r in rows}


def _indexed(value: str | None) -> str | None:
    return value if value is not None and len(value) <= INDEXED_CHARS else None


def replace_item(
    conn: Connection,
    scope: Scope,
    item: ItemRow,
    entries: Sequence[Mapping[str, str]],
    now: dt.datetime,
) -> None:
    """The instance's item of this type becomes ``item`` with exactly ``entries``."""
    delete_items(conn, scope, item.type_name, instance_id=item.instance_id)
    values = {
        "account_id": scope.account_id,
        "region": scope.region,
        "instance_id": item.instance_id,
        "type_name": item.type_name,
    }
    conn.execute(
        inventory_items.insert().values(
            **values,
            schema_version=item.schema_version,
            capture_time=item.capture_time,
            content_hash=item.content_hash,
            entry_count=len(entries),
            updated_at=now,
        )
    )
    if entries:
        conn.execute(
            inventory_entries.insert(),
            [
                {
                    **values,
                    "position": position,
                    "name": _indexed(entry.get("Name")),
                    "version": _indexed(entry.get("Version")),
                    "content": json.dumps(entry, separators=(",", ":"), ensure_ascii=False),
                }
                for position, entry in enumerate(entries)
            ],
        )


def touch_item(
    conn: Connection, scope: Scope, instance_id: str, type_name: str, capture_time: str
) -> None:
    """The same content was reported again: only its capture time moves."""
    t = inventory_items
    conn.execute(
        t.update()
        .where(*_scope(t, scope), t.c.instance_id == instance_id, t.c.type_name == type_name)
        .values(capture_time=capture_time)
    )


def delete_items(
    conn: Connection, scope: Scope, type_name: str, *, instance_id: str | None = None
) -> int:
    """Remove the type's items (of one instance, or of all); returns how many items went."""
    counts = 0
    for table in (inventory_entries, inventory_items):
        where = [*_scope(table, scope), table.c.type_name == type_name]
        if instance_id is not None:
            where.append(table.c.instance_id == instance_id)
        result = conn.execute(table.delete().where(*where))
        if table is inventory_items:
            counts = result.rowcount
    return counts


# --- entries -----------------------------------------------------------------------------------


def entries_of(
    conn: Connection,
    scope: Scope,
    instance_id: str,
    type_name: str,
    names: NameRange | None = None,
) -> list[EntryRow]:
    """The instance's entries of the type in order (those ``names`` allows, when given)."""
    e = inventory_entries
    select = sa.select(e.c.instance_id, e.c.name, e.c.version, e.c.content).where(
        *_scope(e, scope), e.c.instance_id == instance_id, e.c.type_name == type_name
    )
    if names is not None:
        # One instance's entries are few: an OR of the ranges reads no more than they are.
        select = select.where(sa.or_(e.c.name.is_(None), *name_conditions(names)))
    rows = conn.execute(select.order_by(e.c.position))
    return [EntryRow(instance_id=r[0], name=r[1], version=r[2], content=r[3]) for r in rows]


@dataclass(frozen=True, slots=True)
class NameRange:
    """Narrows a scan by the indexed Name column: equal to one of ``values``, or starting with
    one of ``prefixes``. Entries whose Name was too long to index are always included."""

    values: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()


# Above every character: [prefix, prefix + _TOP) holds exactly the names starting with prefix
# in byte order (SQLite's BINARY, PostgreSQL's collation "C").
_TOP = "\U0010ffff"


def name_conditions(names: NameRange) -> list[sa.ColumnElement[bool]]:
    """Disjoint conditions on the indexed Name, each one index range, that together hold the
    names ``names`` allows (entries without an indexed Name aside): a prefix that another
    prefix covers, or a value one covers, is left out, so no entry is read twice."""
    e = inventory_entries
    prefixes = sorted(set(names.prefixes))
    kept = [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]
    values = sorted({v for v in names.values if not any(v.startswith(p) for p in kept)})
    conditions: list[sa.ColumnElement[bool]] = [
        sa.and_(e.c.name >= p, e.c.name < p + _TOP) for p in kept
    ]
    if values:
        conditions.append(e.c.name.in_(values))
    return conditions


def scan_entries(
    conn: Connection,
    scope: Scope,
    type_name: str,
    *,
    names: NameRange | None = None,
    with_content: bool = True,
) -> Iterator[EntryRow]:
    """Every entry of the type (narrowed by ``names``), instance by instance.

    Each name range is its own query, so each reads one range of the (type, name) index; an
    OR of them would read the whole type. Without ``with_content``, an entry's JSON is read
    only when its Name or Version column is NULL (too long to index, or absent), where the
    JSON alone has the value."""
    e = inventory_entries
    content: sa.ColumnElement[str] = e.c.content
    if not with_content:
        unindexed = sa.or_(e.c.name.is_(None), e.c.version.is_(None))
        content = sa.case((unindexed, e.c.content), else_=sa.literal(""))
    columns = [e.c.instance_id, e.c.name, e.c.version, content]
    select = sa.select(*columns).where(*_scope(e, scope), e.c.type_name == type_name)
    ranges: list[sa.ColumnElement[bool] | None] = [None]
    if names is not None:
        ranges = [e.c.name.is_(None), *name_conditions(names)]
    for condition in ranges:
        query = select if condition is None else select.where(condition)
        for row in conn.execute(query.execution_options(yield_per=2000)):
            yield EntryRow(instance_id=row[0], name=row[1], version=row[2], content=row[3])


# --- custom schemas ----------------------------------------------------------------------------


def _schema(row: sa.Row[tuple[object, ...]]) -> SchemaRow:
    m = row._mapping
    return SchemaRow(
        type_name=m["type_name"],
        version=m["version"],
        attributes=tuple(json.loads(m["attributes"])),
        disabled_version=m["disabled_version"],
    )


def list_schemas(conn: Connection, scope: Scope) -> list[SchemaRow]:
    s = inventory_schemas
    rows = conn.execute(sa.select(s).where(*_scope(s, scope)).order_by(s.c.type_name))
    return [_schema(r) for r in rows]


def get_schema(conn: Connection, scope: Scope, type_name: str) -> SchemaRow | None:
    s = inventory_schemas
    row = conn.execute(sa.select(s).where(*_scope(s, scope), s.c.type_name == type_name)).first()
    return None if row is None else _schema(row)


def put_schema(conn: Connection, scope: Scope, row: SchemaRow, now: dt.datetime) -> None:
    s = inventory_schemas
    conn.execute(s.delete().where(*_scope(s, scope), s.c.type_name == row.type_name))
    conn.execute(
        s.insert().values(
            account_id=scope.account_id,
            region=scope.region,
            type_name=row.type_name,
            version=row.version,
            attributes=json.dumps(list(row.attributes)),
            disabled_version=row.disabled_version,
            created_at=now,
        )
    )


def delete_schema(conn: Connection, scope: Scope, type_name: str) -> None:
    s = inventory_schemas
    conn.execute(s.delete().where(*_scope(s, scope), s.c.type_name == type_name))


# --- deletions ---------------------------------------------------------------------------------


def insert_deletion(conn: Connection, scope: Scope, row: DeletionRow) -> None:
    conn.execute(
        inventory_deletions.insert().values(
            account_id=scope.account_id,
            region=scope.region,
            deletion_id=row.deletion_id,
            type_name=row.type_name,
            started_at=row.started_at,
            last_status=row.last_status,
            last_status_message=row.last_status_message,
            summary=row.summary,
            last_status_updated_at=row.last_status_updated_at,
        )
    )


def list_deletions(
    conn: Connection, scope: Scope, *, deletion_id: str | None, offset: int, limit: int
) -> list[DeletionRow]:
    d = inventory_deletions
    select = sa.select(d).where(*_scope(d, scope))
    if deletion_id is not None:
        select = select.where(d.c.deletion_id == deletion_id)
    select = select.order_by(d.c.started_at.desc(), d.c.deletion_id).offset(offset).limit(limit)
    return [
        DeletionRow(
            deletion_id=m["deletion_id"],
            type_name=m["type_name"],
            started_at=m["started_at"],
            last_status=m["last_status"],
            last_status_message=m["last_status_message"],
            summary=m["summary"],
            last_status_updated_at=m["last_status_updated_at"],
        )
        for m in (r._mapping for r in conn.execute(select))
    ]
