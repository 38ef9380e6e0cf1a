"""Rows of event delivery: the outbox's routing and each delivery's retry state. Every
function runs in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from openssm.server.store.events.rules import TargetRow
from openssm.server.store.events.tables import event_deliveries, event_targets
from openssm.server.store.schema import outbox_events

T = event_targets.c
D = event_deliveries.c
O = outbox_events.c  # noqa: E741 (the outbox's columns, as T and D are the others')

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"
# Routing takes this PostgreSQL advisory lock, so one replica at a time turns the outbox into
# deliveries, in outbox order (any 64-bit constant; this one spells "evroute").
_ROUTING_LOCK = 0x6576726F757465


@dataclass(frozen=True, kw_only=True)
class OutboxRow:
    """One outbox event, its JSON parsed when first asked for: routing leaves most events'
    unread (no rule or notification wants them)."""

    id: int
    account_id: str
    region: str
    created_at: dt.datetime
    source: str
    detail_type: str
    resources_json: str
    detail_json: str

    @functools.cached_property
    def resources(self) -> list[str]:
        resources: list[str] = json.loads(self.resources_json)
        return resources

    @functools.cached_property
    def detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = json.loads(self.detail_json)
        return detail


@dataclass(frozen=True, slots=True, kw_only=True)
class NewDelivery:
    target_row: int
    event_id: int
    ordering_key: str
    body: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DueDelivery:
    id: int
    event_id: int
    body: str
    attempts: int
    target: TargetRow


# --- the outbox -------------------------------------------------------------------------------


def _outbox(row: Any) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        account_id=row.account_id,
        region=row.region,
        created_at=row.created_at,
        source=row.source,
        detail_type=row.detail_type,
        resources_json=row.resources,
        detail_json=row.detail,
    )


def take_routing_turn(conn: Connection) -> bool:
    """True when this transaction may route: always on SQLite (one writer at a time); on
    PostgreSQL when no other replica is routing."""
    if conn.dialect.name != "postgresql":
        return True
    return bool(conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(_ROUTING_LOCK))).scalar())


_UNROUTED = (
    sa.select(outbox_events)
    .where(O.delivered_at.is_(None))
    .order_by(O.id)
    .limit(sa.bindparam("b_limit"))
    .with_for_update(skip_locked=True)
)


def unrouted(conn: Connection, *, limit: int) -> list[OutboxRow]:
    """The oldest events no rule has been matched against yet."""
    return [_outbox(r) for r in conn.execute(_UNROUTED, {"b_limit": limit})]


def mark_routed(conn: Connection, ids: Sequence[int], now: dt.datetime) -> None:
    # delivered_at says the relay has taken the event: each target's state is in
    # event_deliveries from then on.
    if ids:
        conn.execute(outbox_events.update().where(O.id.in_(list(ids))).values(delivered_at=now))


def prune_routed(conn: Connection, *, before: dt.datetime) -> int:
    """Forget outbox events routed before ``before`` (their deliveries carry their own
    bodies), except the newest event: outbox ids must never be handed out again, and SQLite
    reuses the highest id once it is gone; rules' windows and the tail count on that."""
    newest = sa.select(sa.func.max(O.id)).scalar_subquery()
    result = conn.execute(outbox_events.delete().where(O.delivered_at < before, O.id < newest))
    return result.rowcount


def events_after(
    conn: Connection, *, account_id: str, region: str, after: int, limit: int
) -> list[OutboxRow]:
    """The account's events written after outbox id ``after``, oldest first (for tail)."""
    query = (
        sa.select(outbox_events)
        .where(O.id > after, O.account_id == account_id, O.region == region)
        .order_by(O.id)
        .limit(limit)
    )
    return [_outbox(r) for r in conn.execute(query)]


def last_event_id(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(O.id), 0))).scalar_one())


# --- deliveries -------------------------------------------------------------------------------


def insert_deliveries(conn: Connection, rows: Sequence[NewDelivery], now: dt.datetime) -> None:
    if not rows:
        return
    conn.execute(
        event_deliveries.insert(),
        [
            {
                "target_row": r.target_row,
                "event_id": r.event_id,
                "ordering_key": r.ordering_key[:512],
                "body": r.body,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "leased_until": None,
                "last_error": "",
                "created_at": now,
                "finished_at": None,
            }
            for r in rows
        ],
    )


_DUE_COLUMNS = (D.id, D.event_id, D.body, D.attempts, D.target_row, D.ordering_key)


def claim_due(
    conn: Connection,
    *,
    now: dt.datetime,
    lease_until: dt.datetime,
    limit: int,
    chain: int = 1,
) -> list[list[DueDelivery]]:
    """Chains of deliveries to send now, each for one target and ordering key, oldest first.

    A chain's head is due and has nothing older pending for its target and key; it is
    followed by up to ``chain - 1`` of the next pending deliveries for the same target and
    key (never tried yet: an older one that failed is always a head), to be sent one after
    the other, so a busy resource drains at the pace of its receiver, not one event per
    claim. At most ``limit`` deliveries in all; each is leased until ``lease_until`` so no
    other replica sends it meanwhile (another replica cannot take a follower: it has an older
    one pending, the head)."""
    # Each target and key's oldest pending delivery, read from the pending rows alone: a
    # search for an older pending row per candidate would walk every delivered row of its key.
    oldest = (
        sa.select(D.target_row, D.ordering_key, sa.func.min(D.event_id).label("event_id"))
        .where(D.status == PENDING)
        .group_by(D.target_row, D.ordering_key)
        .subquery("oldest")
    )
    is_oldest = sa.and_(
        D.target_row == oldest.c.target_row,
        D.ordering_key == oldest.c.ordering_key,
        D.event_id == oldest.c.event_id,
    )
    query = (
        sa.select(*_DUE_COLUMNS, *event_targets.c)
        .select_from(
            event_deliveries.join(oldest, is_oldest).join(event_targets, T.id == D.target_row)
        )
        .where(
            D.status == PENDING,
            D.next_attempt_at <= now,
            sa.or_(D.leased_until.is_(None), D.leased_until <= now),
        )
        .order_by(D.event_id, D.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=event_deliveries)
    )
    chains: dict[tuple[int, str], list[DueDelivery]] = {}
    for r in conn.execute(query):
        chains[(r.target_row, r.ordering_key)] = [_due(r)]
    room = limit - len(chains)
    if chain > 1 and chains and room > 0:
        _add_followers(conn, chains, now=now, per_chain=chain - 1, room=room)
    due = [d for ds in chains.values() for d in ds]
    if due:
        conn.execute(
            event_deliveries.update()
            .where(D.id.in_([d.id for d in due]))
            .values(leased_until=lease_until)
        )
    return list(chains.values())


