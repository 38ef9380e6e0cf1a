"""A managed node for the session tests that only need the API: registered, connected on the
real channel, and driven by the test (the agent's data channel is not needed)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.integration.channel_client import activate, register
from tests.integration.commands.driver import DrivenAgent
from tests.support import ServerProcess


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
