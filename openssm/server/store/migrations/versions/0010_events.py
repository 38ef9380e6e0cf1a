"""Events: rules, targets (and notification topics) and per-target deliveries.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0010"
down_revision: str | None = "0009"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "event_rules",
        sa.Column("id", _PK, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.String(512), nullable=False),
        sa.Column("event_pattern", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_event_rules_name"),
    )
    op.create_table(
        "event_targets",
        sa.Column("id", _PK, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column(
            "rule_id",
            sa.BigInteger,
            sa.ForeignKey("event_rules.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("topic_arn", sa.String(1600), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("secret_sealed", sa.Text, nullable=True),
        sa.Column("max_attempts", sa.Integer, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("rule_id", "target_id", name="uq_event_targets_rule_target"),
    )
    op.create_index(
        "ix_event_targets_topic", "event_targets", ["account_id", "region", "topic_arn"]
    )
    op.create_table(
        "event_deliveries",
        sa.Column("id", _PK, primary_key=True, autoincrement=True),
        sa.Column(
            "target_row",
            sa.BigInteger,
            sa.ForeignKey("event_targets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("ordering_key", sa.String(512), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("leased_until", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_event_deliveries_due", "event_deliveries", ["status", "next_attempt_at"])
    op.create_index(
        "ix_event_deliveries_order",
        "event_deliveries",
        ["target_row", "ordering_key", "event_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_event_deliveries_order", table_name="event_deliveries")
    op.drop_index("ix_event_deliveries_due", table_name="event_deliveries")
    op.drop_table("event_deliveries")
    op.drop_index("ix_event_targets_topic", table_name="event_targets")
    op.drop_table("event_targets")
    op.drop_table("event_rules")
