"""Tables of State Manager.

An association's settings are kept as AWS shows them (JSON text, ``spec``), once per version in
``association_versions`` (history is never rewritten) and once more, for the current version,
on the ``associations`` row beside the columns the scheduler and the filters query.

Each run is an execution (``association_executions``) carried out by one Run Command command;
``association_execution_targets`` keeps each host's result of it. ``instance_associations`` is
the per-host state between runs: the last result (DescribeInstanceAssociationsStatus, the
overview's counts, compliance) and ``needs_apply``, the intent to apply the association to that
host as soon as it is online (it joined the targets, or a run never reached it).
"""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import UTCDateTime, metadata

associations = sa.Table(
    "associations",
    metadata,
    sa.Column("association_id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("association_name", sa.String(128), nullable=True),
    sa.Column("instance_id", sa.String(20), nullable=True),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # When the schedule next comes due, and an immediate run asked for (creation, an update,
    # StartAssociationsOnce): the scheduler starts a run when either is due.
    sa.Column("next_run_at", UTCDateTime, nullable=True),
    sa.Column("run_requested_at", UTCDateTime, nullable=True),
    sa.Column("last_execution_at", UTCDateTime, nullable=True),
    sa.Column("last_successful_execution_at", UTCDateTime, nullable=True),
    # AssociationDescription.Status: set by UpdateAssociationStatus (legacy associations).
    sa.Column("status", sa.Text, nullable=True),
    sa.Index("ix_associations_scope", "account_id", "region", "association_id"),
    sa.Index("ix_associations_next_run", "next_run_at"),
    sa.Index("ix_associations_run_requested", "run_requested_at"),
)

association_versions = sa.Table(
    "association_versions",
    metadata,
    sa.Column(
        "association_id",
        sa.String(36),
        sa.ForeignKey("associations.association_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("association_name", sa.String(128), nullable=True),
    sa.Column("spec", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

association_executions = sa.Table(
    "association_executions",
    metadata,
    sa.Column("execution_id", sa.String(36), primary_key=True),
    sa.Column(
        "association_id",
        sa.String(36),
        sa.ForeignKey("associations.association_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("association_version", sa.Integer, nullable=False),
    sa.Column("command_id", sa.String(36), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("detailed_status", sa.String(32), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Index("ix_association_executions_association", "association_id", "created_at"),
    sa.Index("ix_association_executions_active", "active"),
)

association_execution_targets = sa.Table(
    "association_execution_targets",
    metadata,
    sa.Column(
        "execution_id",
        sa.String(36),
        sa.ForeignKey("association_executions.execution_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("instance_id", sa.String(20), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("detailed_status", sa.String(32), nullable=False),
    sa.Column("last_execution_at", UTCDateTime, nullable=False),
    sa.Column("ended", sa.Boolean, nullable=False),
)

instance_associations = sa.Table(
    "instance_associations",
    metadata,
    sa.Column(
        "association_id",
        sa.String(36),
        sa.ForeignKey("associations.association_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("instance_id", sa.String(20), primary_key=True),
    sa.Column("association_version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("detailed_status", sa.String(32), nullable=False),
    sa.Column("execution_at", UTCDateTime, nullable=True),
    sa.Column("execution_summary", sa.String(512), nullable=False),
    sa.Column("error_code", sa.String(10), nullable=False),
    sa.Column("needs_apply", sa.Boolean, nullable=False),
    sa.Index("ix_instance_associations_instance", "instance_id"),
    sa.Index("ix_instance_associations_needs_apply", "needs_apply"),
)
