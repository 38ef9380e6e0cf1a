"""Generation counters: one row per kind of data a server keeps in memory.

A writer bumps the counter in the transaction that changes the data; a reader
compares the counter with the one its cached copy was read at. Because the
counter lives in the database, the change is seen across processes (the admin
CLI, other replicas) as soon as it commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.schema import generations

if TYPE_CHECKING:
    from openssm.server.store.engine import Store


class Generation(StrEnum):
    IDENTITY = "identity"  # users, access keys, policies
    PARAMETERS = "parameters"  # parameters' current versions


# Plain SQL for Store.scalar, which runs it without SQLAlchemy on hot paths.
_CURRENT_SQL = {
    Generation.IDENTITY: "SELECT generation FROM generations WHERE name = 'identity'",
    Generation.PARAMETERS: "SELECT generation FROM generations WHERE name = 'parameters'",
}


# Every counter an API request may check, in one row: one round trip per request.
_SNAPSHOT_SQL = "SELECT " + ", ".join(f"({_CURRENT_SQL[kind]})" for kind in Generation)


def current_sql(kind: Generation) -> str:
    return _CURRENT_SQL[kind]


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """Every counter, read by one statement at the start of an API request."""

    identity: int
    parameters: int


async def snapshot(store: Store) -> Snapshot:
    row = await store.first_row(_SNAPSHOT_SQL)
    assert row is not None  # one SELECT of subqueries always yields a row
    values = dict(zip(Generation, row, strict=True))
    return Snapshot(
        identity=int(values[Generation.IDENTITY]), parameters=int(values[Generation.PARAMETERS])
    )


def current(conn: Connection, kind: Generation) -> int:
    value = conn.execute(
        sa.select(generations.c.generation).where(generations.c.name == kind.value)
    ).scalar_one()
    return int(value)


def bump(conn: Connection, kind: Generation) -> None:
    conn.execute(
        generations.update()
        .where(generations.c.name == kind.value)
        .values(generation=generations.c.generation + 1)
    )
