"""Migrations: one head, and a full downgrade and upgrade keep working (SQLite file)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from openssm.server.store import migrate
from openssm.server.store.engine import create_engine
from openssm.server.store.tables import metadata


def test_there_is_a_single_head() -> None:
    assert len(migrate.heads()) == 1


def test_upgrade_creates_every_table_of_the_schema(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate.upgrade(engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables
    assert migrate.current(engine) == migrate.heads()[0]
    engine.dispose()


def test_downgrade_to_base_and_up_again(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())
    engine.dispose()
