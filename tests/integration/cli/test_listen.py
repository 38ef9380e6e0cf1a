"""A port that cannot be had is one line naming the flag to change, exit code 1, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", ["server", "up"])
def test_a_port_in_use_is_one_line_naming_port(
    command: str, taken_port: int, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "openssm", command, "--port", str(taken_port),
         "--data-dir", str(tmp_path / "data"), "--log-level", "warning"],
        capture_output=True, text=True, check=False, timeout=60, env=os.environ.copy(),
    )  # fmt: skip
    lines = done.stderr.splitlines()
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        f"openssm server: port {taken_port} is already in use on 127.0.0.1; "
        "choose another with --port"
    ) in lines
    # The store is opened only once the port is held.
    assert not (tmp_path / "data" / "openssm.db").exists()


def test_make_run_takes_the_port() -> None:
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(REPO), "run", "PORT=9000"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.splitlines()[-1].endswith("/openssm up --port 9000")
