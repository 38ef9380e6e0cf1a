"""TCP servers on loopback for port sessions to reach: each connection is answered by a
function in a thread of its own."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable


class LoopbackServer:
    def __init__(self, answer: Callable[[socket.socket], None]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._answer = answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            self._answer(conn)

    def close(self) -> None:
        self.sock.close()


def answer_sha256(conn: socket.socket) -> None:
    """The SHA-256 of all the connection sent, once the client has closed its side."""
    digest = hashlib.sha256()
    while chunk := conn.recv(1 << 16):
        digest.update(chunk)
    conn.sendall(digest.hexdigest().encode())


def answer_echo(conn: socket.socket) -> None:
    """What the connection sends, sent back."""
    while chunk := conn.recv(1 << 16):
        conn.sendall(chunk)


LATE_ANSWER_S = 6.0


def answer_late(conn: socket.socket) -> None:
    """What the connection sent, sent back some seconds after the client closed its side."""
    received = b""
    while chunk := conn.recv(1 << 16):
        received += chunk
    time.sleep(LATE_ANSWER_S)
    conn.sendall(received)
