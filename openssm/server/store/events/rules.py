"""Rows of event rules, their targets and notification topics. Every function runs in the
caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.events.tables import event_deliveries, event_rules, event_targets

R = event_rules.c
T = event_targets.c
D = event_deliveries.c


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRow:
    id: int
    account_id: str
    region: str
    name: str
    description: str
    event_pattern: str
    state: str
    created_at: dt.datetime
    enabled_after: int
    disabled_after: int | None

    def covers(self, event_id: int) -> bool:
        """True when the outbox event was written while the rule was enabled."""
        if event_id <= self.enabled_after:
            return False
        return self.disabled_after is None or event_id <= self.disabled_after


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetRow:
    id: int
    account_id: str
    region: str
    rule_id: int | None
    target_id: str
    topic_arn: str | None
    kind: str
    address: str
    secret_sealed: str | None
    max_attempts: int | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewTarget:
    kind: str
    address: str
    secret_sealed: str | None
    max_attempts: int | None


def _rule(row: Any) -> RuleRow:
    return RuleRow(**{f: row._mapping[f] for f in RuleRow.__slots__})


def target_from_row(row: Any) -> TargetRow:
    return TargetRow(**{f: row._mapping[f] for f in TargetRow.__slots__})


# --- rules ------------------------------------------------------------------------------------


def get_rule(conn: Connection, *, account_id: str, region: str, name: str) -> RuleRow | None:
    row = conn.execute(
        sa.select(event_rules).where(R.account_id == account_id, R.region == region, R.name == name)
    ).first()
    return None if row is None else _rule(row)


def insert_rule(conn: Connection, rule: RuleRow) -> None:
    values = {f: getattr(rule, f) for f in RuleRow.__slots__ if f != "id"}
    conn.execute(event_rules.insert().values(**values))


def update_rule(
    conn: Connection,
    rule_id: int,
    *,
    description: str,
    event_pattern: str,
    state: str,
    window: tuple[int, int | None],
) -> None:
    conn.execute(
        event_rules.update()
        .where(R.id == rule_id)
        .values(
            description=description,
            event_pattern=event_pattern,
            state=state,
            enabled_after=window[0],
            disabled_after=window[1],
        )
    )


def list_rules(
    conn: Connection, *, account_id: str, region: str, prefix: str, after: str | None, limit: int
) -> list[RuleRow]:
    query = sa.select(event_rules).where(R.account_id == account_id, R.region == region)
    if prefix:
        query = query.where(R.name.startswith(prefix, autoescape=True))
    if after is not None:
        query = query.where(R.name > after)
    return [_rule(r) for r in conn.execute(query.order_by(R.name).limit(limit))]


def delete_rule(conn: Connection, rule_id: int) -> None:
    conn.execute(event_rules.delete().where(R.id == rule_id))


def rules_covering(
    conn: Connection, scopes: Collection[tuple[str, str]], first_event_id: int
) -> list[RuleRow]:
    """The rules of these (account, region) pairs that were enabled when some event from
    ``first_event_id`` on was written: the enabled ones, and those disabled since."""
    if not scopes:
        return []
    query = sa.select(event_rules).where(
        sa.or_(
            R.state == "ENABLED",
            sa.and_(R.disabled_after >= first_event_id, R.disabled_after > R.enabled_after),
        ),
        sa.tuple_(R.account_id, R.region).in_(list(scopes)),
    )
    return [_rule(r) for r in conn.execute(query.order_by(R.id))]


# --- targets ----------------------------------------------------------------------------------


def targets_of(conn: Connection, rule_ids: Collection[int]) -> list[TargetRow]:
    if not rule_ids:
        return []
    query = sa.select(event_targets).where(T.rule_id.in_(list(rule_ids)))
    return [target_from_row(r) for r in conn.execute(query.order_by(T.rule_id, T.target_id))]


def put_target(
    conn: Connection, *, rule: RuleRow, target_id: str, target: NewTarget, now: dt.datetime
) -> None:
    """Add the target, or change the one with this id (its pending deliveries stay queued)."""
    values = {
        "kind": target.kind,
        "address": target.address,
        "secret_sealed": target.secret_sealed,
        "max_attempts": target.max_attempts,
    }
    updated = conn.execute(
        event_targets.update()
        .where(T.rule_id == rule.id, T.target_id == target_id)
        .values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(
            event_targets.insert().values(
                account_id=rule.account_id,
                region=rule.region,
                rule_id=rule.id,
                target_id=target_id,
                topic_arn=None,
                created_at=now,
                **values,
            )
        )


def remove_targets(conn: Connection, rule_id: int, target_ids: Collection[str]) -> set[str]:
    """Remove these targets of the rule (their undelivered events with them); returns the ids
    that named a target."""
    found = set(
        conn.execute(
            sa.select(T.target_id).where(T.rule_id == rule_id, T.target_id.in_(list(target_ids)))
        ).scalars()
    )
    if found:
        ids = sa.select(T.id).where(T.rule_id == rule_id, T.target_id.in_(list(found)))
        conn.execute(event_deliveries.delete().where(D.target_row.in_(ids)))
        conn.execute(
            event_targets.delete().where(T.rule_id == rule_id, T.target_id.in_(list(found)))
        )
    return found


def targets_in(conn: Connection, *, account_id: str, region: str) -> list[tuple[str, TargetRow]]:
    """Every target of the account and region with its rule's name (a notification topic's
    destination: the topic ARN), rules first."""
    query = (
        sa.select(sa.func.coalesce(R.name, T.topic_arn).label("owner"), event_targets)
        .select_from(event_targets.outerjoin(event_rules, R.id == T.rule_id))
        .where(T.account_id == account_id, T.region == region)
        .order_by(T.rule_id.is_(None), sa.literal_column("owner"), T.target_id)
    )
    return [(row.owner, target_from_row(row)) for row in conn.execute(query)]


def count_targets(conn: Connection, rule_id: int) -> int:
    query = sa.select(sa.func.count()).select_from(event_targets).where(T.rule_id == rule_id)
    return int(conn.execute(query).scalar_one())


# --- notification topics ---------------------------------------------------------------------


def topic_targets(
    conn: Connection, scopes: Collection[tuple[str, str, str]]
) -> dict[tuple[str, str, str], TargetRow]:
    """The destinations of these (account, region, topic ARN) triples that have one."""
    if not scopes:
        return {}
    query = sa.select(event_targets).where(
        T.rule_id.is_(None), sa.tuple_(T.account_id, T.region, T.topic_arn).in_(list(scopes))
    )
    rows = [target_from_row(r) for r in conn.execute(query)]
    return {(r.account_id, r.region, r.topic_arn or ""): r for r in rows}


def put_topic(
    conn: Connection,
    *,
    account_id: str,
    region: str,
    topic_arn: str,
    target: NewTarget,
    now: dt.datetime,
) -> None:
    remove_topic(conn, account_id=account_id, region=region, topic_arn=topic_arn)
    conn.execute(
        event_targets.insert().values(
            account_id=account_id,
            region=region,
            rule_id=None,
            target_id="topic",
            topic_arn=topic_arn,
            kind=target.kind,
            address=target.address,
            secret_sealed=target.secret_sealed,
            max_attempts=target.max_attempts,
            created_at=now,
        )
    )


def list_topics(conn: Connection, *, account_id: str, region: str) -> list[TargetRow]:
    query = sa.select(event_targets).where(
        T.rule_id.is_(None), T.account_id == account_id, T.region == region
    )
    return [target_from_row(r) for r in conn.execute(query.order_by(T.topic_arn))]


def remove_topic(conn: Connection, *, account_id: str, region: str, topic_arn: str) -> bool:
    where = (
        T.rule_id.is_(None),
        T.account_id == account_id,
        T.region == region,
        T.topic_arn == topic_arn,
    )
    ids = sa.select(T.id).where(*where)
    conn.execute(event_deliveries.delete().where(D.target_row.in_(ids)))
    return conn.execute(event_targets.delete().where(*where)).rowcount > 0
