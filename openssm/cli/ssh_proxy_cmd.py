"""`openssm ssh-proxy HOST PORT`: an ssh ProxyCommand through Session Manager
(AWS-StartSSHSession). In ``~/.ssh/config``::

    Host mi-* i-*
        ProxyCommand openssm ssh-proxy %h %p

Standard input goes to PORT on the node and what comes back goes to standard output, byte
for byte; nothing else is printed there.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags
from openssm.cli.session_api import add_host_argument, run_session, start_session
from openssm.errors import SessionEnded
from openssm.sessions.client import shake_hands
from openssm.sessions.forward import forward_stdio

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient

    from openssm.sessions.client import ClientChannel

SSH_DOCUMENT = "AWS-StartSSHSession"
READ_SIZE = 65536


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "ssh-proxy", help="an ssh ProxyCommand: stdin/stdout to a port on a managed node"
    )
    add_host_argument(parser)
    parser.add_argument("port", type=int, help="the ssh port on the node (%%p)")
    add_connection_flags(parser)
    parser.set_defaults(handler=_run)


async def read_ready(loop: asyncio.AbstractEventLoop, fd: int) -> bytes:
    """The next bytes of ``fd`` (b"" at its end), read when the loop says it is readable: a
    thread blocked in read would keep the process alive after the session ended, as long as
    ssh keeps its end open. A regular file, which the loop cannot watch, is read directly."""
    ready: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not ready.done():
            ready.set_result(None)

    try:
        loop.add_reader(fd, readable)
    except PermissionError:
        return os.read(fd, READ_SIZE)
    try:
        await ready
    finally:
        loop.remove_reader(fd)
    try:
        return os.read(fd, READ_SIZE)
    except OSError:
        return b""


def _run(args: argparse.Namespace) -> int:
    chosen = {"portNumber": [str(args.port)]}

    def start(ssm: SSMClient, target: str) -> dict[str, str]:
        return start_session(ssm, target, SSH_DOCUMENT, chosen, args.reason)

    return run_session("ssh-proxy", args, start, _proxy)


async def _proxy(channel: ClientChannel, session: dict[str, str]) -> int:
    peer = channel.peer
    try:
        await shake_hands(peer)
    except SessionEnded as exc:
        print(f"openssm ssh-proxy: the session ended: {exc}", file=sys.stderr)
        return 1
    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
    loop = asyncio.get_running_loop()

    async def read_input() -> bytes:
        return await read_ready(loop, fd_in)

    async def write_output(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd_out, view) :]

    def on_error(message: str) -> None:
        print(f"openssm ssh-proxy: {message}", file=sys.stderr, flush=True)

    await forward_stdio(peer, read_input, write_output, on_error)
    return 0
