"""Reads and writes of compliance items and their per-resource roll-ups.

Every read leaves out resources that are no longer registered managed instances (a
deregistered host's compliance stays in the tables but is never reported).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.compliance.tables import (
    SEVERITY_COLUMNS,
    compliance_items,
    compliance_summaries,
)
from openssm.server.store.fleet.tables import managed_instances

_items, _sums = compliance_items, compliance_summaries
_CHUNK = 500

EQUAL, NOT_EQUAL, BEGIN_WITH = "EQUAL", "NOT_EQUAL", "BEGIN_WITH"
LESS_THAN, GREATER_THAN = "LESS_THAN", "GREATER_THAN"


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter: ``column <operator> values`` (datetimes for execution_time, else text)."""

    column: str
    operator: str
    values: tuple[str | dt.datetime, ...]


@dataclass(frozen=True, slots=True)
class ResourceKey:
    """One resource of one caller: (account, region, resource type, resource id)."""

    account_id: str
    region: str
    resource_type: str
    resource_id: str

    def where(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        return [
            *_of_type(table, self.account_id, self.region, self.resource_type),
            table.c.resource_id == self.resource_id,
        ]


def _of_type(
    table: sa.Table, account_id: str, region: str, resource_type: str
) -> list[sa.ColumnElement[bool]]:
    return [
        table.c.account_id == account_id,
        table.c.region == region,
        table.c.resource_type == resource_type,
    ]


@dataclass(frozen=True, slots=True)
class Execution:
    time: dt.datetime
    execution_id: str = ""
    execution_type: str = ""


@dataclass(frozen=True, slots=True)
class ItemRow:
    resource_type: str
    resource_id: str
    compliance_type: str
    item_id: str
    title: str
    severity: str
    status: str
    details: Mapping[str, str]
    execution: Execution


@dataclass(frozen=True, slots=True)
class SummaryRow:
    resource_type: str
    resource_id: str
    compliance_type: str
    status: str
    overall_severity: str
    # Item counts by severity, most severe first.
    compliant: tuple[int, ...]
    non_compliant: tuple[int, ...]
    execution: Execution
    content_hash: str


def _execution(row: Any) -> Execution:
    return Execution(row.execution_time, row.execution_id, row.execution_type)


def _summary(row: Any) -> SummaryRow:
    return SummaryRow(
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        compliance_type=row.compliance_type,
        status=row.status,
        overall_severity=row.overall_severity,
        compliant=tuple(row._mapping[c] for _s, c, _n in SEVERITY_COLUMNS),
        non_compliant=tuple(row._mapping[n] for _s, _c, n in SEVERITY_COLUMNS),
        execution=_execution(row),
        content_hash=row.content_hash,
    )


def _registered(table: sa.Table) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        managed_instances.c.instance_id == table.c.resource_id,
        managed_instances.c.deregistered_at.is_(None),
    )


# --- writes ------------------------------------------------------------------------------------


def summaries_of(conn: Connection, key: ResourceKey) -> dict[str, SummaryRow]:
    """The resource's roll-up rows, by compliance type."""
    rows = conn.execute(sa.select(_sums).where(*key.where(_sums))).all()
    return {row.compliance_type: _summary(row) for row in rows}


def delete_items(
    conn: Connection, key: ResourceKey, compliance_type: str, item_ids: Iterable[str] | None = None
) -> int:
    """Delete the resource's items of ``compliance_type`` (only ``item_ids`` when given)."""
    where = [*key.where(_items), _items.c.compliance_type == compliance_type]
    if item_ids is not None:
        where.append(_items.c.item_id.in_(list(item_ids)))
    return conn.execute(_items.delete().where(*where)).rowcount


def insert_items(conn: Connection, key: ResourceKey, items: Sequence[ItemRow]) -> None:
    """Insert items of the resource ``key`` names (each item's resource is that one)."""
    insert_rows(conn, key.account_id, key.region, items)


def insert_rows(conn: Connection, account_id: str, region: str, items: Sequence[ItemRow]) -> None:
    """Insert items of any resources of one account and region in one statement."""
    if not items:
        return
    conn.execute(
        _items.insert(),
        [
            {
                "account_id": account_id,
                "region": region,
                "resource_type": item.resource_type,
                "resource_id": item.resource_id,
                "compliance_type": item.compliance_type,
                "item_id": item.item_id,
                "title": item.title,
                "severity": item.severity,
                "status": item.status,
                "details": json.dumps(dict(item.details), separators=(",", ":"), sort_keys=True),
                "execution_time": item.execution.time,
                "execution_id": item.execution.execution_id,
                "execution_type": item.execution.execution_type,
            }
            for item in items
        ],
    )


