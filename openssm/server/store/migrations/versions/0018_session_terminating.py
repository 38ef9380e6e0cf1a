"""Sessions: when TerminateSession asked a session to end, so that one left Terminating
(its agent never closed) is ended after a bounded time.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0018"
down_revision: str | None = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("terminate_asked_at", UTCDateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("terminate_asked_at")
