"""A migrated store on SQLite or a real PostgreSQL, for tests of the store layer itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from openssm.server.store import migrate
from openssm.server.store.engine import Store, create_engine
from tests.postgres import database_url_for


@contextmanager
def migrated_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """A Store on a fresh database of the fixture's param ("sqlite" or "postgresql")."""
    url = database_url_for(request) or f"sqlite:///{tmp_path_factory.mktemp('db') / 'db.sqlite'}"
    engine = create_engine(url, pool_size=2)
    migrate.upgrade(engine)
    handle = Store(engine, worker_threads=1)
    try:
        yield handle
    finally:
        handle.close()
        engine.dispose()
