"""Rows of associations and their versions, read and written in SQL (the caller's transaction).

Listings page by keyset on the association id, so a page never skips or repeats a row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.associations.tables import association_versions, associations

_CHUNK = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class AssociationRow:
    association_id: str
    account_id: str
    region: str
    version: int
    name: str
    association_name: str | None
    instance_id: str | None
    spec: str
    created_at: dt.datetime
    updated_at: dt.datetime
    next_run_at: dt.datetime | None = None
    run_requested_at: dt.datetime | None = None
    last_execution_at: dt.datetime | None = None
    last_successful_execution_at: dt.datetime | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionRow:
    association_id: str
    version: int
    name: str
    association_name: str | None
    spec: str
    created_at: dt.datetime


_FIELDS = tuple(AssociationRow.__dataclass_fields__)


def _row(row: sa.Row[tuple[object, ...]]) -> AssociationRow:
    return AssociationRow(**row._mapping)


def insert(conn: Connection, row: AssociationRow) -> None:
    conn.execute(associations.insert().values({f: getattr(row, f) for f in _FIELDS}))
    add_version(conn, row)


def add_version(conn: Connection, row: AssociationRow) -> None:
    conn.execute(
        association_versions.insert().values(
            association_id=row.association_id,
            version=row.version,
            name=row.name,
            association_name=row.association_name,
            spec=row.spec,
            created_at=row.updated_at,
        )
    )


def replace(conn: Connection, row: AssociationRow) -> None:
    """Write a new current version of the association (its version row too)."""
    values = {f: getattr(row, f) for f in _FIELDS if f != "association_id"}
    conn.execute(
        associations.update()
        .where(associations.c.association_id == row.association_id)
        .values(values)
    )
    add_version(conn, row)


def _scope(account_id: str, region: str) -> list[sa.ColumnElement[bool]]:
    return [associations.c.account_id == account_id, associations.c.region == region]


def get(
    conn: Connection, *, account_id: str, region: str, association_id: str, lock: bool = False
) -> AssociationRow | None:
    query = sa.select(associations).where(
        *_scope(account_id, region), associations.c.association_id == association_id
    )
    if lock:
        query = query.with_for_update()
    found = conn.execute(query).first()
    return None if found is None else _row(found)


def get_by_id(conn: Connection, association_id: str) -> AssociationRow | None:
    found = conn.execute(
        sa.select(associations).where(associations.c.association_id == association_id)
    ).first()
    return None if found is None else _row(found)


def find_legacy(
    conn: Connection, *, account_id: str, region: str, name: str, instance_id: str
) -> AssociationRow | None:
    """The association of document ``name`` made with the legacy InstanceId form."""
    found = conn.execute(
        sa.select(associations).where(
            *_scope(account_id, region),
            associations.c.name == name,
            associations.c.instance_id == instance_id,
        )
    ).first()
    return None if found is None else _row(found)


def count(conn: Connection, *, account_id: str, region: str) -> int:
    return int(
        conn.execute(
            sa.select(sa.func.count()).select_from(associations).where(*_scope(account_id, region))
        ).scalar_one()
    )


def page(
    conn: Connection, *, account_id: str, region: str, after: str | None, limit: int
) -> list[AssociationRow]:
    query = sa.select(associations).where(*_scope(account_id, region))
    if after is not None:
        query = query.where(associations.c.association_id > after)
    rows = conn.execute(query.order_by(associations.c.association_id).limit(limit))
    return [_row(r) for r in rows]


def all_in_scope(conn: Connection, *, account_id: str, region: str) -> list[AssociationRow]:
    rows = conn.execute(sa.select(associations).where(*_scope(account_id, region)))
    return [_row(r) for r in rows]


def many(conn: Connection, association_ids: Iterable[str]) -> list[AssociationRow]:
    ids = list(association_ids)
    found: list[AssociationRow] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        rows = conn.execute(sa.select(associations).where(associations.c.association_id.in_(chunk)))
        found.extend(_row(r) for r in rows)
    return found


def delete(conn: Connection, association_id: str) -> None:
    # Rows that hang off it go with it (ON DELETE CASCADE); said here too, for SQLite
    # connections opened without foreign keys.
    conn.execute(associations.delete().where(associations.c.association_id == association_id))


def due(conn: Connection, now: dt.datetime, *, limit: int) -> list[AssociationRow]:
    """Associations with a run due: asked for, or their schedule came due."""
    rows = conn.execute(
        sa.select(associations)
        .where(
            sa.or_(associations.c.run_requested_at.is_not(None), associations.c.next_run_at <= now)
        )
        .order_by(associations.c.association_id)
        .limit(limit)
    )
    return [_row(r) for r in rows]


def claim_run(
    conn: Connection, row: AssociationRow, *, next_run_at: dt.datetime | None, now: dt.datetime
) -> bool:
    """Move the schedule on, only if nobody else did since ``row`` was read: a run starts once,
    whichever replica (or tick) gets here first. False when another got here first."""
    c = associations.c
    result = conn.execute(
        associations.update()
        .where(
            c.association_id == row.association_id,
            c.version == row.version,
            _same(c.next_run_at, row.next_run_at),
            _same(c.run_requested_at, row.run_requested_at),
        )
        .values(next_run_at=next_run_at, run_requested_at=None, last_execution_at=now)
    )
    return result.rowcount == 1


def _same(
    column: sa.ColumnElement[dt.datetime], value: dt.datetime | None
) -> sa.ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def request_run(conn: Connection, association_ids: Sequence[str], now: dt.datetime) -> None:
    conn.execute(
        associations.update()
        .where(associations.c.association_id.in_(list(association_ids)))
        .values(run_requested_at=now)
    )


def record_success(conn: Connection, association_id: str, when: dt.datetime) -> None:
    conn.execute(
        associations.update()
        .where(associations.c.association_id == association_id)
        .values(last_successful_execution_at=when)
    )


def set_status(conn: Connection, association_id: str, status: str, now: dt.datetime) -> None:
    conn.execute(
        associations.update()
        .where(associations.c.association_id == association_id)
        .values(status=status, updated_at=now)
    )


def versions(
    conn: Connection, association_id: str, *, after: int | None, limit: int
) -> list[VersionRow]:
    query = sa.select(association_versions).where(
        association_versions.c.association_id == association_id
    )
    if after is not None:
        query = query.where(association_versions.c.version > after)
    rows = conn.execute(query.order_by(association_versions.c.version).limit(limit))
    return [VersionRow(**r._mapping) for r in rows]


def get_version(conn: Connection, association_id: str, version: int) -> VersionRow | None:
    found = conn.execute(
        sa.select(association_versions).where(
            association_versions.c.association_id == association_id,
            association_versions.c.version == version,
        )
    ).first()
    return None if found is None else VersionRow(**found._mapping)
