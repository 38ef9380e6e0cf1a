"""StartSession, ResumeSession and TerminateSession as far as the database goes.

A session starts Connecting with a one-time token: only the token's SHA-256 is stored, it
expires after ``TOKEN_TTL`` and the data channel spends it in one statement, so it opens
the channel once. ResumeSession gives the same session a new token. The relay moves the
session to Connected, Disconnected while its client is away, and Terminated or Failed at
the end; TerminateSession makes it Terminating, and the relay ends it once the agent has
closed and the transcript is written, so a Terminated session's transcript is whole.

The session id is the caller's user name, a dash and 17 random hex digits, as AWS makes
them, so ``arn:…:session/${aws:username}-*`` names exactly a user's own sessions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import DoesNotExistException, InvalidDocument, TargetNotConnected
from openssm.server.context import RequestContext
from openssm.server.secrets import Keyring
from openssm.server.services import identity
from openssm.server.services.documents import reads as documents
from openssm.server.services.documents.rendering import render_for_execution
from openssm.server.services.sessions.model import ACTIVE, AgentSpec, SessionStatus
from openssm.server.services.sessions.preferences import RUN_AS_TAG, agent_spec
from openssm.server.store import replicas
from openssm.server.store.fleet import instances as fleet_repo
from openssm.server.store.notify import SESSIONS_CHANNEL, notify
from openssm.server.store.sessions import repo
from openssm.server.store.sessions.repo import SessionRow

DEFAULT_DOCUMENT = "SSM-SessionManagerRunShell"
TOKEN_TTL = dt.timedelta(minutes=2)


def user_name_of(ctx: RequestContext) -> str:
    """The caller's IAM user name (the end of its ARN)."""
    return ctx.principal_arn.rsplit("/", 1)[-1]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(48)


