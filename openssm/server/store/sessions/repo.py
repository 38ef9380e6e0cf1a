"""Session rows: insert, read, list for DescribeSessions, change status, spend a token.
Never commits."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.sessions.tables import sessions


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRow:
    session_id: str
    account_id: str
    region: str
    target: str
    document_name: str
    owner: str
    reason: str | None
    status: str
    details: str
    start_date: dt.datetime
    end_date: dt.datetime | None
    max_session_duration: str
    session_type: str
    spec: str  # JSON
    token_hash: str | None
    token_expires_at: dt.datetime | None
    transcript_chunks: int
    relay_url: str | None = None
    relay_replica: str | None = None
    terminate_asked_at: dt.datetime | None = None


def _row(row: Any) -> SessionRow:
    return SessionRow(**dict(row._mapping))


def insert_session(conn: Connection, row: SessionRow) -> None:
    conn.execute(sessions.insert().values(**dataclasses.asdict(row)))


def get_session(
    conn: Connection, session_id: str, *, account_id: str | None = None, region: str | None = None
) -> SessionRow | None:
    """The session, optionally only when it is in the account and region given."""
    if "\x00" in session_id:
        # No stored id holds a NUL, and PostgreSQL can't compare one: there is no such session.
        return None
    c = sessions.c
    query = sa.select(sessions).where(c.session_id == session_id)
    if account_id is not None:
        query = query.where(c.account_id == account_id, c.region == region)
    found = conn.execute(query).first()
    return None if found is None else _row(found)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionQuery:
    """DescribeSessions' selection, already checked: None means "any"."""

    account_id: str
    region: str
    statuses: Sequence[str]
    after: tuple[dt.datetime, str] | None = None
    invoked_after: dt.datetime | None = None
    invoked_before: dt.datetime | None = None
    target: str | None = None
    owner: str | None = None
    status: str | None = None
    session_id: str | None = None


def list_sessions(conn: Connection, query: SessionQuery, *, limit: int) -> list[SessionRow]:
    """Newest first (start date, then id), after the page position ``query.after``."""
    c = sessions.c
    select = sa.select(sessions).where(
        c.account_id == query.account_id, c.region == query.region, c.status.in_(query.statuses)
    )
    if query.invoked_after is not None:
        select = select.where(c.start_date >= query.invoked_after)
    if query.invoked_before is not None:
        select = select.where(c.start_date <= query.invoked_before)
    if query.target is not None:
        select = select.where(c.target == query.target)
    if query.owner is not None:
        select = select.where(c.owner == query.owner)
    if query.status is not None:
        select = select.where(c.status == query.status)
    if query.session_id is not None:
        select = select.where(c.session_id == query.session_id)
    if query.after is not None:
        start, session_id = query.after
        select = select.where(
            sa.or_(c.start_date < start, sa.and_(c.start_date == start, c.session_id < session_id))
        )
    select = select.order_by(c.start_date.desc(), c.session_id.desc()).limit(limit)
    return [_row(r) for r in conn.execute(select)]


def set_token(
    conn: Connection, session_id: str, *, token_hash: str, expires_at: dt.datetime
) -> None:
    conn.execute(
        sessions.update()
        .where(sessions.c.session_id == session_id)
        .values(token_hash=token_hash, token_expires_at=expires_at)
    )


def spend_token(
    conn: Connection, session_id: str, *, token_hash: str, now: dt.datetime
) -> SessionRow | None:
    """The session when ``token_hash`` is its current, unexpired token, which is used up in
    the same statement (a second use finds none); None otherwise."""
    c = sessions.c
    done = conn.execute(
        sessions.update()
        .where(
            c.session_id == session_id,
            c.token_hash == token_hash,
            c.token_expires_at > now,
        )
        .values(token_hash=None, token_expires_at=None)
    )
    if not done.rowcount:
        return None
    return get_session(conn, session_id)


def set_status(
    conn: Connection,
    session_id: str,
    *,
    status: str,
    only_from: Sequence[str],
    end_date: dt.datetime | None = None,
    details: str | None = None,
) -> bool:
    """Move the session to ``status`` if it is in one of ``only_from``; False otherwise."""
    c = sessions.c
    values: dict[str, Any] = {"status": status}
    if end_date is not None:
        values["end_date"] = end_date
    if details is not None:
        values["details"] = details
    done = conn.execute(
        sessions.update()
        .where(c.session_id == session_id, c.status.in_(only_from))
        .values(**values)
    )
    return bool(done.rowcount)


