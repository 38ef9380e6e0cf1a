"""`openssm session HOST`: an interactive shell on a managed node, through the API's
StartSession and the session's data channel (AWS's session protocol).

The terminal is put in raw mode, so every key (Ctrl-C, Ctrl-Z, Ctrl-\\ among them) goes to the
remote shell as it is typed; its size goes first and again whenever it changes (SIGWINCH).
Leaving the remote shell (``exit``) ends the session. A dropped connection is resumed with
ResumeSession without losing a byte. ``--document`` runs another session document (for
example AWS-StartInteractiveCommand with ``--parameters command=top``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import termios
import tty
from typing import TYPE_CHECKING, Any

from openssm.cli.client import add_connection_flags
from openssm.cli.session_api import add_host_argument, run_session, start_session
from openssm.cli.shorthand import parse_parameters
from openssm.errors import SessionEnded
from openssm.sessions.handshake import HandshakeResponse, parse_handshake_request
from openssm.sessions.payloads import TerminalSize, parse_exit_code
from openssm.sessions.peer import DataChannelPeer
from openssm.sessions.wire import PayloadType

if TYPE_CHECKING:
    from types_boto3_ssm.client import SSMClient

    from openssm.sessions.client import ClientChannel

READ_SIZE = 4096


def add_parser(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "session", help="an interactive shell on a managed node (Session Manager)"
    )
    add_host_argument(parser)
    parser.add_argument("--document", help="a session document (default: the shell)")
    parser.add_argument("--parameters", help="the document's parameters: name=value,… or JSON")
    add_connection_flags(parser)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    parameters = parse_parameters(args.parameters) if args.parameters else None

    def start(ssm: SSMClient, target: str) -> dict[str, str]:
        return start_session(ssm, target, args.document, parameters, args.reason)

    return run_session("session", args, start, _shell)


async def _shell(channel: ClientChannel, session: dict[str, str]) -> int:
    terminal = Terminal(sys.stdin.fileno(), sys.stdout.fileno())
    with terminal.raw():
        exit_code = await converse(channel.peer, terminal)
    reason = channel.peer.reason
    sys.stderr.write(f"\r\nExiting session with sessionId: {session['SessionId']}.\r\n")
    if reason and "exit" not in reason.lower():
        sys.stderr.write(f"{reason}\r\n")
    return 0 if exit_code is None else exit_code


class Terminal:
    """The local terminal (or pipes) a session talks through."""

    def __init__(self, fd_in: int, fd_out: int, fd_err: int = 2) -> None:
        self.fd_in, self.fd_out, self.fd_err = fd_in, fd_out, fd_err
        self.is_tty = os.isatty(fd_in)

    @contextlib.contextmanager
    def raw(self) -> Any:
        if not self.is_tty:
            yield
            return
        saved = termios.tcgetattr(self.fd_in)
        tty.setraw(self.fd_in)
        try:
            yield
        finally:
            termios.tcsetattr(self.fd_in, termios.TCSADRAIN, saved)

    def size(self) -> TerminalSize | None:
        try:
            columns, lines = os.get_terminal_size(self.fd_out)
        except OSError:
            return None
        return TerminalSize(columns, lines) if columns and lines else None

    def write(self, data: bytes, *, error: bool = False) -> None:
        """To standard output, or with ``error`` to standard error (a command's StdErr, when
        its document separates the streams)."""
        fd = self.fd_err if error else self.fd_out
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]


async def converse(peer: DataChannelPeer, terminal: Terminal) -> int | None:
    """Keys to the agent, output to the terminal, size changes as they happen; until the
    session ends. The exit status of a non-interactive command, when the agent sent one."""
    loop = asyncio.get_running_loop()
    keys: asyncio.Queue[bytes] = asyncio.Queue()
    last_size: list[TerminalSize | None] = [None]

    def readable() -> None:
        try:
            data = os.read(terminal.fd_in, READ_SIZE)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(terminal.fd_in)
        keys.put_nowait(data)

    async def send_size() -> None:
        size = terminal.size()
        if size is not None and size != last_size[0]:
            last_size[0] = size
            await peer.send(size.to_payload(), PayloadType.SIZE)

    async def upstream() -> None:
        with contextlib.suppress(SessionEnded):
            await send_size()
            while data := await keys.get():
                await peer.send(data)

    def resized() -> None:
        sizing.add(asyncio.ensure_future(send_size()))

    sizing: set[asyncio.Future[None]] = set()
    try:
        loop.add_reader(terminal.fd_in, readable)
    except PermissionError:
        # A regular file (``openssm session HOST < script``), which the loop cannot watch:
        # it is always readable, so it is read straight through.
        while data := os.read(terminal.fd_in, READ_SIZE):
            keys.put_nowait(data)
        keys.put_nowait(b"")
    with contextlib.suppress(NotImplementedError, ValueError):
        loop.add_signal_handler(signal.SIGWINCH, resized)
    sender = asyncio.create_task(upstream())
    try:
        return await _downstream(peer, terminal)
    finally:
        loop.remove_reader(terminal.fd_in)
        with contextlib.suppress(NotImplementedError, ValueError):
            loop.remove_signal_handler(signal.SIGWINCH)
        for task in (sender, *sizing):
            task.cancel()
        await asyncio.gather(sender, *sizing, return_exceptions=True)


async def _downstream(peer: DataChannelPeer, terminal: Terminal) -> int | None:
    exit_code: int | None = None
    with contextlib.suppress(SessionEnded):
        while True:
            message = await peer.receive()
            if message.payload_type in (PayloadType.OUTPUT, PayloadType.STDERR):
                terminal.write(message.payload, error=message.payload_type == PayloadType.STDERR)
            elif message.payload_type == PayloadType.EXIT_CODE:
                exit_code = parse_exit_code(message.payload)
            elif message.payload_type == PayloadType.HANDSHAKE_REQUEST:
                # Non-interactive command documents shake hands before their output.
                request = parse_handshake_request(message.payload)
                answer = HandshakeResponse.answering(request).to_payload()
                await peer.send(answer, PayloadType.HANDSHAKE_RESPONSE)
    return exit_code
