"""The agent's durable memory (stdlib sqlite3, WAL): started commands, unacked results and
where a command resumes after a reboot.

Delivery is at least once, execution at most once (DESIGN.md §4): a command id
is recorded as started before it runs, so a re-delivery is recognised; its
result waits in the outbox until the server acknowledges it, so a lost
connection or a restart never loses a result. A command whose step asked for a
reboot records the step it resumes at (and how the steps before it ended) before
the host reboots; the next agent process takes that record once, so a crash
during the resumed run never runs its steps a third time. Each write is its own
committed transaction with ``synchronous=FULL``: once a call returns, the fact
survives a power cut.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from openssm.errors import AgentError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS started (
    command_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    command_id TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL,
    acked_at REAL
);
CREATE INDEX IF NOT EXISTS results_pending ON results (created_at) WHERE acked_at IS NULL;
CREATE TABLE IF NOT EXISTS resumes (
    command_id TEXT PRIMARY KEY,
    resume_at INTEGER NOT NULL,
    steps TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    taken_at REAL
);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingResult:
    command_id: str
    payload: str
    created_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumePoint:
    """Where a command goes on after a reboot: the step index, and the encoded outcomes of
    the steps before it (they are part of its result)."""

    command_id: str
    resume_at: int
    steps: str


def _create_private(path: Path) -> None:
    """Create the database file 0600 before sqlite opens it (sqlite would use the umask)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        os.close(os.open(path, flags, 0o600))
    except FileExistsError:
        if path.is_symlink():
            raise PermissionError(f"{path} is a symlink; refusing to open it") from None


class Ledger:
    """One open ledger database; not shared between threads."""

    def __init__(self, path: Path, *, lock_wait_s: float = 5.0) -> None:
        self.path = path
        _create_private(path)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
        # One agent process owns its ledger: holding the lock for as long as it is open spares
        # every transaction its file locks and the shared-memory index (about twenty fcntl
        # calls and a tenth of a millisecond of CPU per command), and a second agent started
        # on the same state directory by mistake cannot run commands beside the first. Set
        # before the first access, so WAL runs without the -shm file.
        self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
        # An agent process that is still exiting lets go of the lock within this time.
        self._db.execute(f"PRAGMA busy_timeout={int(lock_wait_s * 1000)}")
        try:
            # WAL: a commit is one sequential append.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.OperationalError as exc:
            self._db.close()
            if "locked" not in str(exc):
                raise
            raise AgentError(
                f"{path} is in use by another agent process: run one agent per state directory"
            ) from exc
        # FULL: a commit is on disk when it returns; "started" must survive a power cut.
        self._db.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def record_started(self, command_id: str, *, now: float | None = None) -> bool:
        """Remember that `command_id` starts now; False when it was started before."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO started (command_id, started_at) VALUES (?, ?)",
            (command_id, time.time() if now is None else now),
        )
        return cursor.rowcount == 1

    def was_started(self, command_id: str) -> bool:
        row = self._db.execute("SELECT 1 FROM started WHERE command_id = ?", (command_id,))
        return row.fetchone() is not None

    def put_result(self, command_id: str, payload: str, *, now: float | None = None) -> None:
        """Keep `payload` (usually an encoded result frame) until ack_result(command_id)."""
        self._db.execute(
            "INSERT INTO results (command_id, payload, created_at, acked_at) VALUES (?, ?, ?, NULL)"
            " ON CONFLICT (command_id) DO UPDATE SET payload = excluded.payload, acked_at = NULL",
            (command_id, payload, time.time() if now is None else now),
        )

    def pending_results(self) -> list[PendingResult]:
        """Results not yet acknowledged, oldest first."""
        rows = self._db.execute(
            "SELECT command_id, payload, created_at FROM results WHERE acked_at IS NULL"
            " ORDER BY created_at, command_id"
        )
        return [PendingResult(command_id=r[0], payload=r[1], created_at=r[2]) for r in rows]

    def ack_result(self, command_id: str, *, now: float | None = None) -> bool:
        """Mark a result delivered; False when there was no pending result for that id.

        Committed without waiting for the disk (synchronous=NORMAL): an acknowledgement lost
        to a power cut only has the result sent again, which the server acknowledges and
        drops; a start or a result must survive one, so they keep FULL. The next FULL
        commit makes this one durable too (WAL frames are synced in order)."""
        self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            cursor = self._db.execute(
                "UPDATE results SET acked_at = ? WHERE command_id = ? AND acked_at IS NULL",
                (time.time() if now is None else now, command_id),
            )
        finally:
            self._db.execute("PRAGMA synchronous=FULL")
        return cursor.rowcount == 1

    def stored_result(self, command_id: str) -> str | None:
        """The result kept for `command_id`, acknowledged or not (answers a re-delivery)."""
        row = self._db.execute("SELECT payload FROM results WHERE command_id = ?", (command_id,))
        found = row.fetchone()
        return None if found is None else str(found[0])

    def record_resume(
        self, command_id: str, resume_at: int, steps: str, *, now: float | None = None
    ) -> None:
        """Remember, before the host reboots, that ``command_id`` resumes at ``resume_at``
        (a later reboot request of the same command replaces it)."""
        self._db.execute(
            "INSERT INTO resumes (command_id, resume_at, steps, recorded_at, taken_at)"
            " VALUES (?, ?, ?, ?, NULL) ON CONFLICT (command_id) DO UPDATE SET"
            " resume_at = excluded.resume_at, steps = excluded.steps,"
            " recorded_at = excluded.recorded_at, taken_at = NULL",
            (command_id, resume_at, steps, time.time() if now is None else now),
        )

    def take_resume(self, command_id: str, *, now: float | None = None) -> ResumePoint | None:
        """The command's resume point, marked taken: it is handed out once."""
        # fetchall: the statement (and with it the transaction) ends only once it is read out.
        rows = self._db.execute(
            "UPDATE resumes SET taken_at = ? WHERE command_id = ? AND taken_at IS NULL"
            " RETURNING resume_at, steps",
            (time.time() if now is None else now, command_id),
        ).fetchall()
        if not rows:
            return None
        return ResumePoint(command_id=command_id, resume_at=int(rows[0][0]), steps=str(rows[0][1]))

    def waiting_resumes(self) -> list[str]:
        """Ids of the commands that wait to resume after a reboot."""
        rows = self._db.execute("SELECT command_id FROM resumes WHERE taken_at IS NULL")
        return [str(r[0]) for r in rows]

    def prune(self, *, older_than: float) -> int:
        """Forget acknowledged results and started ids older than `older_than`; count removed."""
        removed = self._db.execute(
            "DELETE FROM results WHERE acked_at IS NOT NULL AND acked_at < ?", (older_than,)
        ).rowcount
        removed += self._db.execute(
            "DELETE FROM started WHERE started_at < ?"
            " AND command_id NOT IN (SELECT command_id FROM results WHERE acked_at IS NULL)",
            (older_than,),
        ).rowcount
        removed += self._db.execute(
            "DELETE FROM resumes WHERE recorded_at < ?", (older_than,)
        ).rowcount
        return removed
