"""The table of resource groups: one row per group, its tag query stored with it."""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import UTCDateTime, metadata

NAME_TYPE = sa.String(300).with_variant(sa.String(300, collation="C"), "postgresql")

# A group's name is unique in its account and region. ``query`` is the caller's query text,
# returned as given; ``resource_types`` is its ResourceTypeFilters as a JSON array, for
# ListGroups' resource-type filter. Tags live in resource_tags (resource type ResourceGroup).
resource_groups = sa.Table(
    "resource_groups",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("region", sa.String(32), primary_key=True),
    # Byte order on both dialects, so ListGroups pages alike on SQLite and PostgreSQL.
    sa.Column("name", NAME_TYPE, primary_key=True),
    sa.Column("description", sa.String(1024), nullable=False),
    sa.Column("query_type", sa.String(128), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("resource_types", sa.Text, nullable=False),
    sa.Column("criticality", sa.Integer, nullable=True),
    sa.Column("owner", sa.String(300), nullable=True),
    sa.Column("display_name", sa.String(300), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
