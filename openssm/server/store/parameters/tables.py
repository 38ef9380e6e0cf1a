"""Parameter Store's tables: parameters, their versions, labels and policy schedules."""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import BIGINT_PK, UTCDateTime, key_type, metadata

# One row per parameter. Its key is the name with a leading "/" (AWS treats "a" and "/a" as
# one parameter); `name` keeps the spelling it was created with. `current_version` points at
# the newest parameter_versions row; history rows are never rewritten.
parameters = sa.Table(
    "parameters",
    metadata,
    sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("name", sa.String(2048), nullable=False),
    sa.Column("name_key", key_type(), nullable=False),
    sa.Column("parent_key", key_type(), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("tier", sa.String(32), nullable=False),
    sa.Column("current_version", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "region", "name_key", name="uq_parameters_scope_key"),
    sa.Index("ix_parameters_scope_parent", "account_id", "region", "parent_key", "name_key"),
    sa.Index("ix_parameters_scope_tier", "account_id", "region", "tier"),
)

# Every retained version (the newest 100). A SecureString value is stored only sealed by the
# keyring (`value_sealed`); `value_text` holds String and StringList values.
parameter_versions = sa.Table(
    "parameter_versions",
    metadata,
    sa.Column(
        "parameter_id",
        BIGINT_PK,
        sa.ForeignKey("parameters.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("version", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("value_text", sa.Text, nullable=True),
    sa.Column("value_sealed", sa.LargeBinary, nullable=True),
    sa.Column("key_id", sa.String(256), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("allowed_pattern", sa.Text, nullable=True),
    sa.Column("tier", sa.String(32), nullable=False),
    sa.Column("data_type", sa.String(128), nullable=False),
    sa.Column("policies", sa.Text, nullable=True),
    sa.Column("modified_at", UTCDateTime, nullable=False),
    sa.Column("modified_by", sa.String(2048), nullable=False),
)

# A label names one version of one parameter (moving it re-points the row).
parameter_labels = sa.Table(
    "parameter_labels",
    metadata,
    sa.Column(
        "parameter_id",
        BIGINT_PK,
        sa.ForeignKey("parameters.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("label", sa.String(100), primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Index("ix_parameter_labels_version", "parameter_id", "version"),
)

# The scheduler's view of the current policy set: one row per policy, with when it is next due
# (NULL once there is nothing left to do).
parameter_policies = sa.Table(
    "parameter_policies",
    metadata,
    sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
    sa.Column(
        "parameter_id",
        BIGINT_PK,
        sa.ForeignKey("parameters.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("policy_type", sa.String(32), nullable=False),
    sa.Column("policy_text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("due_at", UTCDateTime, nullable=True),
    sa.Index("ix_parameter_policies_parameter", "parameter_id"),
    sa.Index("ix_parameter_policies_due", "due_at"),
)
