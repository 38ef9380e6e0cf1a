"""What the session commands ask of the API: which node HOST names, StartSession,
ResumeSession and TerminateSession, with boto3 (credentials and endpoint as ``client.py``
finds them); and how they run a session's channel to its end.

HOST is an instance id (``mi-…``/``i-…``) or a name: the node's Name (its activation's
default instance name) or its ComputerName, full or up to the first dot.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import ssl
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

from openssm.errors import OpenSSMError
from openssm.sessions.client import ClientChannel

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient

EXIT_ERROR = 2
_INSTANCE_ID = re.compile(r"^(mi|i)-[0-9a-f]{8,17}$")


class HostNotFound(OpenSSMError):
    """HOST names no managed node, or several."""


def resolve_target(ssm: SSMClient, host: str) -> str:
    """The instance id HOST stands for; HostNotFound naming the candidates when it is not
    exactly one."""
    if _INSTANCE_ID.match(host):
        return host
    found: list[dict[str, Any]] = []
    for page in ssm.get_paginator("describe_instance_information").paginate():
        for node in page["InstanceInformationList"]:
            names = {node.get("Name"), node.get("ComputerName")}
            computer = node.get("ComputerName") or ""
            names.add(computer.partition(".")[0])
            if host in names:
                found.append(dict(node))
    online = [n for n in found if n.get("PingStatus") == "Online"]
    chosen = online or found
    if len(chosen) == 1:
        return str(chosen[0]["InstanceId"])
    if not chosen:
        raise HostNotFound(f"no managed node is named {host!r}; give its instance id")
    ids = ", ".join(str(n["InstanceId"]) for n in chosen)
    raise HostNotFound(f"{host!r} names several managed nodes ({ids}); give one instance id")


def start_session(
    ssm: SSMClient,
    target: str,
    document: str | None = None,
    parameters: dict[str, list[str]] | None = None,
    reason: str | None = None,
) -> dict[str, str]:
    request: dict[str, Any] = {"Target": target}
    if document:
        request["DocumentName"] = document
    if parameters:
        request["Parameters"] = parameters
    if reason:
        request["Reason"] = reason
    answer = ssm.start_session(**request)
    return {k: str(answer[k]) for k in ("SessionId", "TokenValue", "StreamUrl")}


def ssl_context() -> ssl.SSLContext:
    """Verification as boto3 does it: AWS_CA_BUNDLE when set, else the system's roots
    (SSL_CERT_FILE and SSL_CERT_DIR apply)."""
    return ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)


def channel_for(ssm: SSMClient, session: dict[str, str]) -> ClientChannel:
    session_id = session["SessionId"]

    async def resume() -> tuple[str, str] | None:
        answer = await asyncio.to_thread(ssm.resume_session, SessionId=session_id)
        token = answer.get("TokenValue") or ""
        return (token, answer.get("StreamUrl") or "") if token else None

    return ClientChannel(
        session["StreamUrl"], session["TokenValue"], resume=resume, ssl_context=ssl_context()
    )


def terminate_quietly(ssm: SSMClient, session_id: str) -> None:
    """TerminateSession, ignoring failures: the session may already have ended."""
    from botocore.exceptions import BotoCoreError, ClientError

    with contextlib.suppress(BotoCoreError, ClientError):
        ssm.terminate_session(SessionId=session_id)


def run_session(
    command: str,
    args: argparse.Namespace,
    start: Callable[[SSMClient, str], dict[str, str]],
    body: Callable[[ClientChannel, dict[str, str]], Awaitable[int]],
) -> int:
    """Resolve HOST, start the session, run ``body`` over its channel and always end it with
    TerminateSession; errors are one line on stderr and exit status 2."""
    from botocore.exceptions import BotoCoreError, ClientError

    from openssm.cli.client import ssm_client
    from openssm.errors import DataChannelError

    try:
        ssm = ssm_client(args)
        session = start(ssm, resolve_target(ssm, args.host))
    except (HostNotFound, ClientError, BotoCoreError) as exc:
        print(f"openssm {command}: {exc}", file=sys.stderr)
        return EXIT_ERROR

    async def main() -> int:
        channel = channel_for(ssm, session)
        await channel.open()
        with ended_by_signals() as signalled:
            try:
                return await body(channel, session)
            except asyncio.CancelledError:
                if not signalled:
                    raise
                return 128 + signalled[0]
            finally:
                await channel.close()

    try:
        return asyncio.run(main())
    except DataChannelError as exc:
        print(f"openssm {command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        terminate_quietly(ssm, session["SessionId"])


# The parent went away (ssh, whose ProxyCommand this is, or the terminal) or the process is
# asked to stop: the session is ended rather than left for the server's grace period.
ENDING_SIGNALS = (signal.SIGHUP, signal.SIGTERM)


@contextlib.contextmanager
def ended_by_signals() -> Iterator[list[int]]:
    """While inside, SIGHUP and SIGTERM cancel the running task (so its ``finally`` blocks run
    and the caller ends the session) instead of killing the process; yields the signals
    received."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        if task is not None:
            task.cancel()

    for signum in ENDING_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        yield received
    finally:
        for signum in ENDING_SIGNALS:
            loop.remove_signal_handler(signum)


def add_host_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("host", help="the managed node: its instance id or its name")
    parser.add_argument("--reason", help="why, kept with the session (256 characters)")
