"""Starting `openssm port-forward` as a user would, for the port session tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from typing import IO

from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, ServerProcess, wait_until


def cli_env(server: ServerProcess) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | {
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_ENDPOINT_URL_SSM": server.url,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def connects(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def start_port_forward(
    server: ServerProcess, instance_id: str, port: int, log: IO[bytes]
) -> tuple[subprocess.Popen[bytes], int]:
    """`openssm port-forward` to ``port`` on the instance, and the local port once it listens."""
    local = free_port()
    forward = subprocess.Popen(
        [sys.executable, "-m", "openssm", "port-forward", instance_id, str(port),
         "--local-port", str(local)],
        env=cli_env(server), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until(lambda: connects(local), timeout_s=20, interval_s=0.1)
    except BaseException:
        forward.kill()
        forward.wait()
        raise
    return forward, local
