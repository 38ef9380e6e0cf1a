"""Whether a server process is alive, as other processes sharing the database can tell.

Each server process has a replica id, new at every start. On PostgreSQL the process holds a
session-level advisory lock named by its id, on a connection of its own, for as long as it
runs; when the process dies its connection closes and PostgreSQL lets the lock go, so
another process that can take the lock knows the owner is gone, at once and without a
heartbeat table. On SQLite one process owns the database file, so any id other than the
current process's is a process that is no more.

If the lease's connection drops while the process lives (PostgreSQL restarted), the lease is
taken again at the next ``check``; in between, another replica may take this one for dead
and end its sessions.
"""

from __future__ import annotations

import logging
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("openssm.server.store")

# The advisory lock space of replica leases (the first of pg_advisory_lock's two int4 keys;
# fixed forever once used). The second key is the replica id read as a number.
_LEASE_SPACE = 0x0555_5E55


def new_replica_id() -> str:
    """Eight hex digits that fit PostgreSQL's int4 (31 random bits)."""
    return f"{secrets.randbits(31):08x}"


def _key(replica_id: str) -> dict[str, int]:
    return {"space": _LEASE_SPACE, "key": int(replica_id, 16)}


def is_gone(conn: Connection, replica_id: str, *, me: str) -> bool:
    """Whether the process ``replica_id`` has ended. On PostgreSQL this takes the dead one's
    lock for the rest of the transaction, which is what lets its sessions be ended once."""
    if replica_id == me:
        return False
    if conn.dialect.name != "postgresql":
        return True
    try:
        key = _key(replica_id)
    except ValueError:
        return True  # not an id any server process makes
    taken = conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:space, :key)"), key)
    return bool(taken.scalar())


class ReplicaLease:
    """This process's lock on PostgreSQL (nothing on SQLite). Blocking calls: run them in a
    worker thread."""

    def __init__(self, engine: Engine, replica_id: str) -> None:
        self._engine = engine
        self.replica_id = replica_id
        self._conn: Connection | None = None

    def hold(self) -> None:
        if self._engine.dialect.name != "postgresql" or self._conn is not None:
            return
        conn = self._engine.connect()
        try:
            conn.execute(sa.text("SELECT pg_advisory_lock(:space, :key)"), _key(self.replica_id))
            conn.commit()
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def check(self) -> None:
        """Take the lease again if its connection was lost."""
        conn = self._conn
        if conn is None:
            self.hold()
            return
        try:
            conn.execute(sa.text("SELECT 1"))
            conn.commit()
        except sa.exc.DBAPIError:
            log.warning(
                "replica %s: the lease's connection was lost; taking it again", self.replica_id
            )
            self.release()
            self.hold()

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sa.exc.DBAPIError:
                conn.invalidate()
