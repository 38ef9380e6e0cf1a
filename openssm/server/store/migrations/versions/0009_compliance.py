"""Configuration compliance: items per resource and compliance type, and their roll-ups.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime, key_type

revision = "0009"
down_revision: str | None = "0008"
branch_labels = None
depends_on = None

_SEVERITIES = ("critical", "high", "medium", "low", "informational", "unspecified")


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("resource_type", sa.String(50), primary_key=True),
        sa.Column("resource_id", key_type(), primary_key=True),
        sa.Column("compliance_type", key_type(), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "compliance_items",
        *_key_columns(),
        sa.Column("item_id", key_type(), primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("execution_time", UTCDateTime, nullable=False),
        sa.Column("execution_id", sa.String(100), nullable=False),
        sa.Column("execution_type", sa.String(50), nullable=False),
    )
    op.create_index(
        "ix_compliance_items_scope_type_item",
        "compliance_items",
        ["account_id", "region", "compliance_type", "item_id"],
    )
    op.create_table(
        "compliance_summaries",
        *_key_columns(),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("overall_severity", sa.String(16), nullable=False),
        *(
            sa.Column(f"{prefix}_{severity}", sa.Integer, nullable=False)
            for severity in _SEVERITIES
            for prefix in ("compliant", "non_compliant")
        ),
        sa.Column("execution_time", UTCDateTime, nullable=False),
        sa.Column("execution_id", sa.String(100), nullable=False),
        sa.Column("execution_type", sa.String(50), nullable=False),
        sa.Column("content_hash", sa.String(256), nullable=False),
    )
    op.create_index(
        "ix_compliance_summaries_rollup",
        "compliance_summaries",
        ["account_id", "region", "compliance_type", "status", "overall_severity"],
    )


def downgrade() -> None:
    op.drop_table("compliance_summaries")
    op.drop_table("compliance_items")
