"""Tables of account-owned documents: the document, its versions and who it is shared with."""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import BIGINT_PK, UTCDateTime, metadata

# One row per document an account owns (Amazon's built-in documents live in memory, not here).
# `default_version` points at a document_versions row; `last_version` is the highest number ever
# issued, so a number freed by deleting a version is never handed out again.
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
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
        BIGINT_PK,
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
        BIGINT_PK,
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("shared_with", sa.String(12), primary_key=True),
    sa.Column("shared_version", sa.String(8), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_document_permissions_shared_with", "shared_with"),
)
