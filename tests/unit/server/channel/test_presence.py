"""Presence: channel events are written in batches, in an order that keeps the newest channel.

Runs against a real SQLite store in a temporary directory (no sockets, no subprocess).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openssm.server.channel.presence import Presence, flush_interval_s
from openssm.server.store import migrate
from openssm.server.store.engine import Store, create_engine
from openssm.server.store.fleet import instances as repo
from openssm.server.store.fleet.instances import InstanceInfo, InstanceRow

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ID = "mi-0123456789abcdef0"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", pool_size=2)
    migrate.upgrade(engine)
    store = Store(engine, worker_threads=2)
    store.write_sync(
        lambda conn: repo.insert_instance(
            conn,
            InstanceRow(
                instance_id=ID,
                account_id="123456789012",
                region="us-east-1",
                activation_id="00000000-0000-0000-0000-000000000000",
                name=None,
                iam_role="r",
                public_key=b"k" * 32,
                fingerprint=None,
                registered_at=T0,
            ),
        )
    )
    yield store
    store.close()


def _row(store: Store) -> InstanceRow:
    row = store.read_sync(lambda conn: repo.get_instance(conn, ID))
    assert row is not None
    return row


def test_flush_interval_is_at_most_a_quarter_of_the_threshold() -> None:
    assert flush_interval_s(120) == 1.0
    assert flush_interval_s(2) == 0.5


def test_a_flush_writes_connection_pings_and_info_in_one_go(store: Store) -> None:
    presence = Presence(store, interval_s=1)
    presence.connected(ID, "c1", T0)
    presence.heard(ID, T0 + dt.timedelta(seconds=5))
    presence.reported(
        InstanceInfo(
            instance_id=ID,
            agent_version="1.2.3",
            platform_type="Linux",
            platform_name="Debian",
            platform_version="12",
            ip_address="192.0.2.1",
            computer_name="h",
        )
    )
    assert asyncio.run(presence.flush()) == 3
    assert presence.pending == 0
    row = _row(store)
    assert (row.channel_id, row.last_ping_at) == ("c1", T0 + dt.timedelta(seconds=5))
    assert (row.agent_version, row.computer_name) == ("1.2.3", "h")
    assert asyncio.run(presence.flush()) == 0


def test_a_stale_channel_going_away_does_not_disconnect_the_newer_one(store: Store) -> None:
    presence = Presence(store, interval_s=1)
    presence.connected(ID, "c1", T0)
    asyncio.run(presence.flush())
    # A reconnect: the new channel arrives before the old one's goodbye is written.
    presence.connected(ID, "c2", T0 + dt.timedelta(seconds=1))
    presence.disconnected(ID, "c1")
    asyncio.run(presence.flush())
    assert _row(store).channel_id == "c2"
    presence.disconnected(ID, "c2")
    asyncio.run(presence.flush())
    assert _row(store).channel_id is None


def test_a_connect_and_disconnect_in_one_batch_leave_it_disconnected(store: Store) -> None:
    presence = Presence(store, interval_s=1)
    presence.connected(ID, "c1", T0)
    presence.disconnected(ID, "c1")
    asyncio.run(presence.flush())
    row = _row(store)
    assert row.channel_id is None
    assert row.last_ping_at == T0


def test_stop_flushes_what_is_pending_within_its_deadline(store: Store) -> None:
    async def run() -> float:
        presence = Presence(store, interval_s=30)
        await presence.start()
        presence.connected(ID, "c9", T0)
        started = time.monotonic()
        await presence.stop()
        return time.monotonic() - started

    assert asyncio.run(run()) < 2.0
    assert _row(store).channel_id == "c9"