def _due(r: Any) -> DueDelivery:
    # By column, not name: the target's id and created_at share their names with the delivery's.
    target = TargetRow(**{f: r._mapping[event_targets.c[f]] for f in TargetRow.__slots__})
    return DueDelivery(
        id=r.id, event_id=r.event_id, body=r.body, attempts=r.attempts, target=target
    )


def _add_followers(
    conn: Connection,
    chains: dict[tuple[int, str], list[DueDelivery]],
    *,
    now: dt.datetime,
    per_chain: int,
    room: int,
) -> None:
    heads = [d for ds in chains.values() for d in ds]
    query = (
        sa.select(*_DUE_COLUMNS, D.next_attempt_at, D.leased_until, *event_targets.c)
        .select_from(event_deliveries.join(event_targets, T.id == D.target_row))
        .where(
            D.status == PENDING,
            sa.tuple_(D.target_row, D.ordering_key).in_(list(chains)),
            # Followers are younger than their head: the keys' delivered rows are not read.
            D.event_id > min(d.event_id for d in heads),
            D.id.not_in([d.id for d in heads]),
        )
        .order_by(D.event_id, D.id)
        .limit(room)
        .with_for_update(skip_locked=True, of=event_deliveries)
    )
    stopped: set[tuple[int, str]] = set()
    for r in conn.execute(query):
        key = (r.target_row, r.ordering_key)
        members = chains[key]
        if key in stopped or len(members) > per_chain:
            continue
        if r.next_attempt_at > now or (r.leased_until is not None and r.leased_until > now):
            stopped.add(key)  # the chain ends before a delivery that may not go yet
            continue
        members.append(_due(r))


def mark_delivered(conn: Connection, ids: Sequence[int], now: dt.datetime) -> None:
    if ids:
        conn.execute(
            event_deliveries.update()
            .where(D.id.in_(list(ids)))
            .values(status=DELIVERED, attempts=D.attempts + 1, finished_at=now, leased_until=None)
        )


def release(conn: Connection, ids: Sequence[int]) -> None:
    """Give back deliveries that were claimed but not tried (their chain stopped at a failure):
    no attempt is counted, and they wait behind the failed one as before."""
    if ids:
        conn.execute(event_deliveries.update().where(D.id.in_(list(ids))).values(leased_until=None))


def retry_now(conn: Connection, target_rows: Collection[int], now: dt.datetime) -> None:
    """Make the deliveries of these targets that are waiting out a backoff due now."""
    if target_rows:
        conn.execute(
            event_deliveries.update()
            .where(
                D.target_row.in_(list(target_rows)),
                D.status == PENDING,
                D.attempts > 0,
                D.next_attempt_at > now,
            )
            .values(next_attempt_at=now)
        )


def mark_failed(
    conn: Connection,
    delivery_id: int,
    *,
    error: str,
    next_attempt_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """One more failed attempt: retried at ``next_attempt_at``, or dead-lettered (None)."""
    values: dict[str, Any] = {
        "attempts": D.attempts + 1,
        "last_error": error[:2000],
        "leased_until": None,
    }
    if next_attempt_at is None:
        values.update(status=DEAD, finished_at=now)
    else:
        values["next_attempt_at"] = next_attempt_at
    conn.execute(event_deliveries.update().where(D.id == delivery_id).values(**values))


def delivery_counts(conn: Connection, target_rows: Collection[int]) -> dict[int, dict[str, int]]:
    """Per target row: how many deliveries are pending, delivered and dead."""
    if not target_rows:
        return {}
    query = (
        sa.select(D.target_row, D.status, sa.func.count())
        .where(D.target_row.in_(list(target_rows)))
        .group_by(D.target_row, D.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for target_row, status, n in conn.execute(query):
        counts.setdefault(target_row, {})[status] = n
    return counts


def last_errors(conn: Connection, target_rows: Collection[int]) -> dict[int, str]:
    """Per target row: the error of its most recently created delivery that is still pending
    or was dead-lettered after failing, if any."""
    if not target_rows:
        return {}
    newest = (
        sa.select(D.target_row, sa.func.max(D.id).label("id"))
        .where(D.target_row.in_(list(target_rows)), D.status != DELIVERED, D.last_error != "")
        .group_by(D.target_row)
        .subquery()
    )
    query = sa.select(D.target_row, D.last_error).join(newest, D.id == newest.c.id)
    return {row.target_row: row.last_error for row in conn.execute(query)}


def prune_finished(conn: Connection, *, before: dt.datetime) -> int:
    """Forget deliveries that ended (delivered or dead) before ``before``."""
    result = conn.execute(
        event_deliveries.delete().where(D.status != PENDING, D.finished_at < before)
    )
    return result.rowcount
