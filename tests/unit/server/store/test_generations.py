"""Generation counters and the Store's cheap reads (one counter, or all in one row)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Connection

from openssm.server.store import generations
from openssm.server.store.engine import Store
from openssm.server.store.generations import Generation
from tests.stores import migrated_store


@pytest.fixture
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with migrated_store(request, tmp_path_factory) as handle:
        yield handle


def test_every_kind_starts_at_zero_and_its_sql_reads_it(store: Store) -> None:
    for kind in Generation:

        def read(conn: Connection, kind: Generation = kind) -> int:
            return generations.current(conn, kind)

        assert store.read_sync(read) == 0
        assert asyncio.run(store.scalar(generations.current_sql(kind))) == 0


def test_a_bump_moves_only_its_own_kind(store: Store) -> None:
    store.write_sync(lambda conn: generations.bump(conn, Generation.PARAMETERS))
    store.write_sync(lambda conn: generations.bump(conn, Generation.PARAMETERS))
    assert asyncio.run(store.scalar(generations.current_sql(Generation.PARAMETERS))) == 2
    assert asyncio.run(store.scalar(generations.current_sql(Generation.IDENTITY))) == 0


def test_a_rolled_back_bump_leaves_the_counter(store: Store) -> None:
    def bump_then_fail(conn: Connection) -> None:
        generations.bump(conn, Generation.IDENTITY)
        raise RuntimeError("abort")

    with pytest.raises(RuntimeError):
        store.write_sync(bump_then_fail)
    assert asyncio.run(store.scalar(generations.current_sql(Generation.IDENTITY))) == 0


def test_the_snapshot_reads_every_counter_in_one_statement(store: Store) -> None:
    store.write_sync(lambda conn: generations.bump(conn, Generation.PARAMETERS))
    store.write_sync(lambda conn: generations.bump(conn, Generation.PARAMETERS))
    store.write_sync(lambda conn: generations.bump(conn, Generation.IDENTITY))
    read = asyncio.run(generations.snapshot(store))
    assert (read.identity, read.parameters) == (1, 2)
