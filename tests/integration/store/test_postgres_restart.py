"""The server rides out a PostgreSQL restart: the next calls after it succeed.

Every connection the server holds (the pool's and the one it reads generation counters
on) is cut by the restart; none of them may turn into an error for the caller.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, postgres_available
from tests.support import ServerProcess

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A cluster of this test's own: restarting the shared one would cut other tests."""
    reason = postgres_available()
    if reason is not None:
        pytest.fail(f"PostgreSQL tests cannot run: {reason}")
    server = PostgresServer(root=Path(tempfile.mkdtemp(prefix="openssm-pg-restart-")))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_calls_succeed_right_after_a_postgres_restart(
    own_postgres: PostgresServer, tmp_path: Path
) -> None:
    server = ServerProcess(
        data_dir=tmp_path / "server", database_url=own_postgres.create_database()
    )
    server.start()
    try:
        ssm = server.client()
        name = f"/restart/{uuid.uuid4().hex[:8]}"
        ssm.put_parameter(Name=name, Value="before", Type="String")
        assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "before"

        own_postgres.restart()

        assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "before"
        ssm.put_parameter(Name=name, Value="after", Type="String", Overwrite=True)
        assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "after"
        assert ssm.describe_parameters()["Parameters"]
    finally:
        server.stop()
