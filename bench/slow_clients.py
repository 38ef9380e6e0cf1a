"""Idle and half-sent sockets against one server process; prints what they cost and how long.

Starts a fresh server (SQLite, temp data dir), opens --idle silent sockets and --half-sent
sockets that send half a request's headers, then reports the server's open files, how long
a signed call takes meanwhile, and when the server has closed them all. Asserts nothing.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.deployed import AS_DEPLOYED
from tests.support import ServerProcess, closed_by_peer

HALF_SENT = b"POST / HTTP/1.1\r\nHost: openssm\r\nX-Amz-Target: AmazonSSM.GetParam"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--half-sent", type=int, default=500)
    parser.add_argument("--max-api-connections", type=int, default=1000)
    args = parser.parse_args()
    server = ServerProcess(
        data_dir=Path(tempfile.mkdtemp(prefix="openssm-bench-")) / "server",
        env={
            **AS_DEPLOYED,
            "OPENSSM_MAX_API_CONNECTIONS": str(args.max_api_connections),
        },
    )
    server.start()
    sockets: list[socket.socket] = []
    try:
        process = psutil.Process(server.pid)
        address = ("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
        ssm = server.client()
        ssm.describe_parameters()
        files_before = process.num_fds()
        started = time.monotonic()
        for n in range(args.idle + args.half_sent):
            sock = socket.create_connection(address)
            if n >= args.idle:
                sock.sendall(HALF_SENT)
            sockets.append(sock)
        opened_s = time.monotonic() - started
        call_started = time.monotonic()
        ssm.describe_parameters()
        call_ms = (time.monotonic() - call_started) * 1000
        files_during = process.num_fds()
        print(
            f"{args.idle} idle + {args.half_sent} half-sent sockets opened in {opened_s:.2f} s; "
            f"server open files {files_before} -> {files_during}"
        )
        print(f"a signed DescribeParameters meanwhile: {call_ms:.0f} ms")
        open_sockets = list(sockets)
        while open_sockets and time.monotonic() - started < 60:
            open_sockets = [s for s in open_sockets if not closed_by_peer(s)]
            time.sleep(0.05)
        print(
            f"all closed by the server {time.monotonic() - started:.2f} s after the first "
            f"opened ({len(open_sockets)} still open); server open files {process.num_fds()}"
        )
    finally:
        for sock in sockets:
            sock.close()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
