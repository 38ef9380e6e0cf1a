"""Engine factory for SQLite (embedded default) and PostgreSQL, and the Store
that runs blocking database work off the event loop.

Repositories are plain functions taking a SQLAlchemy ``Connection``; the Store
opens the transaction, commits or rolls back, and never lets a repository commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from openssm.errors import ConcurrentUpdate, ConfigError, ConstraintViolation, DuplicateKey

T = TypeVar("T")

# How many times a write runs when a concurrent writer keeps taking its unique key first.
WRITE_ATTEMPTS = 3
# sqlite3's extended result codes for a unique or primary-key violation (Python ≥ 3.11
# exposes them as ``sqlite_errorname``); PostgreSQL's SQLSTATE for unique_violation.
_SQLITE_UNIQUE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
_POSTGRES_UNIQUE = "23505"
# When SQLite syncs a commit to disk. FULL syncs the WAL before COMMIT returns, so a write the
# API acknowledged survives a power loss; NORMAL syncs only at checkpoints, so a power loss can
# take back the last commits (an application crash cannot, in either). A SQLite database URL
# may choose another level (``sqlite:///…?synchronous=NORMAL``): for a scratch database, or to
# measure what FULL costs (bench/api_throughput.py --synchronous).
SQLITE_SYNCHRONOUS = "FULL"
_SQLITE_SYNCHRONOUS_LEVELS = ("EXTRA", "FULL", "NORMAL", "OFF")


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a write because a unique key was taken (and nothing else:
    NOT NULL, foreign keys and CHECKs fail for other reasons)."""
    orig = exc.orig
    return (
        getattr(orig, "sqlite_errorname", None) in _SQLITE_UNIQUE
        or getattr(orig, "sqlstate", None) == _POSTGRES_UNIQUE
    )


