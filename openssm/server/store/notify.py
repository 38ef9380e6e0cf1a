"""Wake-ups between server replicas that share PostgreSQL: NOTIFY in a transaction, LISTEN in
a thread.

The database stays the truth; a notification only says "look now" instead of at the next
interval. PostgreSQL delivers it when the transaction that sent it commits, so a replica
woken by it sees the change. On SQLite (one process) nothing is sent: the process that made
the change wakes its own loops directly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from openssm.backoff import Backoff

log = logging.getLogger("openssm.store.notify")

COMMANDS_CHANNEL = "openssm_commands"
SESSIONS_CHANNEL = "openssm_sessions"
_POLL_S = 1.0


def notify(conn: Connection, channel: str) -> None:
    """Wake the listeners of ``channel`` once the caller's transaction commits."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": channel})


class Listener:
    """Calls ``on_notify`` (from its own thread) for each notification on ``channel``.

    A lost connection is opened again after a jittered, growing delay; ``on_notify`` is also
    called after each reconnection, since notifications sent meanwhile are lost.
    """

    def __init__(self, engine: Engine, channel: str, on_notify: Callable[[], None]) -> None:
        self._engine = engine
        self._channel = channel
        self._on_notify = on_notify
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def applies(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    def start(self) -> None:
        if not self.applies or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"openssm-listen-{self._channel}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            thread.join(timeout=timeout_s)

    def _run(self) -> None:
        backoff = Backoff(base_s=0.5, cap_s=30.0)
        while not self._stopping.is_set():
            try:
                self._listen()
            except (sa.exc.SQLAlchemyError, psycopg.Error, OSError):  # down: wait, try again
                delay = backoff.next_delay()
                log.warning("listening on %s failed; again in %.1fs", self._channel, delay)
                self._stopping.wait(delay)
            else:
                backoff.reset()

    def _listen(self) -> None:
        raw = self._engine.raw_connection()
        try:
            driver = raw.dbapi_connection
            assert driver is not None
            driver.autocommit = True
            driver.execute(f'LISTEN "{self._channel}"')
            self._on_notify()
            while not self._stopping.is_set():
                for _ in driver.notifies(timeout=_POLL_S):
                    self._on_notify()
        finally:
            raw.invalidate()  # never back to the pool in autocommit and listening
