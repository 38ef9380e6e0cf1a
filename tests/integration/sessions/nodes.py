"""Servers and nodes for the session tests: a driven node for the tests that need only the API
(registered, connected on the real channel, its data channel not needed), and a server whose
sessions outlive a client's drop long enough for the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.agents import AgentFactory, AgentProcess
from tests.integration.channel_client import activate, register
from tests.integration.commands.driver import DrivenAgent
from tests.support import ServerProcess

# A client cut mid-session comes back within this; agents' heartbeats come often.
RELAY_ENV = {"OPENSSM_SESSION_GRACE_S": "30", "OPENSSM_HEARTBEAT_INTERVAL_S": "0.5"}


@contextmanager
def relay_server(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    server = ServerProcess(data_dir=data_dir, env={**RELAY_ENV, **(env or {})})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def real_agent(server: ServerProcess, root: Path) -> Iterator[AgentProcess]:
    """One real `openssm agent` registered to ``server`` and running, its state under
    ``root``; stopped on the way out."""
    factory = AgentFactory(server=server, root=root)
    try:
        yield factory(1)[0]
    finally:
        factory.stop_all()


@contextmanager
def driven_node(server: ServerProcess, name: str | None = None) -> Iterator[DrivenAgent]:
    extra: dict[str, Any] = {"DefaultInstanceName": name} if name else {}
    activation_id, code = activate(server.client(), **extra)
    driven = DrivenAgent(server.url, register(server.url, activation_id, code))
    driven.connect()
    try:
        yield driven
    finally:
        driven.disconnect()
