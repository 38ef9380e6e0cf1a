"""Routed outbox events are forgotten after a week, but the newest one always stays: SQLite
hands out the highest id again once it is deleted, and rules' windows and the live tail
count on ids only growing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from openssm.server.events.outbox import Scope, write_event
from openssm.server.store.engine import Store
from openssm.server.store.events import deliveries
from openssm.server.store.schema import outbox_events
from tests.stores import migrated_store

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)


@pytest.fixture
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with migrated_store(request, tmp_path_factory) as handle:
        yield handle


def _write(store: Store, count: int) -> list[int]:
    scope = Scope(account_id="123456789012", region="us-east-1", now=T0)
    return [
        store.write_sync(lambda conn: write_event(conn, scope, "aws.ssm", "Test", [], {}))
        for _ in range(count)
    ]


def _ids(store: Store) -> list[int]:
    query = sa.select(outbox_events.c.id).order_by(outbox_events.c.id)
    return list(store.read_sync(lambda conn: conn.execute(query).scalars().all()))


def test_routed_events_older_than_the_cutoff_go_but_the_newest_stays(store: Store) -> None:
    ids = _write(store, 4)
    store.write_sync(lambda conn: deliveries.mark_routed(conn, ids[:3], T0))
    store.write_sync(lambda conn: deliveries.prune_routed(conn, before=T0 + WEEK))
    assert _ids(store) == [ids[3]]  # not routed yet
    store.write_sync(lambda conn: deliveries.mark_routed(conn, ids[3:], T0))
    store.write_sync(lambda conn: deliveries.prune_routed(conn, before=T0 + WEEK))
    assert _ids(store) == [ids[3]]  # routed, but the newest
    (after,) = _write(store, 1)
    assert after > ids[3]


def test_events_routed_within_the_week_stay(store: Store) -> None:
    ids = _write(store, 3)
    store.write_sync(lambda conn: deliveries.mark_routed(conn, ids, T0))
    store.write_sync(lambda conn: deliveries.prune_routed(conn, before=T0))
    assert _ids(store) == ids