def normalise_url(url: str) -> str:
    """Route PostgreSQL URLs to the psycopg 3 driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, pool_size: int = 8) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        parsed = sa.make_url(url)
        synchronous = parsed.query.get("synchronous", SQLITE_SYNCHRONOUS)
        if not isinstance(synchronous, str) or synchronous.upper() not in (
            _SQLITE_SYNCHRONOUS_LEVELS
        ):
            raise ConfigError(
                f"the database URL's synchronous={synchronous!r} must be one of "
                + ", ".join(_SQLITE_SYNCHRONOUS_LEVELS)
            )
        engine = sa.create_engine(
            parsed.difference_update_query(["synchronous"]),
            pool_size=pool_size,
            max_overflow=4,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _configure_sqlite(engine, synchronous=synchronous.upper())
        return engine
    return sa.create_engine(url, pool_size=pool_size, max_overflow=4, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, *, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module so that we can
        # choose BEGIN IMMEDIATE for writes (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed while one writer writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # one of the known levels
        cursor.execute("PRAGMA foreign_keys=ON")
        # Writers queue for the lock instead of failing at once with SQLITE_BUSY.
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes can fail with
        # SQLITE_BUSY when another writer got in between; IMMEDIATE takes the
        # write lock up front, so writers queue on busy_timeout instead.
        # Straight to the driver: SQLAlchemy's statement pipeline would cost more
        # than the statement on a hot read path.
        statement = "BEGIN IMMEDIATE" if conn.info.get("openssm_write") else "BEGIN"
        conn.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]


class Store:
    """Runs transactions: writes on a bounded pool of worker threads, and reads
    there too except on SQLite.

    On SQLite in WAL mode a read never waits for a lock (writers append to the
    WAL, readers keep their snapshot), so a read is pure in-process CPU work; a
    thread hop would only add its own cost and a fight for the GIL. Writes may
    queue on the write lock (busy_timeout), so they always leave the event loop.
    """

    def __init__(self, engine: Engine, *, worker_threads: int = 8) -> None:
        self.engine = engine
        self._executor = ThreadPoolExecutor(
            max_workers=worker_threads, thread_name_prefix="openssm-db"
        )
        # SQLite only: the one connection the event loop reads on. Reads on the loop
        # never interleave (nothing awaits inside one), so one connection serves them
        # all and saves a pool checkout per read.
        self._loop_connection = engine.connect() if is_sqlite(engine) else None
        # Elsewhere: one autocommit driver connection for ``scalar`` (one round trip per
        # call instead of checkout, ping, BEGIN, statement and COMMIT), used by one
        # worker thread at a time.
        self._scalar_lock = threading.Lock()
        self._scalar_connection: Any = None

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.info["openssm_write"] = write
            try:
                with conn.begin():
                    yield conn
            except IntegrityError as exc:
                if is_unique_violation(exc):
                    raise DuplicateKey(str(exc.orig)) from exc
                raise ConstraintViolation(
                    f"a bug wrote a row the schema refuses: {exc.orig}"
                ) from exc

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        with self.transaction(write=False) as conn:
            return fn(conn)

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        with self.transaction(write=True) as conn:
            return fn(conn)

    async def read(self, fn: Callable[[Connection], T]) -> T:
        if self._loop_connection is not None:
            with self._loop_connection.begin():
                return fn(self._loop_connection)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self.read_sync, fn))

    async def scan(self, fn: Callable[[Connection], T]) -> T:
        """A read that may visit many rows (a listing, a path walk, a history): always on a
        worker thread, so a long scan never stalls the event loop that serves agents'
        heartbeats and every other request (``read`` keeps SQLite's point reads on it)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self.read_sync, fn))

    async def write(self, fn: Callable[[Connection], T]) -> T:
        """``fn`` in one write transaction: however many rows it changes, they commit (and,
        on SQLite, reach the disk) together, once, before this returns."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(self.write_sync, fn))

    async def write_retrying(self, fn: Callable[[Connection], T]) -> T:
        """A write transaction, run again when a concurrent writer took the same unique key
        first (``fn`` then sees that writer's row); ConcurrentUpdate once it has lost
        WRITE_ATTEMPTS times. Other failures are never retried."""
        for _ in range(WRITE_ATTEMPTS):
            try:
                return await self.write(fn)
            except DuplicateKey:
                continue
        raise ConcurrentUpdate(f"a unique key was taken concurrently {WRITE_ATTEMPTS} times")

    async def scalar(self, sql: str) -> Any:
        """The first column of ``first_row(sql)``, or None when there is no row."""
        row = await self.first_row(sql)
        return None if row is None else row[0]

    async def first_row(self, sql: str) -> tuple[Any, ...] | None:
        """The first row of one constant read-only statement.

        For values read on every request: on SQLite it skips SQLAlchemy and the
        transaction bookkeeping (a single statement is its own snapshot).
        """
        if self._loop_connection is not None:
            driver = self._loop_connection.connection.dbapi_connection
            row = driver.execute(sql).fetchone()  # type: ignore[union-attr]
            return None if row is None else tuple(row)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._first_row_sync, sql)

    def _first_row_sync(self, sql: str) -> tuple[Any, ...] | None:
        with self._scalar_lock:
            try:
                return self._first_row_once(sql)
            except self.engine.dialect.loaded_dbapi.OperationalError:
                # The database restarted or the connection dropped: one fresh try.
                self._drop_scalar_connection()
                return self._first_row_once(sql)

    def _first_row_once(self, sql: str) -> tuple[Any, ...] | None:
        if self._scalar_connection is None:
            connection = self.engine.raw_connection()
            # Out of the pool for good: its autocommit mode must never reach a transaction.
            connection.detach()
            connection.dbapi_connection.autocommit = True  # type: ignore[union-attr]
            self._scalar_connection = connection
        cursor = self._scalar_connection.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else tuple(row)

    def _drop_scalar_connection(self) -> None:
        connection, self._scalar_connection = self._scalar_connection, None
        if connection is not None:
            with contextlib.suppress(Exception):  # it is broken already; only let it go
                connection.close()

    def close(self) -> None:
        if self._loop_connection is not None:
            self._loop_connection.close()
        with self._scalar_lock:
            self._drop_scalar_connection()
        self._executor.shutdown(wait=True)
        self.engine.dispose()
