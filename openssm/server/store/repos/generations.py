"""Generation counters: one row per kind of data a server keeps in memory.

A writer bumps the counter in the transaction that changes the data; a reader
compares the counter with the one its cached copy was read at. Because the
counter lives in the database, the change is seen across processes (the admin
CLI, other replicas) as soon as it commits.
"""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.schema import generations


class Generation(StrEnum):
    IDENTITY = "identity"  # users, access keys, policies
    PARAMETERS = "parameters"  # parameters' current versions


# Plain SQL for Store.scalar, which runs it without SQLAlchemy on hot paths.
_CURRENT_SQL = {
    Generation.IDENTITY: "SELECT generation FROM generations WHERE name = 'identity'",
    Generation.PARAMETERS: "SELECT generation FROM generations WHERE name = 'parameters'",
}


def current_sql(kind: Generation) -> str:
    return _CURRENT_SQL[kind]


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
