"""Tables of the managed fleet: hybrid activations and the hosts registered with them."""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import UTCDateTime, metadata

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
    # The ping status the last ping-status event said (NULL before the first): a change is
    # reported once, by whichever transaction makes it.
    sa.Column("ping_reported", sa.String(16), nullable=True),
    sa.Index("ix_managed_instances_scope_id", "account_id", "region", "instance_id"),
)

# Hosts whose registration or tags changed, and so perhaps which association targets they
# match: written in the transaction of the change, consumed by the association scheduler
# (store/fleet/changes.py). Fleet knows nothing of associations; it only notes the change.
instance_changes = sa.Table(
    "instance_changes",
    metadata,
    sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("instance_id", sa.String(20), nullable=False),
)
