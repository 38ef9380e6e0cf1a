"""Running one script process: started apart from the agent, streamed, stopped as a whole tree.

The child starts a new session (its own process group, no controlling terminal), becomes
a child subreaper so nothing it starts can slip out of its tree (``proctree``), and
drops what it would otherwise inherit from the agent's systemd unit: the 077 umask
(scripts create files as on any shell, 022) and the agent's OOM protection.

Its output comes through two pipes the agent reads 64 KiB at a time. When the script
exits, what is still in the pipes is read for up to ``DRAIN_S``; a background process
that keeps the pipes open after that (``nohup server &`` without a redirection) is left
running, its later output not captured: the step ended when its script did.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, Any

from openssm.agent.proctree import KILL_CONFIRM_S, ProcessTree

READ_BYTES = 64 * 1024
DRAIN_S = 1.0
_PR_SET_CHILD_SUBREAPER = 36
_SCRIPT_UMASK = 0o022
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

Consumer = Callable[[bytes], Awaitable[None]]


class Ending(Enum):
    EXITED = "exited"
    TIMED_OUT = "timed out"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Finished:
    """How the process ended. ``exit_code`` follows the shell: 128 + n after signal n.

    ``survivors``: pids of the tree still alive after SIGKILL (normally none).
    """

    ending: Ending
    exit_code: int
    survivors: tuple[int, ...] = ()


def _prepare_child() -> None:
    """Runs in the child between fork and exec; only async-signal-safe-ish calls."""
    if _libc is not None:
        _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    os.umask(_SCRIPT_UMASK)
    with contextlib.suppress(OSError):
        fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)


def exit_code_of(returncode: int) -> int:
    """asyncio's returncode (-n for death by signal n) as a shell would show it."""
    return 128 - returncode if returncode < 0 else returncode


async def run_process(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    on_stdout: Consumer,
    on_stderr: Consumer,
    deadline: float | None,
    cancel: asyncio.Event,
    grace_s: float,
) -> Finished:
    """Run ``argv`` until it exits, ``deadline`` (``time.monotonic``) passes or ``cancel``.

    After a timeout or a cancel it returns only once the whole process tree is gone.
    Raises OSError when the process cannot start (no such program, bad ``cwd``).
    """
    loop = asyncio.get_running_loop()
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out_write,
            stderr=err_write,
            cwd=cwd,
            env=dict(env),
            start_new_session=True,
            preexec_fn=_prepare_child,
        )
    except BaseException:
        for fd in (out_read, err_read):
            os.close(fd)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    pipes = [
        await _open_pipe(loop, os.fdopen(out_read, "rb", buffering=0), on_stdout),
        await _open_pipe(loop, os.fdopen(err_read, "rb", buffering=0), on_stderr),
    ]
    pumps = [pump for pump, _ in pipes]
    try:
        ending = await _wait(process, pumps, deadline, cancel)
        survivors: tuple[int, ...] = ()
        if ending is not Ending.EXITED:
            survivors = await _stop(process, grace_s)
        await _drain(pumps)
        for pump in pumps:
            if pump.done() and not pump.cancelled() and (error := pump.exception()) is not None:
                raise error
        code = process.returncode
        return Finished(ending, exit_code_of(code) if code is not None else -1, survivors)
    except asyncio.CancelledError:
        # The run itself is being cancelled (agent shutdown): never leave the tree behind.
        if process.returncode is None:
            await asyncio.shield(_stop(process, grace_s))
        raise
    finally:
        for pump, transport in pipes:
            pump.cancel()
            transport.close()
        await asyncio.gather(*pumps, return_exceptions=True)


async def _open_pipe(
    loop: asyncio.AbstractEventLoop, pipe: IO[bytes], consume: Consumer
) -> tuple[asyncio.Task[None], asyncio.BaseTransport]:
    reader = asyncio.StreamReader(limit=READ_BYTES, loop=loop)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe
    )
    return asyncio.create_task(_pump(reader, consume)), transport


async def _pump(reader: asyncio.StreamReader, consume: Consumer) -> None:
    while data := await reader.read(READ_BYTES):
        await consume(data)


async def _wait(
    process: asyncio.subprocess.Process,
    pumps: list[asyncio.Task[None]],
    deadline: float | None,
    cancel: asyncio.Event,
) -> Ending:
    exited = asyncio.create_task(process.wait())
    cancelled = asyncio.create_task(cancel.wait())
    watched: set[asyncio.Task[Any]] = {exited, cancelled, *pumps}
    try:
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = await asyncio.wait(
                watched, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if exited in done:
                return Ending.EXITED
            if cancelled in done:
                return Ending.CANCELLED
            if not done:
                return Ending.TIMED_OUT
            for pump in done:
                watched.discard(pump)
                if pump.exception() is not None:
                    # The sink failed: stop the script rather than let its pipe fill up.
                    return Ending.CANCELLED
    finally:
        exited.cancel()
        cancelled.cancel()


async def _stop(process: asyncio.subprocess.Process, grace_s: float) -> tuple[int, ...]:
    survivors = await ProcessTree(process.pid).kill(grace_s)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), KILL_CONFIRM_S)
    return survivors


async def _drain(pumps: list[asyncio.Task[None]]) -> None:
    pending = [pump for pump in pumps if not pump.done()]
    if pending:
        await asyncio.wait(pending, timeout=DRAIN_S)
