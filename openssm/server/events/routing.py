"""Routing: turning outbox events into deliveries, in one transaction.

Each event is matched against the rules of its account and region that were enabled when it
was written (EventBridge matches an event when it is put: a rule enabled later does not get
it, a rule disabled since still does); every target of a matching rule gets a delivery of
the event's EventBridge envelope. A Run Command status event whose command asked for
notifications of that kind and status (SendCommand's NotificationConfig) also gets a
delivery of AWS's notification message to the destination mapped to its NotificationArn.
The event is then marked routed; from there each target's progress is its delivery row's,
so a restart loses nothing and repeats nothing already sent.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy.engine import Connection

from openssm.server.events import runcommand, shapes
from openssm.server.events.outbox import SSM_SOURCE
from openssm.server.events.patterns import EventPattern, PatternError, parse_pattern
from openssm.server.store.commands import repo as commands_repo
from openssm.server.store.events import deliveries as delivery_rows
from openssm.server.store.events import rules as rule_rows

log = logging.getLogger("openssm.events")

_RUN_COMMAND_KINDS = {
    shapes.COMMAND_STATUS_CHANGE: "Command",
    shapes.INVOCATION_STATUS_CHANGE: "Invocation",
}


@functools.lru_cache(maxsize=1024)
def _compiled(text: str) -> EventPattern | None:
    try:
        return parse_pattern(text)
    except PatternError:
        log.warning("ignoring a stored event pattern that does not parse")
        return None


def stored_event(row: delivery_rows.OutboxRow) -> shapes.StoredEvent:
    return shapes.StoredEvent(
        outbox_id=row.id,
        account_id=row.account_id,
        region=row.region,
        created_at=row.created_at,
        source=row.source,
        detail_type=row.detail_type,
        resources=row.resources,
        detail=row.detail,
    )


def route(conn: Connection, *, now: dt.datetime, limit: int) -> int:
    """Route up to ``limit`` of the oldest unrouted events; returns how many were routed."""
    if not delivery_rows.take_routing_turn(conn):
        return 0
    rows = delivery_rows.unrouted(conn, limit=limit)
    if not rows:
        return 0
    scopes = {(r.account_id, r.region) for r in rows}
    rules = rule_rows.rules_covering(conn, scopes, rows[0].id)
    targets: dict[int, list[rule_rows.TargetRow]] = {}
    for target in rule_rows.targets_of(conn, [rule.id for rule in rules]):
        assert target.rule_id is not None
        targets.setdefault(target.rule_id, []).append(target)
    deliveries: list[delivery_rows.NewDelivery] = []
    notices: list[tuple[tuple[str, str, str], delivery_rows.NewDelivery]] = []
    commands: dict[str, shapes.CommandFacts | None] = {}
    for row in rows:
        in_scope = [
            rule
            for rule in rules
            if (rule.account_id, rule.region) == (row.account_id, row.region)
            and rule.covers(row.id)
        ]
        kind = _RUN_COMMAND_KINDS.get(row.detail_type) if row.source == SSM_SOURCE else None
        if not in_scope and kind is None:
            continue  # nothing can want it: no rule of its scope, no notification
        notice = (
            None
            if kind is None
            else _notification(conn, row.detail, row.created_at, kind, commands)
        )
        if not in_scope and notice is None:
            continue  # most Run Command events: their command asked for no notification
        event = stored_event(row)
        key = shapes.ordering_key(event)
        # The envelope is made for a rule only.
        envelope = shapes.envelope(event) if in_scope else {}
        body = shapes.compact(envelope) if in_scope else ""
        for rule in in_scope:
            pattern = _compiled(rule.event_pattern)
            if pattern is None or not pattern.matches(envelope):
                continue
            deliveries.extend(
                delivery_rows.NewDelivery(
                    target_row=t.id, event_id=row.id, ordering_key=key, body=body
                )
                for t in targets.get(rule.id, ())
            )
        if notice is not None:
            topic, message = notice
            notices.append(
                (
                    (row.account_id, row.region, topic),
                    delivery_rows.NewDelivery(
                        target_row=0, event_id=row.id, ordering_key=key, body=message
                    ),
                )
            )
    deliveries.extend(_to_topics(conn, notices))
    delivery_rows.insert_deliveries(conn, deliveries, now)
    delivery_rows.mark_routed(conn, [row.id for row in rows], now)
    return len(rows)


def _notification(
    conn: Connection,
    detail: dict[str, Any],
    created_at: dt.datetime,
    kind: str,
    commands: dict[str, shapes.CommandFacts | None],
) -> tuple[str, str] | None:
    """(NotificationArn, message) when a Run Command event of ``kind`` (Command or Invocation)
    with this detail is one its command asked to be notified of; ``commands`` keeps each
    command's facts for the events after (a fan-out's are many)."""
    command_id = detail.get("command-id")
    if not isinstance(command_id, str):
        return None
    if command_id not in commands:
        command = commands_repo.get_command_by_id(conn, command_id)
        commands[command_id] = None if command is None else runcommand.facts(command)
    facts = commands[command_id]
    if facts is None:
        return None
    config = facts.notification_config
    status = str(detail.get("status", ""))
    if not shapes.notification_wanted(config, kind, status):
        return None
    if kind == "Command":
        message = shapes.command_message(facts, status, created_at)
    else:
        instance_id = str(detail.get("instance-id", ""))
        message = shapes.invocation_message(facts, instance_id, status, created_at)
    return str(config["NotificationArn"]), shapes.compact(message)


def _to_topics(
    conn: Connection, notices: Iterable[tuple[tuple[str, str, str], delivery_rows.NewDelivery]]
) -> list[delivery_rows.NewDelivery]:
    notices = list(notices)
    if not notices:
        return []
    mapped = rule_rows.topic_targets(conn, {scope for scope, _ in notices})
    deliveries: list[delivery_rows.NewDelivery] = []
    for scope, notice in notices:
        target = mapped.get(scope)
        if target is None:
            log.warning("no destination is mapped to notification topic %s", scope[2])
            continue
        deliveries.append(
            delivery_rows.NewDelivery(
                target_row=target.id,
                event_id=notice.event_id,
                ordering_key=notice.ordering_key,
                body=notice.body,
            )
        )
    return deliveries
