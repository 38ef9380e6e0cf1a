"""The canary SecureString test on PostgreSQL (SECURITY.md #14): the canary never reaches
the database's dump, its raw data and WAL files, PostgreSQL's log, the server's logs, error
messages or any command line, before and after a restart that runs the migrations again.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.aws_errors import error_of
from tests.canary import assert_absent, command_lines
from tests.postgres import PostgresServer, pg_bin
from tests.support import ServerProcess

pytestmark = pytest.mark.postgres


@pytest.fixture
def canary_database(postgres: PostgresServer) -> str:
    return postgres.create_database()


@pytest.fixture
def canary_server(canary_database: str, tmp_path: Path) -> Iterator[ServerProcess]:
    handle = ServerProcess(data_dir=tmp_path / "server", database_url=canary_database)
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


def _dump(url: str) -> bytes:
    bin_dir = pg_bin()
    assert bin_dir is not None
    done = subprocess.run(
        [str(bin_dir / "pg_dump"), "--data-only", url],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return done.stdout


def _raw_files(postgres: PostgresServer, url: str) -> list[Path]:
    """The database's own data files and the cluster's WAL, flushed by a checkpoint first."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        row = conn.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    data = postgres.root / "data"
    files = [p for p in (data / "base" / str(row[0])).iterdir() if p.is_file()]
    files += [p for p in (data / "pg_wal").iterdir() if p.is_file()]
    return files


def _scan_store(postgres: PostgresServer, url: str, canary: str, control: str) -> None:
    dump = _dump(url)
    # The control, a plain String, shows the scans can see stored values at all.
    assert control.encode() in dump
    assert_absent(canary, dump, "pg_dump")
    raw = _raw_files(postgres, url)
    assert any(control.encode() in p.read_bytes() for p in raw)
    for path in raw:
        assert_absent(canary, path.read_bytes(), f"PostgreSQL file {path.name}")
    assert_absent(canary, (postgres.root / "postgres.log").read_bytes(), "PostgreSQL's log")


def test_canary_secure_strings_appear_nowhere_on_postgres(
    postgres: PostgresServer, canary_database: str, canary_server: ServerProcess
) -> None:
    ssm = canary_server.client()
    canary = f"CANARY-{uuid.uuid4().hex}"
    control = f"CONTROL-{uuid.uuid4().hex}"
    root = f"/canary{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=f"{root}/a", Value=canary, Type="SecureString")
    ssm.put_parameter(Name=f"{root}/a", Value=canary + "-v2", Type="SecureString", Overwrite=True)
    ssm.put_parameter(
        Name=f"{root}/c", Value=canary + "x" * 5000, Type="SecureString", Tier="Advanced"
    )
    ssm.label_parameter_version(Name=f"{root}/a", ParameterVersion=1, Labels=["one"])
    ssm.put_parameter(Name=f"{root}/plain", Value=control, Type="String")
    errors = [
        error_of(
            ssm.put_parameter,
            Name=f"{root}/d",
            Value=canary,
            Type="SecureString",
            AllowedPattern=r"^\d+$",
        ),
        error_of(ssm.put_parameter, Name=f"{root}/a", Value=canary, Type="SecureString"),
        error_of(
            ssm.put_parameter,
            Name=f"{root}/g",
            Value=canary,
            Type="SecureString",
            KeyId="alias/does-not-exist",
        ),
    ]
    assert_absent(canary, "\n".join(e.message for e in errors).encode(), "error messages")
    assert_absent(canary, command_lines(), "/proc/*/cmdline")
    _scan_store(postgres, canary_database, canary, control)

    # A restart runs the migrations over the stored rows; the value still decrypts and is
    # still nowhere in clear.
    canary_server.stop()
    canary_server.start()
    again = canary_server.client()
    value = again.get_parameter(Name=f"{root}/a:one", WithDecryption=True)["Parameter"]["Value"]
    assert value == canary
    _scan_store(postgres, canary_database, canary, control)
    for path in (canary_server.stdout_path, canary_server.stderr_path):
        assert_absent(canary, path.read_bytes(), path.name)
