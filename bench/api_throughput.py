"""Signed GetParameter (or PutParameter) calls against one server process; prints requests/s.

Starts a fresh server (SQLite, temp data dir) unless --url is given, puts one
parameter, then keeps --connections keep-alive connections busy for
--seconds with pre-signed requests (SigV4 allows a signed request to be sent
again within its 15-minute window, which keeps the client cheap enough that it
does not become the bottleneck). Asserts nothing.

``--operation PutParameter`` overwrites the parameter with every call: each is one
committed transaction, so on SQLite it measures what a durable commit costs;
``--synchronous NORMAL`` runs SQLite as it ran before commits were synced (FULL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import uvloop
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from types_boto3_ssm.literals import ParameterTypeType

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.deployed import AS_DEPLOYED
from tests.postgres import PostgresServer
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, ServerProcess


def signed_bytes(url: str, operation: str, body: dict[str, object]) -> bytes:
    data = json.dumps(body).encode()
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=data,
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"AmazonSSM.{operation}",
        },
    )
    SigV4Auth(Credentials(ADMIN_KEY_ID, ADMIN_SECRET), "ssm", TEST_REGION).add_auth(request)
    prepared = request.prepare()
    host = urlsplit(url).netloc
    lines = ["POST / HTTP/1.1", f"Host: {host}", f"Content-Length: {len(data)}"]
    lines += [
        f"{k}: {v}"
        for k, v in prepared.headers.items()
        if k.lower() not in ("host", "content-length")
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def worker(host: str, port: int, payload: bytes, stop_at: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    done = 0
    errors = 0
    while time.monotonic() < stop_at:
        writer.write(payload)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        if not head.startswith(b"HTTP/1.1 200"):
            errors += 1
        done += 1
    writer.close()
    counts.append(done)
    counts.append(-errors)


async def drive(url: str, payload: bytes, connections: int, seconds: float) -> tuple[int, int]:
    parts = urlsplit(url)
    stop_at = time.monotonic() + seconds
    counts: list[int] = []
    await asyncio.gather(
        *(
            worker(parts.hostname or "127.0.0.1", parts.port or 80, payload, stop_at, counts)
            for _ in range(connections)
        )
    )
    return sum(c for c in counts if c > 0), -sum(c for c in counts if c < 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="a running server (admin key from tests/support.py)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--secure", action="store_true", help="a SecureString parameter")
    parser.add_argument(
        "--operation", choices=["GetParameter", "PutParameter"], default="GetParameter"
    )
    parser.add_argument(
        "--synchronous",
        choices=["FULL", "NORMAL", "OFF"],
        help="SQLite's synchronous level (default: the server's, FULL)",
    )
    parser.add_argument(
        "--postgres", action="store_true", help="store in a PostgreSQL started for the run"
    )
    args = parser.parse_args()
    server = None
    postgres = None
    url = args.url
    if url is None:
        data_dir = Path(tempfile.mkdtemp(prefix="openssm-bench-")) / "server"
        database_url = None
        if args.synchronous:
            database_url = f"sqlite:///{data_dir}/openssm.db?synchronous={args.synchronous}"
        if args.postgres:
            postgres = PostgresServer(root=Path(tempfile.mkdtemp(prefix="openssm-bench-pg-")))
            postgres.start()
            database_url = postgres.create_database()
        server = ServerProcess(
            data_dir=data_dir,
            database_url=database_url,
            env=AS_DEPLOYED,
        )
        server.start()
        url = server.url
    try:
        client = ServerProcess(data_dir=Path("/nonexistent"), url=url).client()
        kind: ParameterTypeType = "SecureString" if args.secure else "String"
        # One name per type: Overwrite cannot change a parameter's type.
        name = f"/bench/param-{kind.lower()}"
        client.put_parameter(Name=name, Value="v" * 64, Type=kind, Overwrite=True)
        body: dict[str, object] = {"Name": name, "WithDecryption": args.secure}
        if args.operation == "PutParameter":
            body = {"Name": name, "Value": "w" * 64, "Type": kind, "Overwrite": True}
        payload = signed_bytes(url, args.operation, body)
        server_proc = psutil.Process(server.process.pid) if server and server.process else None
        if server_proc:
            server_proc.cpu_percent(None)
        started = time.monotonic()
        done, errors = uvloop.run(drive(url, payload, args.connections, args.seconds))
        elapsed = time.monotonic() - started
        store = "PostgreSQL" if args.postgres else f"SQLite {args.synchronous or 'FULL'}"
        print(
            f"{args.operation} ({kind}, {store}): "
            f"{done / elapsed:,.0f} requests/s "
            f"({done} in {elapsed:.1f} s, {args.connections} connections, {errors} non-200)"
        )
        if server_proc:
            rss = server_proc.memory_info().rss / 2**20
            print(
                f"server: {server_proc.cpu_percent(None):.0f}% CPU, {rss:.0f} MiB RSS, "
                f"{os.cpu_count()} cores on this machine"
            )
    finally:
        if server:
            server.stop()
        if postgres:
            postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
