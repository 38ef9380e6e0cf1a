"""Tables of Run Command: commands, one invocation per target, one result per plugin step.

The invocation rows are the truth the dispatcher works from (DESIGN §4): a row is created
Pending when the command is sent, claimed by the replica that delivers it, and ends with the
agent's result or a timeout. A command's counts and status are a cache of its invocations'
roll-up, rewritten in the same transaction as every change to them.
"""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import UTCDateTime, metadata

# What the caller sent is kept as the wire shows it (JSON text): parameters with
# {{ssm-secure:…}} references left as written, targets, notification settings. The plan the
# agents run is sealed with the keyring (``sealed_plan``): it may hold decrypted secrets.
commands = sa.Table(
    "commands",
    metadata,
    sa.Column("command_id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("document_name", sa.String(256), nullable=False),
    sa.Column("document_version", sa.String(16), nullable=True),
    sa.Column("comment", sa.String(100), nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("instance_ids", sa.Text, nullable=False),
    sa.Column("targets", sa.Text, nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("delivery_timeout_s", sa.Integer, nullable=False),
    sa.Column("execution_timeout_s", sa.Integer, nullable=False),
    sa.Column("output_s3_region", sa.String(20), nullable=False),
    sa.Column("output_s3_bucket", sa.String(63), nullable=False),
    sa.Column("output_s3_prefix", sa.String(500), nullable=False),
    sa.Column("max_concurrency", sa.String(7), nullable=False),
    sa.Column("max_errors", sa.String(7), nullable=False),
    sa.Column("concurrency", sa.Integer, nullable=False),
    sa.Column("errors_allowed", sa.Integer, nullable=False),
    sa.Column("service_role", sa.String(2048), nullable=False),
    sa.Column("notification_config", sa.Text, nullable=False),
    sa.Column("cloudwatch_output_config", sa.Text, nullable=False),
    sa.Column("sealed_plan", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_details", sa.String(32), nullable=False),
    sa.Column("target_count", sa.Integer, nullable=False),
    sa.Column("completed_count", sa.Integer, nullable=False),
    sa.Column("error_count", sa.Integer, nullable=False),
    sa.Column("delivery_timed_out_count", sa.Integer, nullable=False),
    sa.Column("cancel_requested", sa.Boolean, nullable=False),
    # Set once every invocation ended: the dispatcher and the timeout sweep skip the command.
    sa.Column("finished", sa.Boolean, nullable=False),
    sa.Index("ix_commands_scope_requested", "account_id", "region", "requested_at", "command_id"),
    sa.Index("ix_commands_active", "finished", "requested_at"),
)

# One row per (command, target). ``claimed_by`` names the server replica that delivered it
# (NULL until delivered); ``delivered_at`` starts the execution clock.
command_invocations = sa.Table(
    "command_invocations",
    metadata,
    sa.Column(
        "command_id",
        sa.String(36),
        sa.ForeignKey("commands.command_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("instance_id", sa.String(20), primary_key=True),
    sa.Column("instance_name", sa.String(255), nullable=False),
    sa.Column("status_details", sa.String(32), nullable=False),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("claimed_by", sa.String(32), nullable=True),
    sa.Column("deliveries", sa.Integer, nullable=False),
    sa.Column("response_code", sa.Integer, nullable=False),
    sa.Index("ix_command_invocations_instance", "instance_id", "status_details"),
    sa.Index("ix_command_invocations_details", "command_id", "status_details"),
)

# One row per plugin step that the agent reported. Output keeps AWS's inline limits (the first
# 24,000 characters of standard output, 8,000 of standard error); the whole output lives in the
# object store (openssm.server.outputs), or is the text here when that is all of it. The sizes
# are bytes of the whole output; ``output_kept`` says all of it was collected and stored.
command_plugins = sa.Table(
    "command_plugins",
    metadata,
    sa.Column("command_id", sa.String(36), primary_key=True),
    sa.Column("instance_id", sa.String(20), primary_key=True),
    sa.Column("step_index", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_details", sa.String(100), nullable=False),
    sa.Column("response_code", sa.Integer, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=True),
    sa.Column("ended_at", UTCDateTime, nullable=True),
    sa.Column("stdout", sa.Text, nullable=False),
    sa.Column("stderr", sa.Text, nullable=False),
    sa.Column("output_key_prefix", sa.String(1024), nullable=False),
    sa.Column("plugin_id", sa.String(128), nullable=False, server_default=""),
    sa.Column("stdout_size", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("stderr_size", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("output_kept", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.ForeignKeyConstraint(
        ["command_id", "instance_id"],
        ["command_invocations.command_id", "command_invocations.instance_id"],
        ondelete="CASCADE",
    ),
)