def item_counts(
    conn: Connection, key: ResourceKey, compliance_type: str
) -> list[tuple[str, str, int]]:
    """(status, severity, count) of the resource's items of one type."""
    query = (
        sa.select(_items.c.status, _items.c.severity, sa.func.count())
        .where(*key.where(_items), _items.c.compliance_type == compliance_type)
        .group_by(_items.c.status, _items.c.severity)
    )
    return [(status, severity, int(n)) for status, severity, n in conn.execute(query)]


def write_summary(conn: Connection, key: ResourceKey, row: SummaryRow) -> None:
    delete_summary(conn, key, row.compliance_type)
    conn.execute(_sums.insert().values(**_summary_values(key.account_id, key.region, row)))


def _summary_values(account_id: str, region: str, row: SummaryRow) -> dict[str, Any]:
    values: dict[str, Any] = {
        "account_id": account_id,
        "region": region,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "compliance_type": row.compliance_type,
        "status": row.status,
        "overall_severity": row.overall_severity,
        "execution_time": row.execution.time,
        "execution_id": row.execution.execution_id,
        "execution_type": row.execution.execution_type,
        "content_hash": row.content_hash,
    }
    for (_severity, compliant, non_compliant), c, n in zip(
        SEVERITY_COLUMNS, row.compliant, row.non_compliant, strict=True
    ):
        values[compliant], values[non_compliant] = c, n
    return values


# --- many resources of one type at once (an association run's results) -------------------------
#
# Each function takes one account, region, resource type and compliance type and many resource
# ids, and costs one statement per chunk of ids (or one executemany), not one per resource.


