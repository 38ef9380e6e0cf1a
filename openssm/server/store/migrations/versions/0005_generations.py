"""Generations: counters that tell a server its in-memory caches are stale.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "generations",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("generation", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(
        table, [{"name": "identity", "generation": 0}, {"name": "parameters", "generation": 0}]
    )


def downgrade() -> None:
    op.drop_table("generations")
