"""Which replica does a job this time: a PostgreSQL advisory lock, held for one transaction.

Replicas sharing PostgreSQL each run the same background loops; a job that must happen once
(the association scheduler's pass) takes a transaction-level advisory lock first and skips the
pass when another replica holds it. The lock goes with the transaction, so a replica that dies
mid-pass leaves nothing to clean up, and the next pass of any replica takes over. On SQLite
there is one process and BEGIN IMMEDIATE already serialises writers: the lock is always ours.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

# Advisory lock keys, one per job (any 64-bit numbers, fixed forever once used).
ASSOCIATION_SCHEDULER = 0x0555_4D_0001


def try_lead(conn: Connection, job: int) -> bool:
    """Whether this transaction leads ``job``: True on SQLite, else the advisory lock's word."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(
        conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": job}).scalar()
    )
