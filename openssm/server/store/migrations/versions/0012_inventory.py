"""Inventory: each instance's items per type, their entries, custom schemas and deletions.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0012"
down_revision: str | None = "0011"
branch_labels = None
depends_on = None


def _type_name() -> sa.types.TypeEngine[str]:
    return sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql")


def _indexed() -> sa.types.TypeEngine[str]:
    return sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")


def _instance_key() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("type_name", _type_name(), primary_key=True),
    ]


def upgrade() -> None:
    op.create_table(
        "inventory_items",
        *_instance_key(),
        sa.Column("schema_version", sa.String(16), nullable=False),
        sa.Column("capture_time", sa.String(20), nullable=False),
        sa.Column("content_hash", sa.String(256), nullable=False),
        sa.Column("entry_count", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_inventory_items_type",
        "inventory_items",
        ["account_id", "region", "type_name", "instance_id"],
    )
    op.create_table(
        "inventory_entries",
        *_instance_key(),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", _indexed(), nullable=True),
        sa.Column("version", _indexed(), nullable=True),
        sa.Column("content", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_inventory_entries_name",
        "inventory_entries",
        ["account_id", "region", "type_name", "name", "version", "instance_id"],
    )
    op.create_table(
        "inventory_schemas",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("type_name", _type_name(), primary_key=True),
        sa.Column("version", sa.String(16), nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("disabled_version", sa.String(16), nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "inventory_deletions",
        sa.Column("deletion_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("type_name", _type_name(), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("last_status", sa.String(16), nullable=False),
        sa.Column("last_status_message", sa.String(1024), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("last_status_updated_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_inventory_deletions_scope",
        "inventory_deletions",
        ["account_id", "region", "started_at"],
    )


def downgrade() -> None:
    op.drop_table("inventory_deletions")
    op.drop_table("inventory_schemas")
    op.drop_table("inventory_entries")
    op.drop_table("inventory_items")
