"""The table of sessions: one row per StartSession, kept after the session ends (History).

``spec`` is what the agent needs to run the session (session type, rendered properties,
preferences, run-as user) as JSON; ``token_hash`` is the SHA-256 of the one-time token the
client opens the data channel with (the token itself is never stored), cleared once used.
``relay_url`` is the server holding the agent's leg (several replicas) and ``relay_replica``
the process there;
``transcript_chunks`` counts the pieces of the transcript in the object store
(``sessions/<session-id>/<n>``), so a reader knows where it ends.
"""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import UTCDateTime, metadata

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.String(96), primary_key=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("target", sa.String(400), nullable=False),
    sa.Column("document_name", sa.String(400), nullable=False),
    sa.Column("owner", sa.String(400), nullable=False),
    sa.Column("reason", sa.String(256), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("details", sa.String(1024), nullable=False, server_default=""),
    sa.Column("start_date", UTCDateTime, nullable=False),
    sa.Column("end_date", UTCDateTime, nullable=True),
    sa.Column("max_session_duration", sa.String(8), nullable=False, server_default=""),
    sa.Column("session_type", sa.String(32), nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=True),
    sa.Column("token_expires_at", UTCDateTime, nullable=True),
    sa.Column("transcript_chunks", sa.Integer, nullable=False, server_default="0"),
    # scheme://host of the server whose relay holds the agent's leg, once it does; "" while
    # a replica that does not hold the agent waits for the one that does to start it.
    sa.Column("relay_url", sa.String(400), nullable=True),
    # The server process whose relay holds the agent's leg (openssm.server.store.replicas):
    # when it is gone, the session is ended.
    sa.Column("relay_replica", sa.String(16), nullable=True),
    # When TerminateSession made the session Terminating: the reaper ends one left so too long.
    sa.Column("terminate_asked_at", UTCDateTime, nullable=True),
    sa.Index("ix_sessions_scope_status", "account_id", "region", "status"),
    sa.Index("ix_sessions_scope_start", "account_id", "region", "start_date"),
)