def set_terminating(
    conn: Connection, session_id: str, *, only_from: Sequence[str], now: dt.datetime, details: str
) -> bool:
    """Move the session to Terminating if it is in one of ``only_from``, its token spent and
    the time kept (``terminate_asked_at``: the reaper ends a session left Terminating too
    long)."""
    c = sessions.c
    done = conn.execute(
        sessions.update()
        .where(c.session_id == session_id, c.status.in_(only_from))
        .values(
            status="Terminating",
            details=details,
            token_hash=None,
            token_expires_at=None,
            terminate_asked_at=now,
        )
    )
    return bool(done.rowcount)


def end_terminating(
    conn: Connection,
    *,
    end_date: dt.datetime,
    relayed_by: Sequence[str] = (),
    asked_before: dt.datetime | None = None,
) -> int:
    """End as Terminated the Terminating sessions relayed by one of ``relayed_by`` or asked
    to terminate before ``asked_before``; how many. Their Details stay."""
    c = sessions.c
    which: list[Any] = []
    if relayed_by:
        which.append(c.relay_replica.in_(list(relayed_by)))
    if asked_before is not None:
        which.append(c.terminate_asked_at < asked_before)
    if not which:
        return 0
    done = conn.execute(
        sessions.update()
        .where(c.status == "Terminating", sa.or_(*which))
        .values(status="Terminated", end_date=end_date)
    )
    return int(done.rowcount)


def terminating_for_agents(conn: Connection, targets: Sequence[str]) -> list[SessionRow]:
    """The Terminating sessions whose agents are among ``targets``."""
    c = sessions.c
    found: list[SessionRow] = []
    for start in range(0, len(targets), 500):
        query = sa.select(sessions).where(
            c.status == "Terminating", c.target.in_(list(targets[start : start + 500]))
        )
        found += [_row(r) for r in conn.execute(query)]
    return found


def set_transcript_chunks(conn: Connection, session_id: str, chunks: int) -> None:
    conn.execute(
        sessions.update()
        .where(sessions.c.session_id == session_id, sessions.c.transcript_chunks < chunks)
        .values(transcript_chunks=chunks)
    )


def set_relay(conn: Connection, session_id: str, *, url: str, replica: str) -> None:
    conn.execute(
        sessions.update()
        .where(sessions.c.session_id == session_id)
        .values(relay_url=url, relay_replica=replica)
    )


def active_relays(conn: Connection, statuses: Sequence[str]) -> list[str | None]:
    """The server processes relaying sessions in one of ``statuses`` (None: no relay yet)."""
    c = sessions.c
    query = sa.select(c.relay_replica).where(c.status.in_(statuses)).distinct()
    return [row[0] for row in conn.execute(query)]


def end_relayed_by(
    conn: Connection,
    replica: str | None,
    *,
    statuses: Sequence[str],
    status: str,
    end_date: dt.datetime,
    details: str,
    started_before: dt.datetime | None = None,
) -> int:
    """End the sessions in ``statuses`` relayed by ``replica`` (None: by no process yet),
    optionally only those started before ``started_before``; how many."""
    c = sessions.c
    query = sessions.update().where(c.status.in_(statuses))
    query = query.where(
        c.relay_replica.is_(None) if replica is None else c.relay_replica == replica
    )
    if started_before is not None:
        query = query.where(c.start_date < started_before)
    done = conn.execute(query.values(status=status, end_date=end_date, details=details))
    return int(done.rowcount)


def waiting_for_agents(
    conn: Connection, targets: Sequence[str], *, since: dt.datetime
) -> list[SessionRow]:
    """Sessions started since ``since`` on a replica that does not hold their agent (among
    ``targets``), whose leg is not open yet (relay_url "")."""
    c = sessions.c
    found: list[SessionRow] = []
    for start in range(0, len(targets), 500):
        query = sa.select(sessions).where(
            c.status == "Connecting",
            c.relay_url == "",
            c.start_date >= since,
            c.target.in_(list(targets[start : start + 500])),
        )
        found += [_row(r) for r in conn.execute(query)]
    return found
