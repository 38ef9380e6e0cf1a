"""Tables of inventory: what each managed instance reported per type, one row per entry.

``inventory_items`` holds one row per (instance, type): its schema version, capture time and
ContentHash. ``inventory_entries`` holds every entry of the content as JSON, with its Name
and Version attributes copied into indexed columns, so that "which hosts have openssl, in
which versions" (GetInventory filtered on AWS:Application.Name and aggregated by Version)
reads a few index ranges, not three million JSON documents. A value longer than
``INDEXED_CHARS`` leaves its column NULL; queries then fall back to the JSON.
"""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import UTCDateTime, metadata

INDEXED_CHARS = 255
TYPE_NAME = sa.String(100).with_variant(sa.String(100, collation="C"), "postgresql")
INDEXED_VALUE = sa.String(INDEXED_CHARS).with_variant(
    sa.String(INDEXED_CHARS, collation="C"), "postgresql"
)


def _instance_key() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("instance_id", sa.String(20), primary_key=True),
        sa.Column("type_name", TYPE_NAME, primary_key=True),
    ]


inventory_items = sa.Table(
    "inventory_items",
    metadata,
    *_instance_key(),
    sa.Column("schema_version", sa.String(16), nullable=False),
    sa.Column("capture_time", sa.String(20), nullable=False),
    sa.Column("content_hash", sa.String(256), nullable=False),
    sa.Column("entry_count", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_inventory_items_type", "account_id", "region", "type_name", "instance_id"),
)

inventory_entries = sa.Table(
    "inventory_entries",
    metadata,
    *_instance_key(),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("name", INDEXED_VALUE, nullable=True),
    sa.Column("version", INDEXED_VALUE, nullable=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Index(
        "ix_inventory_entries_name",
        "account_id",
        "region",
        "type_name",
        "name",
        "version",
        "instance_id",
    ),
)

# Custom types' schemas, per account and region: the attribute names seen (JSON list), and
# whether DeleteInventory disabled the type (its data then is ignored until a higher
# schema version is put).
inventory_schemas = sa.Table(
    "inventory_schemas",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("region", sa.String(32), primary_key=True),
    sa.Column("type_name", TYPE_NAME, primary_key=True),
    sa.Column("version", sa.String(16), nullable=False),
    sa.Column("attributes", sa.Text, nullable=False),
    sa.Column("disabled_version", sa.String(16), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

inventory_deletions = sa.Table(
    "inventory_deletions",
    metadata,
    sa.Column("deletion_id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("type_name", TYPE_NAME, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("last_status", sa.String(16), nullable=False),
    sa.Column("last_status_message", sa.String(1024), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("last_status_updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_inventory_deletions_scope", "account_id", "region", "started_at"),
)
