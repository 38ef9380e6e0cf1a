"""Generic test support: waiting on conditions and running openssm processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from types_boto3_ssm.client import SSMClient

T = TypeVar("T")

TEST_ACCOUNT_ID = "123456789012"
TEST_REGION = "us-east-1"
ADMIN_KEY_ID = "OSSMTESTADMIN0000001"
ADMIN_SECRET = "test-admin-secret-key-0000000000000000000"


def cli_env(server_url: str, home: Path) -> dict[str, str]:
    """The environment of an `openssm` human command run as the admin against a server."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_ENDPOINT_URL_SSM": server_url,
    }


def wait_until(
    predicate: Callable[[], T | None], *, timeout_s: float = 10.0, interval_s: float = 0.05
) -> T:
    """Poll `predicate` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout_s}s")
        time.sleep(interval_s)


def closed_by_peer(sock: socket.socket) -> bool:
    """True once the other end closed ``sock`` (EOF or reset); False while it stays open."""
    sock.setblocking(False)
    try:
        return sock.recv(4096) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


@dataclass
class ServerEndpoint:
    """A running openssm server as tests reach it: its URL, data dir and database."""

    data_dir: Path
    database_url: str | None = None
    url: str = ""
    # The CA that signed the server's certificate, when it serves TLS (env OPENSSM_TLS_*).
    ca_file: Path | None = None

    def client(
        self,
        *,
        access_key_id: str = ADMIN_KEY_ID,
        secret_access_key: str = ADMIN_SECRET,
        region: str = TEST_REGION,
        validate: bool = True,
    ) -> SSMClient:
        """A boto3 SSM client; ``validate=False`` sends what botocore would refuse to."""
        ssm: SSMClient = self.aws_client(
            "ssm",
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            region=region,
            validate=validate,
        )
        return ssm

    def aws_client(
        self,
        service: str,
        *,
        access_key_id: str = ADMIN_KEY_ID,
        secret_access_key: str = ADMIN_SECRET,
        region: str = TEST_REGION,
        validate: bool = True,
    ) -> Any:
        """A boto3 client of any service the server speaks (ssm, events, resource-groups,
        cloudtrail, or one it refuses) on its one URL, retrying nothing, so a test sees each
        answer."""
        return boto3.client(
            service,  # type: ignore[call-overload]  # any service name
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            verify=str(self.ca_file) if self.ca_file else None,
            config=Config(
                retries={"max_attempts": 1, "mode": "standard"}, parameter_validation=validate
            ),
        )

    def admin(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `openssm admin …` against this server's store."""
        command = [sys.executable, "-m", "openssm", "admin", "--data-dir", str(self.data_dir)]
        if self.database_url:
            command += ["--database-url", self.database_url]
        env = {**os.environ, "OPENSSM_ACCOUNT_ID": TEST_ACCOUNT_ID}
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, env=env, check=False, timeout=60
        )

    def events(self, detail_type: str) -> list[dict[str, Any]]:
        """The events of ``detail_type`` in the server's outbox, oldest first, each as
        ``{"resources": […], "detail": {…}}``."""
        import sqlalchemy as sa  # the server's extras; only tests that read the store need it

        from openssm.server.store.engine import create_engine
        from openssm.server.store.schema import outbox_events

        engine = create_engine(
            self.database_url or f"sqlite:///{self.data_dir / 'openssm.db'}", pool_size=1
        )
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.select(outbox_events.c.resources, outbox_events.c.detail)
                    .where(outbox_events.c.detail_type == detail_type)
                    .order_by(outbox_events.c.id)
                ).all()
        finally:
            engine.dispose()
        return [{"resources": json.loads(r), "detail": json.loads(d)} for r, d in rows]

    def new_user(self, policy: Mapping[str, Any] | None) -> tuple[str, str]:
        """A user made with ``openssm admin``, with ``policy`` if given: (key id, secret)."""
        name = "u" + uuid.uuid4().hex[:10]
        assert self.admin("user", "create", name).returncode == 0
        created = self.admin("key", "create", name)
        assert created.returncode == 0, created.stderr
        lines = dict(line.split(" = ", 1) for line in created.stdout.strip().splitlines())
        if policy is not None:
            put = self.admin("policy", "put", name, "p1", "--document", json.dumps(policy))
            assert put.returncode == 0, put.stderr
        return lines["aws_access_key_id"], lines["aws_secret_access_key"]