@dataclass(frozen=True, slots=True)
class TypeScope:
    """One compliance type of one resource type, in one account and region."""

    account_id: str
    region: str
    resource_type: str
    compliance_type: str

    def where(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        return [
            *_of_type(table, self.account_id, self.region, self.resource_type),
            table.c.compliance_type == self.compliance_type,
        ]


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def summaries_of_many(
    conn: Connection, scope: TypeScope, resource_ids: Sequence[str]
) -> dict[str, SummaryRow]:
    """Each resource's roll-up row of the type, by resource id (none when it has none)."""
    found: dict[str, SummaryRow] = {}
    for chunk in _chunks(resource_ids):
        query = sa.select(_sums).where(*scope.where(_sums), _sums.c.resource_id.in_(chunk))
        found.update((row.resource_id, _summary(row)) for row in conn.execute(query))
    return found


def delete_items_many(conn: Connection, scope: TypeScope, items: Sequence[tuple[str, str]]) -> None:
    """Delete items by (resource id, item Id)."""
    if not items:
        return
    conn.execute(
        _items.delete().where(
            *scope.where(_items),
            _items.c.resource_id == sa.bindparam("b_resource_id"),
            _items.c.item_id == sa.bindparam("b_item_id"),
        ),
        [{"b_resource_id": r, "b_item_id": i} for r, i in items],
    )


def item_counts_many(
    conn: Connection, scope: TypeScope, resource_ids: Sequence[str]
) -> dict[str, list[tuple[str, str, int]]]:
    """Each resource's (status, severity, count) of its items of the type."""
    found: dict[str, list[tuple[str, str, int]]] = {}
    group = (_items.c.resource_id, _items.c.status, _items.c.severity)
    for chunk in _chunks(resource_ids):
        query = (
            sa.select(*group, sa.func.count())
            .where(*scope.where(_items), _items.c.resource_id.in_(chunk))
            .group_by(*group)
        )
        for resource_id, status, severity, n in conn.execute(query):
            found.setdefault(resource_id, []).append((status, severity, int(n)))
    return found


def replace_summaries(
    conn: Connection, scope: TypeScope, resource_ids: Sequence[str], rows: Sequence[SummaryRow]
) -> None:
    """Replace the resources' roll-up rows of the type with ``rows`` (a resource without one
    in ``rows`` is left with none)."""
    for chunk in _chunks(resource_ids):
        conn.execute(_sums.delete().where(*scope.where(_sums), _sums.c.resource_id.in_(chunk)))
    if rows:
        conn.execute(
            _sums.insert(), [_summary_values(scope.account_id, scope.region, r) for r in rows]
        )


def delete_summary(conn: Connection, key: ResourceKey, compliance_type: str) -> None:
    conn.execute(
        _sums.delete().where(*key.where(_sums), _sums.c.compliance_type == compliance_type)
    )


def resources_with_item(
    conn: Connection,
    scope: TypeScope,
    *,
    item_id: str,
    resource_ids: Sequence[str] | None = None,
) -> list[str]:
    """The ids of the resources holding an item of the type with this Id (among
    ``resource_ids`` when given)."""
    base = sa.select(_items.c.resource_id).where(*scope.where(_items), _items.c.item_id == item_id)
    if resource_ids is None:
        return sorted(r[0] for r in conn.execute(base))
    found: list[str] = []
    for chunk in _chunks(sorted(set(resource_ids))):
        found.extend(r[0] for r in conn.execute(base.where(_items.c.resource_id.in_(chunk))))
    return sorted(found)


# --- reads -------------------------------------------------------------------------------------


def _condition(table: sa.Table, condition: Condition) -> sa.ColumnElement[bool]:
    column = table.c[condition.column]
    values = list(condition.values)
    if condition.operator == EQUAL:
        return column.in_(values)
    if condition.operator == NOT_EQUAL:
        return column.not_in(values)
    if condition.operator == BEGIN_WITH:
        return sa.or_(*(column.startswith(v, autoescape=True) for v in values))
    return column < values[0] if condition.operator == LESS_THAN else column > values[0]


def _scoped(table: sa.Table, account_id: str, region: str) -> list[sa.ColumnElement[bool]]:
    return [table.c.account_id == account_id, table.c.region == region, _registered(table)]


def list_items(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    resource_ids: Sequence[str] | None,
    resource_types: Sequence[str] | None,
    conditions: Sequence[Condition],
    after: tuple[str, str, str, str] | None,
    limit: int,
) -> list[ItemRow]:
    """Items in (resource type, resource id, compliance type, Id) order, after ``after``."""
    order = (_items.c.resource_type, _items.c.resource_id, _items.c.compliance_type)
    query = sa.select(_items).where(
        *_scoped(_items, account_id, region), *(_condition(_items, c) for c in conditions)
    )
    if resource_ids:
        query = query.where(_items.c.resource_id.in_(list(resource_ids)))
    if resource_types:
        query = query.where(_items.c.resource_type.in_(list(resource_types)))
    if after is not None:
        query = query.where(sa.tuple_(*order, _items.c.item_id) > sa.tuple_(*after))
    query = query.order_by(*order, _items.c.item_id).limit(limit)
    return [
        ItemRow(
            resource_type=row.resource_type,
            resource_id=row.resource_id,
            compliance_type=row.compliance_type,
            item_id=row.item_id,
            title=row.title,
            severity=row.severity,
            status=row.status,
            details=json.loads(row.details),
            execution=_execution(row),
        )
        for row in conn.execute(query)
    ]


def list_summaries(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    conditions: Sequence[Condition],
    after: tuple[str, str, str] | None,
    limit: int,
) -> list[SummaryRow]:
    """Roll-up rows in (resource type, resource id, compliance type) order, after ``after``."""
    order = (_sums.c.resource_type, _sums.c.resource_id, _sums.c.compliance_type)
    query = sa.select(_sums).where(
        *_scoped(_sums, account_id, region), *(_condition(_sums, c) for c in conditions)
    )
    if after is not None:
        query = query.where(sa.tuple_(*order) > sa.tuple_(*after))
    return [_summary(row) for row in conn.execute(query.order_by(*order).limit(limit))]


def fleet_counts(
    conn: Connection, *, account_id: str, region: str, conditions: Sequence[Condition]
) -> list[tuple[str, str, str, int]]:
    """(compliance type, status, overall severity, resources) over the caller's resources."""
    group = (_sums.c.compliance_type, _sums.c.status, _sums.c.overall_severity)
    query = (
        sa.select(*group, sa.func.count())
        .where(*_scoped(_sums, account_id, region), *(_condition(_sums, c) for c in conditions))
        .group_by(*group)
    )
    return [(t, s, v, int(n)) for t, s, v, n in conn.execute(query)]
