"""Events: where in the outbox each rule's enabled window starts and ends, so a rule matches
the events written while it was enabled (EventBridge matches an event when it is put), and
the ping status last reported for each managed node, so a node that falls silent without
closing its channel is reported once.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision: str | None = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_rules") as batch:
        batch.add_column(
            sa.Column("enabled_after", sa.BigInteger, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("disabled_after", sa.BigInteger, nullable=True))
    with op.batch_alter_table("managed_instances") as batch:
        batch.add_column(sa.Column("ping_reported", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("managed_instances") as batch:
        batch.drop_column("ping_reported")
    with op.batch_alter_table("event_rules") as batch:
        batch.drop_column("disabled_after")
        batch.drop_column("enabled_after")
