"""The real openssm server in a thread of the test process, on a clock the test moves.

For tests about time passing (a key that expires, an agent that falls silent): instead of
sleeping through a threshold, the test calls ``server.clock.advance(seconds)``. Everything
else is the server as ``openssm server`` runs it: the same bootstrap, app, background loops
and uvicorn settings, over real HTTP and WebSockets, on SQLite or PostgreSQL.

The clock starts at the real time and should move by minutes at most: clients sign requests
and hellos with the real time, and the server refuses signatures more than five minutes off.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openssm.clock import FakeClock
from openssm.config import ServerSettings
from openssm.server.bootstrap import bootstrap
from openssm.server.listen import listening_socket
from openssm.server.serve import uvicorn_server
from tests.support import (
    ADMIN_KEY_ID,
    ADMIN_SECRET,
    TEST_ACCOUNT_ID,
    ServerEndpoint,
    wait_until,
)

STOP_TIMEOUT_S = 30.0


@dataclass(kw_only=True)
class ClockedServer(ServerEndpoint):
    """The server's endpoint, the clock it reads and the settings it runs with."""

    clock: FakeClock
    settings: ServerSettings


@contextmanager
def clocked_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    **settings_: Any,
) -> Iterator[ClockedServer]:
    """A server on 127.0.0.1 and a free port, stopped (its loops too) on the way out.

    Keyword arguments set the server's settings by name (``connection_lost_after_s=2``).
    """
    clock = FakeClock(dt.datetime.now(dt.UTC))
    settings = ServerSettings(
        data_dir=data_dir,
        database_url=database_url,
        account_id=TEST_ACCOUNT_ID,
        admin_access_key_id=ADMIN_KEY_ID,
        admin_secret_access_key=ADMIN_SECRET,
        strict_output=True,
        **settings_,
    )
    runtime = bootstrap(settings, clock).runtime
    server = uvicorn_server(runtime)
    sock = listening_socket(settings.host, 0)
    url = f"http://{settings.host}:{sock.getsockname()[1]}"
    # uvicorn leaves signals alone off the main thread; should_exit is how it is stopped.
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])), name="openssm-server"
    )
    thread.start()
    try:

        def started() -> bool:
            if not thread.is_alive():
                raise RuntimeError("the in-process server stopped while starting")
            return server.started

        wait_until(started, timeout_s=30)
        yield ClockedServer(
            data_dir=data_dir, database_url=database_url, url=url, clock=clock, settings=settings
        )
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_TIMEOUT_S)
        sock.close()
        runtime.store.close()
        assert not thread.is_alive(), "the in-process server did not stop"
