"""Background loops of the server: schedules, timeouts and parameter policies."""

from __future__ import annotations

from openssm.server.app import BackgroundLoop
from openssm.server.runtime import Runtime


def build_loops(runtime: Runtime) -> list[BackgroundLoop]:
    """The loops a server process runs, in start order."""
    del runtime
    return []
