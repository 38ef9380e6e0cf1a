"""Table definitions shared by SQLite and PostgreSQL (SQLAlchemy Core, one MetaData).

Every row that belongs to a user of the API carries (account_id, region).
Capabilities add their tables here and a migration in migrations/versions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on both dialects.

    SQLite has no time zones, so values are stored as naive UTC there and the
    zone is put back when read.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("user_name", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "user_name", name="uq_users_account_name"),
)

user_policies = sa.Table(
    "user_policies",
    metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("policy_name", sa.String(128), primary_key=True),
    sa.Column("document", sa.Text, nullable=False),
)

access_keys = sa.Table(
    "access_keys",
    metadata,
    sa.Column("access_key_id", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # The secret is sealed with the server's keyring; plaintext never reaches the database.
    sa.Column("secret_sealed", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
)

resource_tags = sa.Table(
    "resource_tags",
    metadata,
    sa.Column("account_id", sa.String(12), primary_key=True),
    sa.Column("region", sa.String(32), primary_key=True),
    sa.Column("resource_type", sa.String(32), primary_key=True),
    sa.Column("resource_id", sa.String(2048), primary_key=True),
    sa.Column("tag_key", sa.String(128), primary_key=True),
    sa.Column("tag_value", sa.String(256), nullable=False),
)

outbox_events = sa.Table(
    "outbox_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("detail_type", sa.String(128), nullable=False),
    sa.Column("resources", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("attempt_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.Index("ix_outbox_events_undelivered", "delivered_at", "id"),
)


# --- Parameter Store ----------------------------------------------------------------------


def _key_type() -> sa.types.TypeEngine[str]:
    """Parameter keys compare byte-wise on both dialects (PostgreSQL: collation "C"), so
    ordering, keyset paging and prefix ranges agree between SQLite and PostgreSQL."""
    return sa.String(2048).with_variant(sa.String(2048, collation="C"), "postgresql")


_PK = sa.BigInteger().with_variant(sa.Integer, "sqlite")

# One row per parameter. Its key is the name with a leading "/" (AWS treats "a" and "/a" as
# one parameter); `name` keeps the spelling it was created with. `current_version` points at
# the newest parameter_versions row; history rows are never rewritten.
parameters = sa.Table(
    "parameters",
    metadata,
    sa.Column("id", _PK, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("name", sa.String(2048), nullable=False),
    sa.Column("name_key", _key_type(), nullable=False),
    sa.Column("parent_key", _key_type(), nullable=False),
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
        _PK,
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
        _PK,
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
    sa.Column("id", _PK, primary_key=True, autoincrement=True),
    sa.Column(
        "parameter_id",
        _PK,
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
