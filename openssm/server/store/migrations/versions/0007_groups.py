"""Resource groups: a named tag query per (account, region).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resource_groups",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column(
            "name",
            sa.String(300).with_variant(sa.String(300, collation="C"), "postgresql"),
            primary_key=True,
        ),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("query_type", sa.String(128), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("resource_types", sa.Text, nullable=False),
        sa.Column("criticality", sa.Integer, nullable=True),
        sa.Column("owner", sa.String(300), nullable=True),
        sa.Column("display_name", sa.String(300), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("resource_groups")
