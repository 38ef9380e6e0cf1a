"""Documents: account-owned documents, their versions and sharing permissions.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "documents",
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
    op.create_table(
        "document_versions",
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
        sa.UniqueConstraint(
            "document_id", "version_name", name="uq_document_versions_version_name"
        ),
    )
    op.create_table(
        "document_permissions",
        sa.Column(
            "document_id",
            _PK,
            sa.ForeignKey("documents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("shared_with", sa.String(12), primary_key=True),
        sa.Column("shared_version", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_document_permissions_shared_with", "document_permissions", ["shared_with"])


def downgrade() -> None:
    op.drop_index("ix_document_permissions_shared_with", table_name="document_permissions")
    op.drop_table("document_permissions")
    op.drop_table("document_versions")
    op.drop_table("documents")
