"""A real PostgreSQL server from Debian's package, started for the test run.

PostgreSQL refuses to run as root, so when the tests run as root (as CI
does) initdb and pg_ctl run as the `postgres` OS user through runuser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest


def database_url_for(request: pytest.FixtureRequest) -> str | None:
    """A fresh database on the session's PostgreSQL when a fixture is parametrised with
    "postgresql"; None (the server's SQLite default) otherwise."""
    if getattr(request, "param", None) != "postgresql":
        return None
    postgres: PostgresServer = request.getfixturevalue("postgres")
    return postgres.create_database()


def pg_bin() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return candidates[0].parent if candidates else None


def postgres_available() -> str | None:
    """None when PostgreSQL can run here, else the reason it cannot."""
    if pg_bin() is None:
        return "Debian's postgresql package is not installed (make dev installs it)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    root: Path
    port: int = 0

    def _as_owner(self, *command: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *command]
        return list(command)

    def start(self) -> None:
        bin_dir = pg_bin()
        assert bin_dir is not None
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        subprocess.run(
            self._as_owner(
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        self.port = _free_port()
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            self._as_owner(
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(self.root / "postgres.log"),
                "-w",
                "-t",
                "60",
                "start",
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )

    def restart(self) -> None:
        """Stop and start again on the same port: every open connection is cut."""
        bin_dir = pg_bin()
        assert bin_dir is not None
        subprocess.run(
            self._as_owner(
                str(bin_dir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                # The log file, not our pipe: else the new postmaster holds the pipe open.
                "-l",
                str(self.root / "postgres.log"),
                "-m",
                "fast",
                "-w",
                "restart",
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )

    def stop(self) -> None:
        bin_dir = pg_bin()
        assert bin_dir is not None
        subprocess.run(
            self._as_owner(
                str(bin_dir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "stop"
            ),
            check=False,
            capture_output=True,
            timeout=60,
        )

    def create_database(self) -> str:
        """A fresh, empty database; returns its URL."""
        name = "openssm_" + uuid.uuid4().hex[:12]
        bin_dir = pg_bin()
        assert bin_dir is not None
        subprocess.run(
            [
                str(bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"
