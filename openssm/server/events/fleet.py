"""The fleet's events: a managed node registered ("SSM Managed Instance Registration") or
deregistered ("SSM Managed Instance Deregistration"), and its ping status changed (openssm's
own detail-type), written in the transaction that does it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm import arns
from openssm.server.events import shapes
from openssm.server.events.outbox import SSM_SOURCE, EventScope, Scope, write_event, write_events
from openssm.server.store.fleet.tables import managed_instances


def instance_registered(conn: Connection, scope: EventScope, instance_id: str, name: str) -> None:
    detail = {"instance-id": instance_id, "computer-name": name}
    arn = arns.managed_instance_arn(scope.region, scope.account_id, instance_id)
    write_event(conn, scope, SSM_SOURCE, shapes.INSTANCE_REGISTRATION, [arn], detail)


def instance_deregistered(conn: Connection, scope: EventScope, instance_id: str) -> None:
    arn = arns.managed_instance_arn(scope.region, scope.account_id, instance_id)
    detail = {"instance-id": instance_id}
    write_event(conn, scope, SSM_SOURCE, shapes.INSTANCE_DEREGISTRATION, [arn], detail)


def ping_status_changed(
    conn: Connection,
    *,
    connected: set[str],
    disconnected: set[str],
    now: dt.datetime,
    heard: Collection[str] = (),
) -> None:
    """After a presence flush: Online for the nodes whose channel opened (or that were heard
    again on a channel that had fallen silent), ConnectionLost for those whose channel closed
    and was not replaced (openssm's own detail-type; AWS has no ping-status event). Each is
    written only when it changes what was last reported."""
    c = managed_instances.c
    for status, ids, held in (
        ("Online", connected | set(heard), c.channel_id.is_not(None)),
        ("ConnectionLost", disconnected, c.channel_id.is_(None)),
    ):
        if ids:
            _report(conn, status, c.instance_id.in_(sorted(ids)), held, now=now)


def silent_nodes_lost(conn: Connection, *, now: dt.datetime, silent_for_s: float) -> int:
    """ConnectionLost for the nodes last reported Online that have been silent longer than
    ``silent_for_s`` though their channel was never closed (a host that froze or lost its
    network, a server that died holding the channel); returns how many."""
    c = managed_instances.c
    cutoff = now - dt.timedelta(seconds=silent_for_s)
    silent = (c.ping_reported == "Online", c.last_ping_at < cutoff)
    return _report(conn, "ConnectionLost", *silent, now=now)


def _report(
    conn: Connection, status: str, *conditions: sa.ColumnElement[bool], now: dt.datetime
) -> int:
    """Mark the registered nodes matching ``conditions`` whose last report was another status
    as reported ``status``, and write their events in the same transaction; the update's
    condition makes the change reported once even when replicas race."""
    c = managed_instances.c
    changed = conn.execute(
        managed_instances.update()
        .where(
            *conditions,
            c.deregistered_at.is_(None),
            sa.or_(c.ping_reported.is_(None), c.ping_reported != status),
        )
        .values(ping_reported=status)
        .returning(c.instance_id, c.account_id, c.region)
    ).all()
    by_scope: dict[tuple[str, str], list[tuple[list[str], dict[str, str]]]] = {}
    for instance_id, account_id, region in sorted(changed):
        arn = arns.managed_instance_arn(region, account_id, instance_id)
        detail = {"instance-id": instance_id, "ping-status": status}
        by_scope.setdefault((account_id, region), []).append(([arn], detail))
    for (account_id, region), events in by_scope.items():
        scope = Scope(account_id=account_id, region=region, now=now)
        write_events(conn, scope, SSM_SOURCE, shapes.PING_STATUS_CHANGE, events)
    return len(changed)
