"""Real servers for integration tests: SQLite and a real PostgreSQL, driven over HTTP."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import AgentFactory
from tests.clocked_server import ClockedServer, clocked_server
from tests.postgres import PostgresServer, database_url_for, postgres_available
from tests.support import ServerProcess

# A server shared by many tests hears refused credentials by the dozen a second from one
# address, more than the guess throttle allows; fleet/test_guess_throttle.py tests that.
SHARED_ENV = {"OPENSSM_AUTH_FAILURE_BURST": "1000000"}
# Fleet timings shrunk so that status changes happen within a test's patience.
CONNECTION_LOST_AFTER_S = 2.0
HEARTBEAT_INTERVAL_S = 0.5
FLEET_ENV = {
    **SHARED_ENV,
    "OPENSSM_CONNECTION_LOST_AFTER_S": str(CONNECTION_LOST_AFTER_S),
    "OPENSSM_HEARTBEAT_INTERVAL_S": str(HEARTBEAT_INTERVAL_S),
}


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    reason = postgres_available()
    if reason is not None:
        pytest.fail(f"PostgreSQL tests cannot run: {reason}")
    root = Path(tempfile.mkdtemp(prefix="openssm-pg-"))
    server = PostgresServer(root=root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _start(tmp: Path, name: str, database_url: str | None) -> ServerProcess:
    server = ServerProcess(data_dir=tmp / name, database_url=database_url, env=SHARED_ENV)
    server.start()
    return server


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One shared server per database kind; tests use unique resource names."""
    tmp = tmp_path_factory.mktemp("server")
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create_database()
    handle = _start(tmp, request.param, url)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A SQLite server for tests that are about the protocol, not the store."""
    handle = _start(tmp_path_factory.mktemp("server"), "sqlite-only", None)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def no_traceback(server: ServerProcess) -> Iterator[None]:
    """The test fails if the shared server logs a traceback while it runs."""
    before = server.logs().count("Traceback")
    yield
    assert server.logs().count("Traceback") == before, server.logs()


@pytest.fixture
def ssm(server: ServerProcess) -> SSMClient:
    return server.client()


def _fleet_server(tmp: Path, name: str) -> ServerProcess:
    server = ServerProcess(data_dir=tmp / name, env=FLEET_ENV)
    server.start()
    return server


@pytest.fixture(scope="session")
def fleet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A SQLite server with short heartbeat and connection-lost timings, shared by agent tests."""
    handle = _fleet_server(tmp_path_factory.mktemp("server"), "fleet")
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def own_fleet_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fleet server for one test alone, for tests that restart or stop it."""
    handle = _fleet_server(tmp_path, "own-fleet")
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def clocked_fleet_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ClockedServer]:
    """A server in this process on a clock the test moves, with the fleet's short timings."""
    data_dir = tmp_path_factory.mktemp("clocked") / request.param
    with clocked_server(
        data_dir,
        database_url=database_url_for(request),
        connection_lost_after_s=CONNECTION_LOST_AFTER_S,
        heartbeat_interval_s=HEARTBEAT_INTERVAL_S,
    ) as server:
        yield server


@pytest.fixture
def agent_factory(fleet_server: ServerProcess, tmp_path: Path) -> Iterator[AgentFactory]:
    """agent_factory(n) registers n real agents through one activation and starts them."""
    factory = AgentFactory(server=fleet_server, root=tmp_path)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Attach the server logs to a failing test's report (the biggest CI time-saver)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]  # pluggy's result object
    if report.failed and call.when == "call":
        funcargs = getattr(item, "funcargs", {})
        for value in funcargs.values():
            if isinstance(value, ServerProcess):
                report.sections.append(("openssm server logs", value.logs()))
            elif isinstance(value, AgentFactory):
                report.sections.append(("openssm agent logs", value.logs()))