def _not_connected(target: str) -> TargetNotConnected:
    return TargetNotConnected(f"{target[:400]} is not connected.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Opened:
    """A session with a fresh token: what StartSession and ResumeSession answer."""

    session_id: str
    token: str
    target: str
    spec: AgentSpec


def _preferences(conn: Connection, ctx: RequestContext) -> dict[str, Any]:
    """The inputs of the account's SSM-SessionManagerRunShell (ours when it has none)."""
    _record, document = documents.resolve_for_execution(conn, ctx, DEFAULT_DOCUMENT)
    return dict(document.session.inputs) if document.session is not None else {}


def start_session(
    conn: Connection,
    ctx: RequestContext,
    keyring: Keyring,
    *,
    target: str,
    document_name: str | None,
    parameters: dict[str, list[str]],
    reason: str | None,
    is_connected: Callable[[str], bool],
    minute_s: float = 60.0,
    has_s3: bool = False,
) -> Opened:
    """Write a Connecting session; TargetNotConnected, InvalidDocument or InvalidParameters
    when it cannot run."""
    if not fleet_repo.is_active(
        conn, account_id=ctx.account_id, region=ctx.region, instance_id=target
    ):
        raise _not_connected(target)
    instance = fleet_repo.get_instance(conn, target)
    if instance is None or not (is_connected(target) or instance.channel_id):
        raise _not_connected(target)
    name = document_name or DEFAULT_DOCUMENT
    _record, document = documents.resolve_for_execution(conn, ctx, name)
    if document.session is None:
        raise InvalidDocument(f"{name} is not a Session document; StartSession runs those only.")
    rendered = render_for_execution(conn, ctx, keyring, document, parameters)
    if rendered.has_secure_references:
        raise InvalidDocument(
            f"{name} refers to a SecureString parameter; a session's settings are stored and "
            "shown, so they cannot hold one."
        )
    session = rendered.agent.session
    assert session is not None  # a Session document renders to a session
    user_name = user_name_of(ctx)
    tags = identity.user_tags(conn, account_id=ctx.account_id, user_name=user_name)
    spec = agent_spec(
        session,
        _preferences(conn, ctx),
        document_name=name,
        run_as_tag=tags.get(RUN_AS_TAG),
        minute_s=minute_s,
    )
    if spec.s3_bucket and not has_s3:
        raise InvalidDocument(
            f"The session preferences name the S3 bucket {spec.s3_bucket} for transcripts, but "
            "this server has no S3-compatible service configured (--s3-endpoint-url): "
            "configure one, or leave s3BucketName empty to keep transcripts on the server."
        )
    session_id = f"{user_name}-{secrets.token_hex(9)[:17]}"
    token = _new_token()
    max_minutes = round(spec.max_duration_s / minute_s)
    repo.insert_session(
        conn,
        SessionRow(
            session_id=session_id,
            account_id=ctx.account_id,
            region=ctx.region,
            target=target,
            document_name=name,
            owner=ctx.principal_arn,
            reason=reason,
            status=SessionStatus.CONNECTING,
            details="",
            start_date=ctx.now,
            end_date=None,
            max_session_duration=str(max_minutes) if max_minutes else "",
            session_type=spec.session_type,
            spec=spec.to_json(),
            token_hash=token_hash(token),
            token_expires_at=ctx.now + TOKEN_TTL,
            transcript_chunks=0,
            # "" asks the replica holding the agent to start it (SessionStarter).
            relay_url=None if is_connected(target) else "",
        ),
    )
    if not is_connected(target):
        # Another replica holds the agent: it sends session_start once this commits.
        notify(conn, SESSIONS_CHANNEL)
    return Opened(session_id=session_id, token=token, target=target, spec=spec)


def resume_session(conn: Connection, ctx: RequestContext, session_id: str) -> Opened | None:
    """A new token for an active session; None when the session has ended (AWS answers an
    empty token, and the session-manager-plugin then exits); DoesNotExistException when the
    caller's account and region hold no such session."""
    row = repo.get_session(conn, session_id, account_id=ctx.account_id, region=ctx.region)
    if row is None:
        raise DoesNotExistException(f"Session {session_id[:96]} does not exist.")
    if row.status not in ACTIVE or row.status == SessionStatus.TERMINATING:
        return None
    token = _new_token()
    repo.set_token(conn, session_id, token_hash=token_hash(token), expires_at=ctx.now + TOKEN_TTL)
    return Opened(
        session_id=session_id, token=token, target=row.target, spec=AgentSpec.from_json(row.spec)
    )


TERMINATE_ASKED = "Terminated by TerminateSession"
# What the agent tells the client (channel_closed) when TerminateSession ends its session.
END_REASON = "Session terminated"


def terminate_session(conn: Connection, ctx: RequestContext, session_id: str) -> str | None:
    """Ask the session to end; its target (to tell the agent) when it was active, else None.
    A session whose agent opened its leg goes Terminating: the relay ends it Terminated
    once the agent closed and the transcript is whole (the reaper, if nobody relays it any
    more). One that no leg reached has no transcript and ends at once. A session that does
    not exist or has ended is no error, as on AWS."""
    row = repo.get_session(conn, session_id, account_id=ctx.account_id, region=ctx.region)
    if row is None or row.status not in ACTIVE:
        return None
    if row.status == SessionStatus.TERMINATING:
        return row.target  # asked again: tell the agent again, it may have missed it
    if row.relay_replica is None:
        ended = repo.set_status(
            conn, session_id, status=SessionStatus.TERMINATED, only_from=ACTIVE,
            end_date=ctx.now, details=TERMINATE_ASKED,
        )  # fmt: skip
        return row.target if ended else None
    running = [s for s in ACTIVE if s != SessionStatus.TERMINATING]
    if not repo.set_terminating(
        conn, session_id, only_from=running, now=ctx.now, details=TERMINATE_ASKED
    ):
        return None
    # The replica holding the agent tells it to end when that is not this one.
    notify(conn, SESSIONS_CHANNEL)
    return row.target


# --- the relay's side -------------------------------------------------------------------------

# Which statuses a session may move to from which: a late write never revives an ended one.
_MOVES_FROM: dict[SessionStatus, tuple[SessionStatus, ...]] = {
    SessionStatus.CONNECTED: (SessionStatus.CONNECTING, SessionStatus.DISCONNECTED),
    SessionStatus.DISCONNECTED: (SessionStatus.CONNECTED,),
    SessionStatus.TERMINATED: ACTIVE,
    SessionStatus.FAILED: ACTIVE,
}


def get(conn: Connection, session_id: str) -> SessionRow | None:
    return repo.get_session(conn, session_id)


def spec_of(row: SessionRow) -> AgentSpec:
    return AgentSpec.from_json(row.spec)


def require(conn: Connection, ctx: RequestContext, session_id: str) -> SessionRow:
    """The session in the caller's account and region; DoesNotExistException otherwise."""
    row = repo.get_session(conn, session_id, account_id=ctx.account_id, region=ctx.region)
    if row is None:
        raise DoesNotExistException(f"Session {session_id[:96]} does not exist.")
    return row


def spend_token(
    conn: Connection, session_id: str, token: str, *, now: dt.datetime
) -> SessionRow | None:
    """The active session whose current token this is; the token is used up either way."""
    row = repo.spend_token(conn, session_id, token_hash=token_hash(token), now=now)
    if row is None or row.status not in ACTIVE or row.status == SessionStatus.TERMINATING:
        return None
    return row


def session_for_agent(conn: Connection, session_id: str, instance_id: str) -> SessionRow | None:
    """The session when it is active and targets ``instance_id`` (the agent opening a leg)."""
    row = repo.get_session(conn, session_id)
    if row is None or row.target != instance_id or row.status not in ACTIVE:
        return None
    return row


def mark(
    conn: Connection,
    session_id: str,
    status: SessionStatus,
    *,
    now: dt.datetime,
    details: str = "",
) -> bool:
    """Move the session to ``status`` where that is a move it may make; False otherwise."""
    ends = status in (SessionStatus.TERMINATED, SessionStatus.FAILED)
    if ends and repo.set_status(
        conn, session_id, status=SessionStatus.TERMINATED,
        only_from=(SessionStatus.TERMINATING,), end_date=now,
    ):  # fmt: skip
        # Asked by TerminateSession: its end is what was asked, however the agent went,
        # and the Details say who asked.
        return True
    return repo.set_status(
        conn,
        session_id,
        status=status,
        only_from=_MOVES_FROM[status],
        end_date=now if ends else None,
        details=details or None,
    )


def record_pieces(conn: Connection, session_id: str, pieces: int) -> None:
    repo.set_transcript_chunks(conn, session_id, pieces)


def attach_relay(conn: Connection, session_id: str, url: str, *, replica: str) -> None:
    """The agent's leg is on the server at ``url`` (scheme://host), in process ``replica``."""
    repo.set_relay(conn, session_id, url=url, replica=replica)


SERVER_GONE = "The server relaying the session stopped"
NEVER_OPENED = "The managed node did not open the session"


def end_orphans(conn: Connection, *, me: str, now: dt.datetime, open_timeout: dt.timedelta) -> int:
    """End as Failed the active sessions whose relaying server process is gone (``me`` is
    this one), and those whose agent did not open its leg within ``open_timeout``; as
    Terminated the Terminating ones whose relay is gone or that lasted ``open_timeout``; how
    many. On SQLite a session with no relay and past Connecting (written before relays were
    recorded) belongs to a process that is gone too: one process owns the file."""
    gone = [
        replica
        for replica in repo.active_relays(conn, ACTIVE)
        if replica is not None and replicas.is_gone(conn, replica, me=me)
    ]
    # Asked by TerminateSession and never ended by a relay: Terminated, as asked, once
    # the relay is gone or the agent had the open timeout to end it.
    ended = repo.end_terminating(
        conn, end_date=now, relayed_by=gone, asked_before=now - open_timeout
    )
    for replica in gone:
        ended += repo.end_relayed_by(
                conn, replica, statuses=ACTIVE, status=SessionStatus.FAILED, end_date=now,
                details=SERVER_GONE,
            )  # fmt: skip
    ended += repo.end_relayed_by(
        conn, None, statuses=(SessionStatus.CONNECTING,), status=SessionStatus.FAILED,
        end_date=now, details=NEVER_OPENED, started_before=now - open_timeout,
    )  # fmt: skip
    if conn.dialect.name != "postgresql":
        past_connecting = [s for s in ACTIVE if s != SessionStatus.CONNECTING]
        ended += repo.end_relayed_by(
            conn, None, statuses=past_connecting, status=SessionStatus.FAILED, end_date=now,
            details=SERVER_GONE,
        )  # fmt: skip
    return ended


def relay_url(conn: Connection, session_id: str) -> str | None:
    row = repo.get_session(conn, session_id)
    return None if row is None else row.relay_url


def terminating_for_agents(conn: Connection, targets: list[str]) -> list[tuple[str, str]]:
    """(session id, target) of the Terminating sessions whose agents are among ``targets``."""
    return [(row.session_id, row.target) for row in repo.terminating_for_agents(conn, targets)]


def waiting_for_agents(
    conn: Connection, targets: list[str], *, now: dt.datetime
) -> list[tuple[str, str, AgentSpec]]:
    """(session id, target, spec) of new sessions whose agents are among ``targets`` and
    have not opened their leg yet."""
    rows = repo.waiting_for_agents(conn, targets, since=now - TOKEN_TTL)
    return [(row.session_id, row.target, spec_of(row)) for row in rows]
