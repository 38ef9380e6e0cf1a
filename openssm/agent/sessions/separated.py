"""A non-interactive command with its standard error apart from its output
(``separateOutPutStream``, AWS-StartNonInteractiveCommand), as AWS's agent runs it: on pipes
instead of a terminal, standard output in Output messages and standard error in StdErr
messages, then the exit status in an ExitCode message ("EXIT_CODE: N").

A stream's prefix (``stdOutSeparatorPrefix``, ``stdErrSeparatorPrefix``) starts each of its
lines. AWS's agent writes it at the start of each chunk it read that follows a line end, so
where a chunk held several lines only the first had it; here every line has it, which is what
a reader splitting the two streams by prefix needs, whatever the chunks were.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from openssm.agent.sessions.pty_shell import argv_of, process_options, signal_group
from openssm.agent.sessions.run import SessionRun
from openssm.agent.sessions.runas import RunAs
from openssm.sessions.payloads import exit_code_payload
from openssm.sessions.wire import PayloadType

READ_BYTES = 16384
HANG_UP_WAIT_S = 1.0


class LinePrefixer:
    """Puts ``prefix`` at the start of every line of a stream handed in pieces."""

    def __init__(self, prefix: bytes) -> None:
        self._prefix = prefix
        self._at_line_start = True

    def __call__(self, data: bytes) -> bytes:
        if not self._prefix or not data:
            return data
        out = []
        for line in data.splitlines(keepends=True):
            if self._at_line_start:
                out.append(self._prefix)
            out.append(line)
            self._at_line_start = line.endswith(b"\n")
        return b"".join(out)


async def run_separated(run: SessionRun, user: RunAs, command: str) -> None:
    """Run ``command`` until it exits and both its streams closed; its status goes last."""
    props = run.frame.properties
    process = await asyncio.create_subprocess_exec(
        *argv_of(user, command),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        **process_options(user),
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        await asyncio.gather(
            _pump(run, process.stdout, PayloadType.OUTPUT, props.get("stdoutSeparatorPrefix")),
            _pump(run, process.stderr, PayloadType.STDERR, props.get("stderrSeparatorPrefix")),
        )
        code = await process.wait()
        status = code if code >= 0 else 128 - code
        await run.send(exit_code_payload(status), PayloadType.EXIT_CODE)
    finally:
        if process.returncode is None:
            signal_group(process.pid, signal.SIGHUP)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), HANG_UP_WAIT_S)
        signal_group(process.pid, signal.SIGKILL)  # what it left running in its group


async def _pump(
    run: SessionRun, stream: asyncio.StreamReader, payload_type: int, prefix: str | None
) -> None:
    prefixed = LinePrefixer((prefix or "").encode())
    while data := await stream.read(READ_BYTES):
        await run.send(prefixed(data), payload_type)
