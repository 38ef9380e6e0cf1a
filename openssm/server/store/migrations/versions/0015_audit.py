"""The audit trail: recorded API calls and agent events, and the resources they name.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import BIGINT_PK, UTCDateTime

revision = "0015"
down_revision: str | None = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("event_time", UTCDateTime, nullable=False),
        sa.Column("event_source", sa.String(64), nullable=False),
        sa.Column("event_name", sa.String(128), nullable=False),
        sa.Column("user_name", sa.String(128), nullable=False),
        sa.Column("access_key_id", sa.String(128), nullable=False),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("error_code", sa.String(128), nullable=True),
        sa.Column("record", sa.Text, nullable=False),
        sa.UniqueConstraint("event_id", name="uq_audit_events_event_id"),
    )
    op.create_index(
        "ix_audit_events_scope_time", "audit_events", ["account_id", "region", "event_time", "id"]
    )
    op.create_index("ix_audit_events_time", "audit_events", ["event_time"])
    op.create_table(
        "audit_resources",
        sa.Column(
            "event_id",
            sa.String(36),
            sa.ForeignKey(
                "audit_events.event_id",
                ondelete="CASCADE",
                name="fk_audit_resources_event_id_audit_events",
            ),
            primary_key=True,
        ),
        sa.Column("name", sa.String(2048), primary_key=True),
        sa.Column("resource_type", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_resources_name", "audit_resources", ["name"])
    op.create_index("ix_audit_resources_type", "audit_resources", ["resource_type"])


def downgrade() -> None:
    op.drop_table("audit_resources")
    op.drop_table("audit_events")