@dataclass
class ServerProcess(ServerEndpoint):
    """A real `openssm server` subprocess with its logs kept for failure reports."""

    env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    # 0 picks a free port; restart() pins the one the first start got.
    port: int = 0

    @property
    def stdout_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.stdout.log"

    @property
    def stderr_path(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.stderr.log"

    def start(self, *, timeout_s: float = 30.0) -> None:
        ready = self.data_dir.parent / f"{self.data_dir.name}.ready"
        ready.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "openssm",
            "server",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--ready-file",
            str(ready),
        ]
        if self.database_url:
            command += ["--database-url", self.database_url]
        env = {
            **os.environ,
            "OPENSSM_ACCOUNT_ID": TEST_ACCOUNT_ID,
            "OPENSSM_ADMIN_ACCESS_KEY_ID": ADMIN_KEY_ID,
            "OPENSSM_ADMIN_SECRET_ACCESS_KEY": ADMIN_SECRET,
            "OPENSSM_STRICT_OUTPUT": "1",
            "OPENSSM_LOG_LEVEL": "debug",
            **self.env,
        }
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        process = self.process

        def is_ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{self.logs()}")
            return ready.exists() and ready.stat().st_size > 0

        try:
            wait_until(is_ready, timeout_s=timeout_s)
        except TimeoutError:
            # Not left running: a later test would fail on its ResourceWarning instead.
            process.kill()
            process.wait()
            raise
        self.url = ready.read_text().strip()

    def restart(
        self, *, while_down: Callable[[], object] | None = None, timeout_s: float = 30.0
    ) -> None:
        """Stop, call `while_down` (a wait for what must happen meanwhile), start again on the
        same port and data dir."""
        self.port = int(self.url.rsplit(":", 1)[1])
        self.stop()
        if while_down is not None:
            while_down()
        self.start(timeout_s=timeout_s)

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would end it: no shutdown, no last flush.
        ``start()`` brings it back on the same port and data dir."""
        assert self.process is not None, "server is not running"
        self.port = int(self.url.rsplit(":", 1)[1])
        self.process.kill()
        self.process.wait()
        self.process = None

    @property
    def pid(self) -> int:
        assert self.process is not None, "server is not running"
        return self.process.pid

    def stop(self, *, timeout_s: float = 15.0) -> int:
        if self.process is None:
            return 0
        self.process.terminate()
        try:
            code = self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-20000:]}"
            for path in (self.stdout_path, self.stderr_path)
            if path.exists()
        )

    def log_mark(self) -> dict[Path, int]:
        """Where each log ends now; ``logs_since(mark)`` reads what was written after."""
        paths = (self.stdout_path, self.stderr_path)
        return {path: path.stat().st_size if path.exists() else 0 for path in paths}

    def logs_since(self, mark: Mapping[Path, int]) -> str:
        parts = []
        for path, offset in mark.items():
            with path.open("rb") as log:
                log.seek(offset)
                parts.append(log.read().decode(errors="replace"))
        return "\n".join(parts)


@contextmanager
def running_server(
    data_dir: Path, *, database_url: str | None = None, env: Mapping[str, str] | None = None
) -> Iterator[ServerProcess]:
    """One server process, stopped on the way out."""
    process = ServerProcess(data_dir=data_dir, database_url=database_url, env=dict(env or {}))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def server_pair(
    data_dir: Path, *, database_url: str | None = None, env: Mapping[str, str] | None = None
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two server processes on one database, as replicas of a scale-out deployment.

    They share the data dir too, so one keyring: either decrypts what the other sealed.
    """
    first = ServerProcess(data_dir=data_dir, database_url=database_url, env=dict(env or {}))
    first.start()
    second = ServerProcess(data_dir=data_dir, database_url=database_url, env=dict(env or {}))
    try:
        second.start()
        yield first, second
    finally:
        second.stop()
        first.stop()
