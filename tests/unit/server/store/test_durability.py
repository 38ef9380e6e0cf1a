"""SECURITY.md #25: a commit on SQLite is on disk before the API acknowledges it.

In WAL mode ``synchronous=NORMAL`` syncs only at checkpoints, so a power loss can take back
commits that were already answered 200; FULL syncs the WAL at every commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from openssm.errors import ConfigError
from openssm.server.store.engine import create_engine

# PRAGMA synchronous answers a number.
_LEVELS = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}


def _synchronous(url: str) -> int:
    engine = create_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            level = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    finally:
        engine.dispose()
    assert journal == "wal"
    assert isinstance(level, int)
    return level


def test_sqlite_syncs_every_commit_by_default(tmp_path: Path) -> None:
    assert _synchronous(f"sqlite:///{tmp_path / 'db'}") == _LEVELS["FULL"]


@pytest.mark.parametrize("level", ["NORMAL", "normal", "EXTRA"])
def test_the_database_url_may_choose_the_level(tmp_path: Path, level: str) -> None:
    assert (
        _synchronous(f"sqlite:///{tmp_path / 'db'}?synchronous={level}") == _LEVELS[level.upper()]
    )


def test_an_unknown_level_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="synchronous='sometimes' must be one of"):
        create_engine(f"sqlite:///{tmp_path / 'db'}?synchronous=sometimes")
