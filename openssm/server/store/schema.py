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

# A row per cached kind of data (see repos/generations.py): every change to that data
# bumps its row in the same transaction, so a server can keep it in memory and still
# see another process's change on the very next request.
generations = sa.Table(
    "generations",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("generation", sa.BigInteger, nullable=False),
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


# --- Documents ----------------------------------------------------------------------------

# One row per document an account owns (Amazon's built-in documents live in memory, not here).
# `default_version` points at a document_versions row; `last_version` is the highest number ever
# issued, so a number freed by deleting a version is never handed out again.
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", _PK, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("document_type", sa.String(64), nullable=False),
    sa.Column("default_version", sa.BigInteger, nullable=False),
    sa.Column("last_version", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("account_id", "region", "name", name="uq_documents_scope_name"),
)

# Every version, as submitted: `content` is the text the Sha256 `hash` covers. The summary
# columns (schema version, platforms, description, parameters as JSON) are derived from the
# content when the version is written, so listings never re-parse documents.
document_versions = sa.Table(
    "document_versions",
    metadata,
    sa.Column(
        "document_id",
        _PK,
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("version", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("version_name", sa.String(128), nullable=True),
    sa.Column("display_name", sa.String(1024), nullable=True),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("document_format", sa.String(8), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("target_type", sa.String(200), nullable=True),
    sa.Column("schema_version", sa.String(16), nullable=False),
    sa.Column("platform_types", sa.String(64), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("document_id", "version_name", name="uq_document_versions_version_name"),
)

# ModifyDocumentPermission: who a document is shared with ("all" = every account of the server)
# and which version they see ($DEFAULT, $LATEST or $ALL).
document_permissions = sa.Table(
    "document_permissions",
    metadata,
    sa.Column(
        "document_id",
        _PK,
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("shared_with", sa.String(12), primary_key=True),
    sa.Column("shared_version", sa.String(8), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_document_permissions_shared_with", "shared_with"),
)


# --- Managed nodes and hybrid activations -----------------------------------------------------

# An activation lets hosts register. Its code is a secret: only a salted HMAC-SHA256 of it is
# kept (code_salt, code_digest). Tags and registration metadata are fixed at creation (AWS
# does not let them change), so they are stored with the row as JSON.
activations = sa.Table(
    "activations",
    metadata,
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
    sa.Index("ix_activations_scope_created", "account_id", "region", "created_at", "activation_id"),
)

# One row per registered host, kept after deregistration (deregistered_at set) so that an id
# is never handed out twice. `channel_id` names the live channel connection holding the host
# (NULL when none); `last_ping_at` is when the host was last heard from.
managed_instances = sa.Table(
    "managed_instances",
    metadata,
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
    sa.Index("ix_managed_instances_scope_id", "account_id", "region", "instance_id"),
)
