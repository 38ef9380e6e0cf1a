"""Run Command: commands, their invocations and per-step plugin results.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commands",
        sa.Column("command_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("document_name", sa.String(256), nullable=False),
        sa.Column("document_version", sa.String(16), nullable=True),
        sa.Column("comment", sa.String(100), nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("instance_ids", sa.Text, nullable=False),
        sa.Column("targets", sa.Text, nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("delivery_timeout_s", sa.Integer, nullable=False),
        sa.Column("execution_timeout_s", sa.Integer, nullable=False),
        sa.Column("output_s3_region", sa.String(20), nullable=False),
        sa.Column("output_s3_bucket", sa.String(63), nullable=False),
        sa.Column("output_s3_prefix", sa.String(500), nullable=False),
        sa.Column("max_concurrency", sa.String(7), nullable=False),
        sa.Column("max_errors", sa.String(7), nullable=False),
        sa.Column("concurrency", sa.Integer, nullable=False),
        sa.Column("errors_allowed", sa.Integer, nullable=False),
        sa.Column("service_role", sa.String(2048), nullable=False),
        sa.Column("notification_config", sa.Text, nullable=False),
        sa.Column("cloudwatch_output_config", sa.Text, nullable=False),
        sa.Column("sealed_plan", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_details", sa.String(32), nullable=False),
        sa.Column("target_count", sa.Integer, nullable=False),
        sa.Column("completed_count", sa.Integer, nullable=False),
        sa.Column("error_count", sa.Integer, nullable=False),
        sa.Column("delivery_timed_out_count", sa.Integer, nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        # Set once every invocation ended: the dispatcher and the timeout sweep skip the command.
        sa.Column("finished", sa.Boolean, nullable=False),
    )
    op.create_table(
        "command_invocations",
        sa.Column(
            "command_id",
            sa.String(36),
            sa.ForeignKey("commands.command_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("instance_name", sa.String(255), nullable=False),
        sa.Column("status_details", sa.String(32), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("claimed_by", sa.String(32), nullable=True),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("response_code", sa.Integer, nullable=False),
    )
    op.create_table(
        "command_plugins",
        sa.Column("command_id", sa.String(36), primary_key=True),
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("step_index", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_details", sa.String(100), nullable=False),
        sa.Column("response_code", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=True),
        sa.Column("ended_at", UTCDateTime, nullable=True),
        sa.Column("stdout", sa.Text, nullable=False),
        sa.Column("stderr", sa.Text, nullable=False),
        sa.Column("output_key_prefix", sa.String(1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["command_id", "instance_id"],
            ["command_invocations.command_id", "command_invocations.instance_id"],
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_commands_scope_requested",
        "commands",
        ["account_id", "region", "requested_at", "command_id"],
    )
    op.create_index("ix_commands_active", "commands", ["finished", "requested_at"])
    op.create_index(
        "ix_command_invocations_instance", "command_invocations", ["instance_id", "status_details"]
    )
    op.create_index(
        "ix_command_invocations_details", "command_invocations", ["command_id", "status_details"]
    )


def downgrade() -> None:
    op.drop_table("command_plugins")
    op.drop_table("command_invocations")
    op.drop_table("commands")
