"""Session Manager: one row per session, with its one-time token's hash and its transcript.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0011"
down_revision: str | None = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
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
    )
    op.create_index("ix_sessions_scope_status", "sessions", ["account_id", "region", "status"])
    op.create_index("ix_sessions_scope_start", "sessions", ["account_id", "region", "start_date"])


def downgrade() -> None:
    op.drop_index("ix_sessions_scope_start", table_name="sessions")
    op.drop_index("ix_sessions_scope_status", table_name="sessions")
    op.drop_table("sessions")
