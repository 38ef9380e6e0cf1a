"""State Manager: associations, their versions, executions, per-host state; and the journal of
hosts whose registration or tags changed.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0014"
down_revision: str | None = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "associations",
        sa.Column("association_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("association_name", sa.String(128), nullable=True),
        sa.Column("instance_id", sa.String(20), nullable=True),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("next_run_at", UTCDateTime, nullable=True),
        sa.Column("run_requested_at", UTCDateTime, nullable=True),
        sa.Column("last_execution_at", UTCDateTime, nullable=True),
        sa.Column("last_successful_execution_at", UTCDateTime, nullable=True),
        sa.Column("status", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_associations_scope", "associations", ["account_id", "region", "association_id"]
    )
    op.create_index("ix_associations_next_run", "associations", ["next_run_at"])
    op.create_index("ix_associations_run_requested", "associations", ["run_requested_at"])
    op.create_table(
        "association_versions",
        sa.Column(
            "association_id",
            sa.String(36),
            sa.ForeignKey("associations.association_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("association_name", sa.String(128), nullable=True),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "association_executions",
        sa.Column("execution_id", sa.String(36), primary_key=True),
        sa.Column(
            "association_id",
            sa.String(36),
            sa.ForeignKey("associations.association_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("association_version", sa.Integer, nullable=False),
        sa.Column("command_id", sa.String(36), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detailed_status", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index(
        "ix_association_executions_association",
        "association_executions",
        ["association_id", "created_at"],
    )
    op.create_index("ix_association_executions_active", "association_executions", ["active"])
    op.create_table(
        "association_execution_targets",
        sa.Column(
            "execution_id",
            sa.String(36),
            sa.ForeignKey("association_executions.execution_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detailed_status", sa.String(32), nullable=False),
        sa.Column("last_execution_at", UTCDateTime, nullable=False),
        sa.Column("ended", sa.Boolean, nullable=False),
    )
    op.create_table(
        "instance_associations",
        sa.Column(
            "association_id",
            sa.String(36),
            sa.ForeignKey("associations.association_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("association_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detailed_status", sa.String(32), nullable=False),
        sa.Column("execution_at", UTCDateTime, nullable=True),
        sa.Column("execution_summary", sa.String(512), nullable=False),
        sa.Column("error_code", sa.String(10), nullable=False),
        sa.Column("needs_apply", sa.Boolean, nullable=False),
    )
    op.create_index("ix_instance_associations_instance", "instance_associations", ["instance_id"])
    op.create_index(
        "ix_instance_associations_needs_apply", "instance_associations", ["needs_apply"]
    )
    op.create_table(
        "instance_changes",
        sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("instance_id", sa.String(20), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("instance_changes")
    op.drop_table("instance_associations")
    op.drop_table("association_execution_targets")
    op.drop_table("association_executions")
    op.drop_table("association_versions")
    op.drop_table("associations")
