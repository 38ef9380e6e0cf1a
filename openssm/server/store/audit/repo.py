"""Audit rows: insert a batch, look up newest first by one attribute, prune by age.

Never commits. Rows arrive already shaped (``AuditRow``); the record's JSON is written as
given and only read back whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.audit.tables import audit_events, audit_resources

# Rows deleted per statement when pruning: short transactions, however much is due.
PRUNE_BATCH = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceName:
    name: str
    resource_type: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRow:
    event_id: str
    account_id: str
    region: str
    event_time: dt.datetime
    event_source: str
    event_name: str
    user_name: str
    access_key_id: str
    read_only: bool
    error_code: str | None
    record: str
    resources: tuple[ResourceName, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Cursor:
    """Where a page ended: the last row's time and id (rows are read newest first)."""

    event_time: dt.datetime
    row_id: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """One LookupEvents question: a scope, a time range and at most one attribute."""

    account_id: str
    region: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    # A column of audit_events and the value it must equal.
    column: str | None = None
    value: str | bool | None = None
    resource_names: tuple[str, ...] = ()
    resource_type: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FoundRow:
    row_id: int
    event_time: dt.datetime
    record: str


def insert_rows(conn: Connection, rows: Sequence[AuditRow]) -> None:
    """The rows and the resources they name, in two statements whatever their number."""
    if not rows:
        return
    columns = [f.name for f in dataclasses.fields(AuditRow) if f.name != "resources"]
    conn.execute(
        audit_events.insert(), [{name: getattr(row, name) for name in columns} for row in rows]
    )
    resources = [
        {"event_id": row.event_id, "name": name, "resource_type": kind}
        for row in rows
        for name, kind in {r.name: r.resource_type for r in row.resources}.items()
    ]
    if resources:
        conn.execute(audit_resources.insert(), resources)


def lookup(
    conn: Connection, question: Lookup, *, after: Cursor | None, limit: int
) -> list[FoundRow]:
    """Up to ``limit`` rows answering ``question``, newest first, after ``after``."""
    c = audit_events.c
    query = sa.select(c.id, c.event_time, c.record).where(
        c.account_id == question.account_id, c.region == question.region
    )
    if question.start is not None:
        query = query.where(c.event_time >= question.start)
    if question.end is not None:
        query = query.where(c.event_time <= question.end)
    if question.column is not None:
        query = query.where(c[question.column] == question.value)
    if question.resource_names or question.resource_type is not None:
        r = audit_resources.c
        named = sa.select(r.event_id)
        if question.resource_names:
            named = named.where(r.name.in_(question.resource_names))
        if question.resource_type is not None:
            named = named.where(r.resource_type == question.resource_type)
        query = query.where(c.event_id.in_(named))
    if after is not None:
        query = query.where(
            sa.or_(
                c.event_time < after.event_time,
                sa.and_(c.event_time == after.event_time, c.id < after.row_id),
            )
        )
    query = query.order_by(c.event_time.desc(), c.id.desc()).limit(limit)
    return [
        FoundRow(row_id=int(row.id), event_time=row.event_time, record=row.record)
        for row in conn.execute(query)
    ]


def prune_before(conn: Connection, cutoff: dt.datetime, *, limit: int = PRUNE_BATCH) -> int:
    """Delete up to ``limit`` of the oldest rows recorded before ``cutoff``; how many went."""
    c = audit_events.c
    doomed = list(
        conn.execute(
            sa.select(c.event_id).where(c.event_time < cutoff).order_by(c.event_time).limit(limit)
        ).scalars()
    )
    if not doomed:
        return 0
    # Explicitly, not by the foreign key's cascade, which SQLite applies only when asked to.
    conn.execute(audit_resources.delete().where(audit_resources.c.event_id.in_(doomed)))
    conn.execute(audit_events.delete().where(c.event_id.in_(doomed)))
    return len(doomed)
