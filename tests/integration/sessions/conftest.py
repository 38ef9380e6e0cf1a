"""One server and one agent shared by the end-to-end session tests of a worker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agents import AgentFactory, AgentProcess
from tests.postgres import PostgresServer
from tests.support import ServerProcess, server_pair


@pytest.fixture(scope="package")
def session_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("sessions")
    server = ServerProcess(
        data_dir=data_dir / "server",
        env={"OPENSSM_SESSION_GRACE_S": "5", "OPENSSM_HEARTBEAT_INTERVAL_S": "0.5"},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def factory(
    session_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AgentFactory]:
    made = AgentFactory(server=session_server, root=tmp_path_factory.mktemp("agents"))
    try:
        yield made
    finally:
        made.stop_all()


@pytest.fixture(scope="package")
def agent(factory: AgentFactory) -> AgentProcess:
    return factory(1)[0]


@pytest.fixture
def replicas(
    postgres: PostgresServer, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two server processes on one PostgreSQL database."""
    with server_pair(tmp_path / "servers", database_url=postgres.create_database()) as pair:
        yield pair
