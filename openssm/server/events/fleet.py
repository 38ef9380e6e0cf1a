"""The fleet's events: a managed node registered ("SSM Managed Instance Registration") or
deregistered ("SSM Managed Instance Deregistration"), and its ping status changed (openssm's
own detail-type), written in the transaction that does it."""

from __future__ import annotations

import datetime as dt

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
    conn: Connection, *, connected: set[str], disconnected: set[str], now: dt.datetime
) -> None:
    """After a presence flush: Online for the nodes whose channel opened, ConnectionLost for
    those whose channel closed and was not replaced (openssm's own detail-type; AWS has no
    ping-status event). A node that falls silent without closing its channel is not reported."""
    wanted = connected | disconnected
    if not wanted:
        return
    c = managed_instances.c
    rows = conn.execute(
        sa.select(c.instance_id, c.account_id, c.region, c.channel_id).where(
            c.instance_id.in_(sorted(wanted)), c.deregistered_at.is_(None)
        )
    )
    by_scope: dict[tuple[str, str], list[tuple[list[str], dict[str, str]]]] = {}
    for instance_id, account_id, region, channel_id in rows:
        if channel_id is not None and instance_id in connected:
            status = "Online"
        elif channel_id is None and instance_id in disconnected:
            status = "ConnectionLost"
        else:
            continue
        arn = arns.managed_instance_arn(region, account_id, instance_id)
        detail = {"instance-id": instance_id, "ping-status": status}
        by_scope.setdefault((account_id, region), []).append(([arn], detail))
    for (account_id, region), events in by_scope.items():
        scope = Scope(account_id=account_id, region=region, now=now)
        write_events(conn, scope, SSM_SOURCE, shapes.PING_STATUS_CHANGE, events)
