"""Tables of event delivery: rules, targets (a rule's, or the destination of a notification
topic) and one delivery row per event and target, which carries its own retry state."""

from __future__ import annotations

import sqlalchemy as sa

from openssm.server.store.schema import BIGINT_PK, UTCDateTime, metadata

event_rules = sa.Table(
    "event_rules",
    metadata,
    sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("description", sa.String(512), nullable=False),
    sa.Column("event_pattern", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    # The rule matches the outbox events with enabled_after < id <= disabled_after (no upper
    # bound while enabled): the events written while it was last enabled, whenever the relay
    # routes them.
    sa.Column("enabled_after", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("disabled_after", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("account_id", "region", "name", name="uq_event_rules_name"),
)

# A rule's target (rule_id set) or where a Run Command NotificationArn is delivered (topic_arn
# set). ``kind`` is webhook, file, eventbridge or sns; ``address`` the URL, file name, event
# bus ARN or topic ARN. A webhook's signing secret is sealed with the server's keyring.
event_targets = sa.Table(
    "event_targets",
    metadata,
    sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
    sa.Column("account_id", sa.String(12), nullable=False),
    sa.Column("region", sa.String(32), nullable=False),
    sa.Column(
        "rule_id", sa.BigInteger, sa.ForeignKey("event_rules.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column("target_id", sa.String(64), nullable=False),
    sa.Column("topic_arn", sa.String(1600), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("secret_sealed", sa.Text, nullable=True),
    sa.Column("max_attempts", sa.Integer, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("rule_id", "target_id", name="uq_event_targets_rule_target"),
    sa.Index("ix_event_targets_topic", "account_id", "region", "topic_arn"),
)

# One event on its way to one target. A delivery waits while an older one with the same
# target and ordering key is still pending (order per resource); ``leased_until`` keeps a
# delivery being sent by one replica from being sent by another.
event_deliveries = sa.Table(
    "event_deliveries",
    metadata,
    sa.Column("id", BIGINT_PK, primary_key=True, autoincrement=True),
    sa.Column(
        "target_row",
        sa.BigInteger,
        sa.ForeignKey("event_targets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("event_id", sa.BigInteger, nullable=False),
    sa.Column("ordering_key", sa.String(512), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("leased_until", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Index("ix_event_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_event_deliveries_order", "target_row", "ordering_key", "event_id"),
)
