"""`openssm port-forward HOST PORT [--local-port N] [--remote-host H]`: a local TCP port that
reaches PORT on the managed node (AWS-StartPortForwardingSession) or, with ``--remote-host``,
on a host the node can reach (AWS-StartPortForwardingSessionToRemoteHost).

Many connections at once, each its own smux stream over the one session when the agent
multiplexes (as ours does); one at a time otherwise, as AWS's basic mode. Ctrl-C ends the
session (the TerminateSession flag, then TerminateSession).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags
from openssm.cli.session_api import add_host_argument, run_session, start_session
from openssm.errors import SessionEnded
from openssm.sessions.client import shake_hands
from openssm.sessions.forward import forward_basic, forward_multiplexed
from openssm.sessions.payloads import Flag, flag_payload
from openssm.sessions.wire import PayloadType

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient

    from openssm.sessions.client import ClientChannel

LOCAL_DOCUMENT = "AWS-StartPortForwardingSession"
REMOTE_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "port-forward", help="forward a local TCP port to a port on or near a managed node"
    )
    add_host_argument(parser)
    parser.add_argument("port", type=int, help="the port to reach on the node (or remote host)")
    parser.add_argument(
        "--local-port", type=int, default=0, help="the local port (default: any free one)"
    )
    parser.add_argument("--local-address", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--remote-host", help="a host the node reaches, instead of the node")
    add_connection_flags(parser)
    parser.set_defaults(handler=_run)


def parameters(port: int, local_port: int, remote_host: str | None) -> dict[str, list[str]]:
    chosen = {"portNumber": [str(port)]}
    if local_port:
        chosen["localPortNumber"] = [str(local_port)]
    if remote_host:
        chosen["host"] = [remote_host]
    return chosen


def _run(args: argparse.Namespace) -> int:
    document = REMOTE_DOCUMENT if args.remote_host else LOCAL_DOCUMENT
    chosen = parameters(args.port, args.local_port, args.remote_host)

    def start(ssm: SSMClient, target: str) -> dict[str, str]:
        return start_session(ssm, target, document, chosen, args.reason)

    async def body(channel: ClientChannel, session: dict[str, str]) -> int:
        return await forward_port(channel, session, args.local_address, args.local_port)

    return run_session("port-forward", args, start, body)


async def forward_port(
    channel: ClientChannel, session: dict[str, str], address: str, port: int
) -> int:
    """Shake hands, listen on ``address:port`` and carry connections until the session ends
    or the user presses Ctrl-C."""
    peer = channel.peer
    try:
        settled, _ = await shake_hands(peer)
    except SessionEnded as exc:
        print(f"openssm port-forward: the session ended: {exc}", file=sys.stderr)
        return 1

    async def serve(handler: Handler) -> asyncio.Server:
        server = await asyncio.start_server(handler, address, port)
        bound = server.sockets[0].getsockname()[1]
        print(
            f"Port {bound} opened for sessionId {session['SessionId']}.\n"
            "Waiting for connections...",
            flush=True,
        )
        return server

    def on_error(message: str) -> None:
        print(f"openssm port-forward: {message}", file=sys.stderr, flush=True)

    forward = forward_multiplexed if settled.multiplexed else forward_basic
    try:
        await forward(peer, serve, on_error)
    except asyncio.CancelledError:
        # Ctrl-C: tell the agent before TerminateSession, as the plugin does.
        try:
            async with asyncio.timeout(2):
                await peer.send(flag_payload(Flag.TERMINATE_SESSION), PayloadType.FLAG)
                await peer.drain(2)
        except (SessionEnded, TimeoutError):
            pass
        raise
    if peer.reason:  # the agent ended it (idle, maximum duration): say why, as the plugin does
        print(f"\n{peer.reason}", file=sys.stderr, flush=True)
    return 0
