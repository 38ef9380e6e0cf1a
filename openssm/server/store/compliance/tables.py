"""Tables of configuration compliance: the items each resource reported per compliance type,
and one roll-up row per (resource, compliance type) kept up to date with its items.

Summaries never read items: ListComplianceSummaries groups ``compliance_summaries`` by
(type, status, overall severity) through ``ix_compliance_summaries_rollup``, and
ListResourceComplianceSummaries pages that table by its key; the item counts per severity
are columns of the row, written whenever the resource's items of that type change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from openssm.server.store.schema import UTCDateTime, key_type, metadata

# Severity columns, most severe first: (compliant column, non-compliant column) per severity.
SEVERITY_COLUMNS = (
    ("CRITICAL", "compliant_critical", "non_compliant_critical"),
    ("HIGH", "compliant_high", "non_compliant_high"),
    ("MEDIUM", "compliant_medium", "non_compliant_medium"),
    ("LOW", "compliant_low", "non_compliant_low"),
    ("INFORMATIONAL", "compliant_informational", "non_compliant_informational"),
    ("UNSPECIFIED", "compliant_unspecified", "non_compliant_unspecified"),
)


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("resource_type", sa.String(50), primary_key=True),
        sa.Column("resource_id", key_type(), primary_key=True),
        sa.Column("compliance_type", key_type(), primary_key=True),
    ]


def _execution_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("execution_time", UTCDateTime, nullable=False),
        sa.Column("execution_id", sa.String(100), nullable=False),
        sa.Column("execution_type", sa.String(50), nullable=False),
    ]


# One row per item; ``item_id`` is the item's Id ("" when the caller gave none, which then
# may appear once per resource and type). Details are JSON text, read only when items are
# listed.
compliance_items = sa.Table(
    "compliance_items",
    metadata,
    *_key_columns(),
    sa.Column("item_id", key_type(), primary_key=True),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("details", sa.Text, nullable=False),
    *_execution_columns(),
    # Clearing an association's items on every host finds them without a scan.
    sa.Index(
        "ix_compliance_items_scope_type_item", "account_id", "region", "compliance_type", "item_id"
    ),
)

compliance_summaries = sa.Table(
    "compliance_summaries",
    metadata,
    *_key_columns(),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("overall_severity", sa.String(16), nullable=False),
    *(
        sa.Column(column, sa.Integer, nullable=False)
        for _severity, compliant, non_compliant in SEVERITY_COLUMNS
        for column in (compliant, non_compliant)
    ),
    *_execution_columns(),
    # The ItemContentHash of the upload that last wrote the items; a repeat is ignored.
    sa.Column("content_hash", sa.String(256), nullable=False),
    sa.Index(
        "ix_compliance_summaries_rollup",
        "account_id",
        "region",
        "compliance_type",
        "status",
        "overall_severity",
    ),
)
