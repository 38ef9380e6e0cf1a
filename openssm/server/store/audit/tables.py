"""The audit trail: one row per recorded call, and the resources each one names.

The record itself (the CloudTrail-shaped JSON) is kept whole in ``record``; the columns beside
it are what LookupEvents filters on, so each lookup attribute is an indexed equality.
"""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import BIGINT_PK, UTCDateTime, metadata

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("event_time", UTCDateTime, nullable=False),
    sa.Column("event_source", sa.String(64), nullable=False),
    sa.Column("event_name", sa.String(128), nullable=False),
    sa.Column("user_name", sa.String(128), nullable=False),
    sa.Column("access_key_id", sa.String(128), nullable=False),
    sa.Column("read_only", sa.Boolean, nullable=False),
    sa.Column("error_code", sa.String(128), nullable=True),
    sa.Column("record", sa.Text, nullable=False),
    # Newest first within a scope: every lookup and the retention prune walk this index.
    sa.Index("ix_audit_events_scope_time", "account_id", "region", "event_time", "id"),
    sa.Index("ix_audit_events_time", "event_time"),
)

# What ResourceName and ResourceType look up: each resource's short name (its ARN's last part)
# and type. Keyed by the event's own id, so a batch of events and their resources go in two
# statements.
audit_resources = sa.Table(
    "audit_resources",
    metadata,
    sa.Column(
        "event_id",
        sa.String(36),
        sa.ForeignKey("audit_events.event_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("name", sa.String(2048), primary_key=True),
    sa.Column("resource_type", sa.String(64), nullable=False),
    sa.Index("ix_audit_resources_name", "name"),
    sa.Index("ix_audit_resources_type", "resource_type"),
)
