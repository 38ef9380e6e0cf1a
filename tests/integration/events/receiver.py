"""A real HTTP receiver on loopback for event deliveries: it records every POST (headers and
body) and can answer errors, for the first N requests or while it is told to be down."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def signed_by(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("x-openssm-signature", ""), expected)


@dataclass
class Receiver:
    url: str
    fail_first: int = 0
    down: bool = False
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def bodies(self) -> list[Any]:
        return [r.json() for r in self.accepted()]


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) overflows when the relay's 16 senders connect at once,
    # and each connection refused that way is retried by TCP a second later.
    request_queue_size = 128


@contextmanager
def receiver(fail_first: int = 0) -> Iterator[Receiver]:
    """An HTTP server on 127.0.0.1 that answers 503 to its first ``fail_first`` POSTs and
    while ``down`` is set, and 204 (recording the request) otherwise."""
    state = Receiver(url="", fail_first=fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with state.lock:
                failing = state.down or state.fail_first > 0
                if failing:
                    state.fail_first = max(0, state.fail_first - 1)
                    state.refused += 1
                else:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    state.received.append(Received(self.path, headers, body))
            self.send_response(503 if failing else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = _Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    thread = threading.Thread(target=httpd.serve_forever, name="event-receiver", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
