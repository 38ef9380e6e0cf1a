"""Run Command's whole output: per step, its plugin id (its output folder), the size of each
stream's whole output and whether all of it is kept.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("command_plugins") as batch:
        batch.add_column(sa.Column("plugin_id", sa.String(128), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("stdout_size", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("stderr_size", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("output_kept", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("command_plugins") as batch:
        batch.drop_column("output_kept")
        batch.drop_column("stderr_size")
        batch.drop_column("stdout_size")
        batch.drop_column("plugin_id")
