"""The one migration tree runs on a real PostgreSQL server, down to base and back."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from openssm.server.store import migrate
from openssm.server.store.engine import create_engine
from openssm.server.store.tables import metadata
from tests.postgres import PostgresServer

pytestmark = pytest.mark.postgres


def test_postgres_upgrade_downgrade_upgrade(postgres: PostgresServer) -> None:
    engine = create_engine(postgres.create_database(), pool_size=1)
    try:
        migrate.upgrade(engine)
        assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
        migrate.downgrade(engine, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.heads()[0]
    finally:
        engine.dispose()
