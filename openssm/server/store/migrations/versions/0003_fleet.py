"""Managed fleet: hybrid activations and managed instances.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activations",
        sa.Column("activation_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("code_salt", sa.LargeBinary, nullable=False),
        sa.Column("code_digest", sa.LargeBinary, nullable=False),
        sa.Column("description", sa.String(256), nullable=True),
        sa.Column("default_instance_name", sa.String(256), nullable=True),
        sa.Column("iam_role", sa.String(64), nullable=False),
        sa.Column("registration_limit", sa.Integer, nullable=False),
        sa.Column("registrations_count", sa.Integer, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("tags", sa.Text, nullable=False),
        sa.Column("registration_metadata", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_activations_scope_created",
        "activations",
        ["account_id", "region", "created_at", "activation_id"],
    )
    op.create_table(
        "managed_instances",
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("activation_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(256), nullable=True),
        sa.Column("iam_role", sa.String(64), nullable=False),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("fingerprint", sa.String(256), nullable=True),
        sa.Column("registered_at", UTCDateTime, nullable=False),
        sa.Column("deregistered_at", UTCDateTime, nullable=True),
        sa.Column("agent_version", sa.String(32), nullable=True),
        sa.Column("platform_type", sa.String(16), nullable=True),
        sa.Column("platform_name", sa.String(255), nullable=True),
        sa.Column("platform_version", sa.String(255), nullable=True),
        sa.Column("ip_address", sa.String(46), nullable=True),
        sa.Column("computer_name", sa.String(255), nullable=True),
        sa.Column("last_ping_at", UTCDateTime, nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
    )
    op.create_index(
        "ix_managed_instances_scope_id",
        "managed_instances",
        ["account_id", "region", "instance_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_managed_instances_scope_id", table_name="managed_instances")
    op.drop_table("managed_instances")
    op.drop_index("ix_activations_scope_created", table_name="activations")
    op.drop_table("activations")
