"""Parameter Store: parameters, their versions, labels and policies.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from openssm.server.store.schema import UTCDateTime

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

_PK = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def _key() -> sa.types.TypeEngine[str]:
    return sa.String(2048).with_variant(sa.String(2048, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "parameters",
        sa.Column("id", _PK, primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("name", sa.String(2048), nullable=False),
        sa.Column("name_key", _key(), nullable=False),
        sa.Column("parent_key", _key(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("current_version", sa.BigInteger, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("account_id", "region", "name_key", name="uq_parameters_scope_key"),
    )
    op.create_index(
        "ix_parameters_scope_parent",
        "parameters",
        ["account_id", "region", "parent_key", "name_key"],
    )
    op.create_index("ix_parameters_scope_tier", "parameters", ["account_id", "region", "tier"])
    op.create_table(
        "parameter_versions",
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
    op.create_table(
        "parameter_labels",
        sa.Column(
            "parameter_id",
            _PK,
            sa.ForeignKey("parameters.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("label", sa.String(100), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_parameter_labels_version", "parameter_labels", ["parameter_id", "version"])
    op.create_table(
        "parameter_policies",
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
    )
    op.create_index("ix_parameter_policies_parameter", "parameter_policies", ["parameter_id"])
    op.create_index("ix_parameter_policies_due", "parameter_policies", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_parameter_policies_due", table_name="parameter_policies")
    op.drop_index("ix_parameter_policies_parameter", table_name="parameter_policies")
    op.drop_table("parameter_policies")
    op.drop_index("ix_parameter_labels_version", table_name="parameter_labels")
    op.drop_table("parameter_labels")
    op.drop_table("parameter_versions")
    op.drop_index("ix_parameters_scope_tier", table_name="parameters")
    op.drop_index("ix_parameters_scope_parent", table_name="parameters")
    op.drop_table("parameters")
