"""Inventory questions the database answers itself: which instances have an entry whose Name
is in a range, and how many instances hold each (Name, Version) value, read from the indexed
columns of one index range per wanted name or prefix.

Only entries whose asked-for columns are set are answered here. An entry whose value was
too long to index (or that lacks the attribute) has a NULL column; ``unindexed_entries`` hands
those to the caller, which reads their JSON. Their values cannot equal an indexed one (they
are longer than any), so the two parts never count the same value twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.inventory.repo import EntryRow, NameRange, Scope, name_conditions
from openssm.server.store.inventory.tables import inventory_entries

# The attributes an entry keeps in indexed columns, by column.
COLUMNS = {"Name": "name", "Version": "version"}


def _where(scope: Scope, type_name: str) -> list[sa.ColumnElement[bool]]:
    e = inventory_entries
    return [
        e.c.account_id == scope.account_id,
        e.c.region == scope.region,
        e.c.type_name == type_name,
    ]


def instances_named(conn: Connection, scope: Scope, type_name: str, names: NameRange) -> set[str]:
    """Instances with an entry whose indexed Name is in ``names``."""
    e = inventory_entries
    found: set[str] = set()
    for condition in name_conditions(names):
        # Not DISTINCT: SQLite would then walk the primary key, in instance order, over every
        # entry of the scope instead of the name range.
        query = sa.select(e.c.instance_id).where(*_where(scope, type_name), condition)
        found.update(r[0] for r in conn.execute(query.execution_options(yield_per=5000)))
    return found


def instance_counts(
    conn: Connection,
    scope: Scope,
    type_name: str,
    attributes: Sequence[str],
    names: NameRange | None,
) -> dict[tuple[str, ...], int]:
    """Instances per distinct value of ``attributes`` (Name, Version or both) over the entries
    (in ``names``) whose columns for them are all set."""
    e = inventory_entries
    columns = [e.c[COLUMNS[a]] for a in attributes]
    base = sa.select(*columns, sa.func.count(e.c.instance_id.distinct())).where(
        *_where(scope, type_name), *(c.is_not(None) for c in columns)
    )
    counts: dict[tuple[str, ...], int] = {}
    # The ranges are disjoint (name_conditions makes them so): no value is counted twice.
    for condition in [None] if names is None else name_conditions(names):
        query = base if condition is None else base.where(condition)
        for row in conn.execute(query.group_by(*columns)):
            counts[tuple(row[:-1])] = int(row[-1])
    return counts


def unindexed_entries(
    conn: Connection,
    scope: Scope,
    type_name: str,
    attributes: Sequence[str],
    names: NameRange | None,
) -> Iterator[EntryRow]:
    """The entries ``instance_counts`` leaves out: a column of ``attributes`` is NULL."""
    e = inventory_entries
    columns = [e.c[COLUMNS[a]] for a in attributes]
    select = sa.select(e.c.instance_id, e.c.name, e.c.version, e.c.content).where(
        *_where(scope, type_name)
    )
    missing = [c.is_(None) for c in columns]
    if names is None:
        queries = [select.where(sa.or_(*missing))]
    else:
        # A NULL name is in every range; with a name, the range and a NULL version.
        queries = [select.where(e.c.name.is_(None))]
        if "Version" in attributes:
            queries += [
                select.where(condition, e.c.version.is_(None))
                for condition in name_conditions(names)
            ]
    for query in queries:
        for row in conn.execute(query):
            yield EntryRow(instance_id=row[0], name=row[1], version=row[2], content=row[3])
