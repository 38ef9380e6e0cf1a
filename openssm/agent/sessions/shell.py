"""Shell and command sessions: Standard_Stream (a login shell), InteractiveCommands and
NonInteractiveCommands (the document's command in the user's shell).

The terminal takes the size of the client's first message when that is a size (AWS's
plugin sends one as soon as it connects; session-protocol.md §3.6), so the shell starts at
the right size; input that arrives while the shell starts waits in the data channel, never
dropped. The shell profile is typed into the shell first, as AWS's agent does.
NonInteractiveCommands shake hands first (session-protocol.md "Handshake"), as AWS's
clients expect, and take no input; with separateOutPutStream they run on pipes instead of a
terminal (openssm.agent.sessions.separated).
"""

from __future__ import annotations

import asyncio
import contextlib

from openssm.agent.sessions import runas
from openssm.agent.sessions.handshakes import shake_hands
from openssm.agent.sessions.pty_shell import PtyShell
from openssm.agent.sessions.run import SessionRun, until_first_ends
from openssm.agent.sessions.separated import run_separated
from openssm.errors import DataChannelError
from openssm.sessions.handshake import NON_INTERACTIVE
from openssm.sessions.payloads import Flag, exit_code_payload, parse_flag, parse_size
from openssm.sessions.wire import ClientMessage, PayloadType

# How long a new session waits for the client's first message (its terminal size).
FIRST_MESSAGE_S = 3.0
STANDARD_STREAM = "Standard_Stream"
# How long a command whose terminal closed has to exit before its status is given up on.
EXIT_WAIT_S = 2.0


def _size_of(message: ClientMessage | None) -> tuple[int, int] | None:
    if message is None or message.payload_type != PayloadType.SIZE:
        return None
    try:
        size = parse_size(message.payload)
    except DataChannelError:
        return None
    return size.cols, size.rows


async def run_shell(run: SessionRun) -> str:
    frame = run.frame
    user = await asyncio.to_thread(runas.resolve, frame.run_as)
    command = None if frame.session_type == STANDARD_STREAM else frame.properties.get("commands")
    interactive = frame.session_type != NON_INTERACTIVE
    first: ClientMessage | None = None
    if frame.session_type == NON_INTERACTIVE:
        await shake_hands(run, NON_INTERACTIVE, {})
        if command is not None and frame.properties.get("separateOutputStream") == "true":
            await run_separated(run, user, command)
            return run.reason or f"Exiting session with sessionId: {run.session_id}."
    else:
        with contextlib.suppress(TimeoutError):
            first = await asyncio.wait_for(run.receive(), FIRST_MESSAGE_S)
    shell = PtyShell.spawn(user, size=_size_of(first), command=command)
    try:
        if first is not None and _size_of(first) is None:
            await _take(run, shell, first)
        if frame.shell_profile and command is None:
            await shell.write(frame.shell_profile.encode() + b"\n")
        output = asyncio.create_task(_output(run, shell), name="shell-output")
        tasks = {output}
        if interactive:
            tasks.add(asyncio.create_task(_input(run, shell), name="shell-input"))
        await until_first_ends(tasks)
        if run.reason:
            return run.reason
        if not interactive:
            await _send_exit_code(run, shell)
        return f"Exiting session with sessionId: {run.session_id}."
    finally:
        await asyncio.to_thread(shell.hang_up)
        shell.close()


async def _send_exit_code(run: SessionRun, shell: PtyShell) -> None:
    """A non-interactive command's exit status, as AWS's agent sends it ("EXIT_CODE: N" in an
    ExitCode message), so a client can exit with it; a command killed by a signal shows as a
    shell would show it (128 + the signal)."""
    try:
        code = await asyncio.wait_for(shell.wait(), EXIT_WAIT_S)
    except TimeoutError:
        return  # the terminal closed but the command lives on: the hang-up ends it
    status = code if code >= 0 else 128 - code
    await run.send(exit_code_payload(status), PayloadType.EXIT_CODE)


async def _output(run: SessionRun, shell: PtyShell) -> None:
    while data := await shell.read():
        await run.send(data)


async def _input(run: SessionRun, shell: PtyShell) -> None:
    while True:
        await _take(run, shell, await run.receive())


async def _take(run: SessionRun, shell: PtyShell, message: ClientMessage) -> None:
    kind = message.payload_type
    if kind == PayloadType.OUTPUT:
        await shell.write(message.payload)
    elif kind == PayloadType.SIZE:
        size = _size_of(message)
        if size is not None:
            shell.resize(*size)
    elif kind == PayloadType.FLAG:
        with contextlib.suppress(DataChannelError):
            if parse_flag(message.payload) == Flag.TERMINATE_SESSION:
                run.end_by_client()
