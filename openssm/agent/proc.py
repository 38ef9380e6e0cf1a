"""Running one script process: started apart from the agent, streamed, stopped as a whole tree.

The child starts a new session (its own process group, no controlling terminal) with a
marker in its environment that everything it starts inherits (``proctree`` finds the tree
by parent links, session and marker), and drops what it would otherwise inherit from the
agent's systemd unit: the 077 umask (scripts create files as on any shell, 022) and the
agent's OOM protection.

No Python runs in the child between fork and exec (no ``preexec_fn``), so ``subprocess``
starts it with vfork: a fork of the whole agent, and the copy-on-write faults of a
forked Python child, cost about 1 ms of the agent's CPU, 2 ms of the child's and 4 ms
during which the agent's event loop waited, for every script. The OOM protection is
lifted by the agent itself around the spawn (``_unprotected``) for the same reason.

Its output comes through two pipes the agent reads 64 KiB at a time. When the script
exits, what is still in the pipes is read for up to ``DRAIN_S``; a background process
that keeps the pipes open after that (``nohup server &`` without a redirection) is left
running, its later output not captured: the step ended when its script did.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, Any

from openssm.agent.proctree import KILL_CONFIRM_S, MARKER_VARIABLE, ProcessTree, marker

READ_BYTES = 64 * 1024
DRAIN_S = 1.0
_SCRIPT_UMASK = 0o022

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


class _OomProtection:
    """Lifts the agent's OOM protection (its unit's OOMScoreAdjust) while children are
    spawned, so they inherit the kernel's default and a runaway script is killed before the
    agent is; put back as soon as no spawn is under way. A value a privileged writer set is
    also its floor for the process, so an agent that dropped root may restore it."""

    def __init__(self, path: str = "/proc/self/oom_score_adj") -> None:
        self._path = path
        self._spawning = 0
        self._saved: bytes | None = None

    def _write(self, value: bytes) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(self._path, os.O_WRONLY)
            try:
                os.write(fd, value)
            finally:
                os.close(fd)

    def __enter__(self) -> None:
        if self._spawning == 0:
            try:
                current = Path(self._path).read_bytes().strip()
            except OSError:
                current = b"0"
            self._saved = current if current not in (b"0", b"") else None
            if self._saved is not None:
                self._write(b"0")
        self._spawning += 1

    def __exit__(self, *_: object) -> None:
        self._spawning -= 1
        if self._spawning == 0 and self._saved is not None:
            self._write(self._saved)
            self._saved = None


_unprotected = _OomProtection()


def watch_children_with_pidfd() -> bool:
    """Have asyncio learn of a script's exit through a pidfd, one more event of the loop
    (Python 3.12 does so by default). 3.11 waits for each child in a thread of its own,
    started and joined for every script. Call it in the main thread before ``asyncio.run``;
    False where there is no pidfd (Linux before 5.3, another OS) or no need."""
    if sys.version_info >= (3, 12) or not hasattr(os, "pidfd_open"):
        return False
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return False
    asyncio.set_child_watcher(asyncio.PidfdChildWatcher())
    return True


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
    mark = marker()
    try:
        with _unprotected:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out_write,
                stderr=err_write,
                cwd=cwd,
                env={**env, MARKER_VARIABLE: mark},
                start_new_session=True,
                umask=_SCRIPT_UMASK,
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
            survivors = await _stop(process, mark, grace_s)
        await _drain(pumps)
        for pump in pumps:
            if pump.done() and not pump.cancelled() and (error := pump.exception()) is not None:
                raise error
        code = process.returncode
        return Finished(ending, exit_code_of(code) if code is not None else -1, survivors)
    except asyncio.CancelledError:
        # The run itself is being cancelled (agent shutdown): never leave the tree behind.
        if process.returncode is None:
            await asyncio.shield(_stop(process, mark, grace_s))
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


async def _stop(process: asyncio.subprocess.Process, mark: str, grace_s: float) -> tuple[int, ...]:
    survivors = await ProcessTree(process.pid, marker=f"{MARKER_VARIABLE}={mark}").kill(grace_s)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), KILL_CONFIRM_S)
    return survivors


async def _drain(pumps: list[asyncio.Task[None]]) -> None:
    pending = [pump for pump in pumps if not pump.done()]
    if pending:
        await asyncio.wait(pending, timeout=DRAIN_S)
