"""What the Store makes of a write the database refuses, on SQLite and a real PostgreSQL.

Only a taken unique key is a conflict between callers (DuplicateKey, retried by
``write_retrying`` and answered TooManyUpdates once it keeps losing). A NOT NULL or
foreign-key violation is a bug in the code that wrote: ConstraintViolation, never retried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Connection

from openssm.errors import ConcurrentUpdate, ConstraintViolation, DuplicateKey
from openssm.server.store.engine import WRITE_ATTEMPTS, Store
from openssm.server.store.schema import access_keys, users
from tests.stores import migrated_store

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    with migrated_store(request, tmp_path_factory) as handle:
        yield handle


def _add_user(conn: Connection, name: str | None = "alice") -> None:
    conn.execute(users.insert().values(account_id="123456789012", user_name=name, created_at=NOW))


def test_a_taken_unique_key_is_a_duplicate_key(store: Store) -> None:
    store.write_sync(_add_user)
    with pytest.raises(DuplicateKey):
        store.write_sync(_add_user)


def test_a_not_null_violation_is_a_constraint_violation_not_a_duplicate(store: Store) -> None:
    with pytest.raises(ConstraintViolation) as caught:
        store.write_sync(lambda conn: _add_user(conn, None))
    assert not isinstance(caught.value, DuplicateKey)


def test_a_foreign_key_violation_is_a_constraint_violation(store: Store) -> None:
    def orphan_key(conn: Connection) -> None:
        conn.execute(
            access_keys.insert().values(
                access_key_id="OSSMORPHAN",
                user_id=424242,
                secret_sealed="x",
                status="Active",
                created_at=NOW,
            )
        )

    with pytest.raises(ConstraintViolation):
        store.write_sync(orphan_key)


def test_write_retrying_runs_again_after_a_duplicate_then_gives_up(store: Store) -> None:
    store.write_sync(_add_user)
    attempts: list[int] = []

    def collide(conn: Connection) -> None:
        attempts.append(1)
        _add_user(conn)

    with pytest.raises(ConcurrentUpdate):
        asyncio.run(store.write_retrying(collide))
    assert len(attempts) == WRITE_ATTEMPTS


def test_write_retrying_never_retries_a_constraint_violation(store: Store) -> None:
    attempts: list[int] = []

    def broken(conn: Connection) -> None:
        attempts.append(1)
        _add_user(conn, None)

    with pytest.raises(ConstraintViolation):
        asyncio.run(store.write_retrying(broken))
    assert attempts == [1]


def test_write_retrying_returns_what_a_later_attempt_returns(store: Store) -> None:
    store.write_sync(_add_user)
    names = iter(["alice", "bob"])

    def add_next(conn: Connection) -> str:
        name = next(names)
        _add_user(conn, name)
        return name

    assert asyncio.run(store.write_retrying(add_next)) == "bob"
