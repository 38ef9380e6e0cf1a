"""A session TerminateSession made Terminating ends Terminated, whoever ends it: its relay
(however the agent went), or the reaper once its relay is gone or it lasted the open timeout.

Runs against a real SQLite store in a temporary directory (no sockets, no subprocess).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection, Engine

from openssm.server.services.sessions import lifecycle
from openssm.server.services.sessions.model import SessionStatus
from openssm.server.store import migrate
from openssm.server.store.engine import create_engine
from openssm.server.store.sessions import repo
from openssm.server.store.sessions.repo import SessionRow

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ME = "0000000a"
GONE = "0000000b"
OPEN_TIMEOUT = dt.timedelta(seconds=30)
ROW = SessionRow(
    session_id="admin-0",
    account_id="123456789012",
    region="us-east-1",
    target="mi-0123456789abcdef0",
    document_name="SSM-SessionManagerRunShell",
    owner="arn:aws:iam::123456789012:user/admin",
    reason=None,
    status=SessionStatus.CONNECTED,
    details="",
    start_date=T0,
    end_date=None,
    max_session_duration="",
    session_type="Standard_Stream",
    spec="{}",
    token_hash=None,
    token_expires_at=None,
    transcript_chunks=0,
    relay_url="http://127.0.0.1:1",
    relay_replica=ME,
)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", pool_size=1)
    migrate.upgrade(made)
    yield made
    made.dispose()


def _terminating(conn: Connection, session_id: str, *, replica: str, at: dt.datetime) -> None:
    row = dataclasses.replace(ROW, session_id=session_id, relay_replica=replica)
    repo.insert_session(conn, row)
    assert repo.set_terminating(
        conn, session_id, only_from=[SessionStatus.CONNECTED], now=at,
        details=lifecycle.TERMINATE_ASKED,
    )  # fmt: skip
    asked = repo.get_session(conn, session_id)
    assert asked is not None
    # Its token is spent; when it was asked is its own column, the reaper's measure.
    assert (asked.token_hash, asked.token_expires_at) == (None, None)
    assert asked.terminate_asked_at is not None
    assert asked.terminate_asked_at.replace(tzinfo=dt.UTC) == at


def _status(conn: Connection, session_id: str) -> tuple[str, str, dt.datetime | None]:
    row = repo.get_session(conn, session_id)
    assert row is not None
    end = row.end_date.replace(tzinfo=dt.UTC) if row.end_date is not None else None
    return row.status, row.details, end


def test_the_reaper_ends_terminating_sessions_nobody_will_end(engine: Engine) -> None:
    now = T0 + dt.timedelta(minutes=5)
    with engine.begin() as conn:
        _terminating(conn, "admin-relay-gone", replica=GONE, at=now)
        _terminating(conn, "admin-relay-here", replica=ME, at=now - dt.timedelta(seconds=1))
        _terminating(conn, "admin-too-long", replica=ME, at=now - OPEN_TIMEOUT * 2)
        ended = lifecycle.end_orphans(conn, me=ME, now=now, open_timeout=OPEN_TIMEOUT)
        assert ended == 2
        asked = lifecycle.TERMINATE_ASKED
        assert _status(conn, "admin-relay-gone") == ("Terminated", asked, now)
        assert _status(conn, "admin-too-long") == ("Terminated", asked, now)
        # Its relay is alive and was asked a second ago: the relay ends it.
        assert _status(conn, "admin-relay-here") == ("Terminating", asked, None)


def test_a_terminating_session_whose_agent_is_lost_ends_terminated(engine: Engine) -> None:
    now = T0 + dt.timedelta(minutes=1)
    with engine.begin() as conn:
        _terminating(conn, "admin-lost", replica=ME, at=T0)
        assert lifecycle.mark(
            conn, "admin-lost", SessionStatus.FAILED, now=now, details="connection lost"
        )
        assert _status(conn, "admin-lost") == ("Terminated", lifecycle.TERMINATE_ASKED, now)
        # Ended: nothing moves it again.
        assert not lifecycle.mark(conn, "admin-lost", SessionStatus.FAILED, now=now)
