"""Run the server process: bootstrap, bind, serve until SIGTERM/SIGINT, shut down in order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
import sys
import threading
from collections.abc import Iterator

import uvicorn
import uvloop

from openssm.clock import SystemClock
from openssm.config import ServerSettings
from openssm.files import write_private_file
from openssm.server.app import build_app
from openssm.server.bootstrap import banner, bootstrap
from openssm.server.http_protocol import HttpConnections, guarded_http_protocol
from openssm.server.listen import ListenError, listening_socket
from openssm.server.runtime import Runtime
from openssm.server.scheduler import build_loops

log = logging.getLogger("openssm.server")

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_server(settings: ServerSettings) -> int:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    # botocore logs every model load at DEBUG; that is noise in our logs.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # Everything the server creates (database, WAL, logs) is private to its user.
    os.umask(0o077)
    # One socket per connected agent: take all the open files the hard limit allows.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # The port first: a taken one is a one-line answer, before the store is opened or migrated.
    try:
        sock = listening_socket(settings.host, settings.port)
    except ListenError as exc:
        print(f"openssm server: {exc}", file=sys.stderr)
        return 1
    clock = SystemClock()
    booted = bootstrap(settings, clock)
    runtime = booted.runtime
    port = sock.getsockname()[1]
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"{settings.scheme}://{host}:{port}"
    server = uvicorn_server(runtime)

    async def announce_when_ready() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.02)
        print(banner(settings, url), flush=True)
        if settings.ready_file is not None:
            write_private_file(settings.ready_file, url.encode())

    async def main() -> None:
        announcer = asyncio.create_task(announce_when_ready())
        try:
            await server.serve(sockets=[sock])
        finally:
            announcer.cancel()

    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())
    finally:
        runtime.store.close()
    log.info("openssm server stopped")
    return 0


def uvicorn_server(runtime: Runtime) -> uvicorn.Server:
    """The app of ``runtime`` with its loops, served as ``openssm server`` serves it."""
    app = build_app(runtime, build_loops(runtime))
    settings = runtime.settings
    limits = runtime.connections.limits
    log.info(
        "open files: %d; connections at most: %d pending and %d API, %d agent channels, "
        "%d sessions",
        resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        limits.api,
        limits.api,
        limits.channels,
        limits.sessions,
    )
    http_connections = HttpConnections(
        runtime.connections, idle_timeout_s=settings.http_idle_timeout_s
    )
    config = uvicorn.Config(
        app,
        http=guarded_http_protocol(http_connections),
        # Idle between requests: closed as soon as a silent new connection would be.
        timeout_keep_alive=settings.http_idle_timeout_s,  # type: ignore[arg-type]  # any seconds
        ws="websockets-sansio",
        # Agent frames are small JSON; per-message deflate would cost tens of KB of zlib
        # state per connection, which 10,000 agents cannot afford.
        ws_per_message_deflate=False,
        ws_max_size=2 * 1024 * 1024,
        lifespan="on",
        access_log=False,
        log_level=runtime.settings.log_level.lower(),
        timeout_graceful_shutdown=10,
        server_header=False,
        ssl_certfile=runtime.settings.tls_cert,
        ssl_keyfile=runtime.settings.tls_key,
    )
    return _Server(config)


class _Server(uvicorn.Server):
    """uvicorn's server, except that the SIGTERM or SIGINT that stopped it is not raised again
    once it has shut down: uvicorn re-raises it with the default handler back in place, which
    killed the process before the store was closed and before its exit handlers ran."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Signals can be caught on the main thread only (tests run servers in other threads).
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
