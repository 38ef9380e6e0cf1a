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

The process is watched by the loop itself (``_Child``): a pidfd tells of its exit and reader
callbacks take its pipes, where asyncio's subprocess machinery (a transport and a protocol
per pipe, a stream reader and a task each, tasks to wait for the exit and the cancel, and
``asyncio.wait`` over them all) cost the agent about 0.2 ms of CPU for every script.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

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
    also its floor for the process, so an agent that dropped root may restore it.

    The agent's own value is read at the first spawn only: it is set before the agent starts
    (by its unit) and nothing but this class changes it afterwards."""

    def __init__(self, path: str = "/proc/self/oom_score_adj") -> None:
        self._path = path
        self._spawning = 0
        self._own: bytes | None = None

    def _write(self, value: bytes) -> None:
        with contextlib.suppress(OSError):
            fd = os.open(self._path, os.O_WRONLY)
            try:
                os.write(fd, value)
            finally:
                os.close(fd)

    def _protected(self) -> bytes | None:
        """The agent's value when it is not the default, else None."""
        if self._own is None:
            try:
                self._own = Path(self._path).read_bytes().strip()
            except OSError:
                self._own = b"0"
        return self._own if self._own not in (b"0", b"") else None

    def __enter__(self) -> None:
        if self._spawning == 0 and self._protected() is not None:
            self._write(b"0")
        self._spawning += 1

    def __exit__(self, *_: object) -> None:
        self._spawning -= 1
        own = self._protected()
        if self._spawning == 0 and own is not None:
            self._write(own)


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
    child = _Child(argv, cwd=cwd, env=env, consumers=(on_stdout, on_stderr), grace_s=grace_s)
    try:
        ending = await child.run(deadline, cancel)
        if child.error is not None:
            raise child.error
        code = child.returncode
        return Finished(ending, exit_code_of(code) if code is not None else -1, child.survivors)
    except asyncio.CancelledError:
        # The run itself is being cancelled (agent shutdown): never leave the tree behind.
        if child.returncode is None:
            await asyncio.shield(child.stopping())
        raise
    finally:
        child.close()


_devnull_fd: int | None = None


def _devnull() -> int:
    """/dev/null, opened once (close-on-exec): every script's standard input."""
    global _devnull_fd
    if _devnull_fd is None:
        _devnull_fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    return _devnull_fd


class _Child:
    """One script process, watched on the loop without a task of its own.

    Its exit is learnt through a pidfd and its pipes are read by the loop's reader callbacks,
    a piece at a time: a pipe is not read again until the coroutine in ``run`` has handed its
    last piece to the consumer, so a consumer that waits holds the script back (its pipe
    fills). The deadline, the cancel event and the end of the drain are callbacks too; the
    process tree is stopped in a task of its own while the output is still read, as a
    ``trap … TERM`` may print, and a consumer that still waits when the drain ends is
    interrupted (``Task.cancel`` then ``uncancel``, as ``asyncio.timeout`` does).
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        consumers: tuple[Consumer, Consumer],
        grace_s: float,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        self._task = task
        self._mark = marker()
        self._grace_s = grace_s
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        try:
            with _unprotected:
                self._process = subprocess.Popen(
                    argv,
                    stdin=_devnull(),
                    stdout=out_write,
                    stderr=err_write,
                    cwd=cwd,
                    env={**env, MARKER_VARIABLE: self._mark},
                    start_new_session=True,
                    umask=_SCRIPT_UMASK,
                )
        except BaseException:
            os.close(out_read)
            os.close(err_read)
            raise
        finally:
            os.close(out_write)
            os.close(err_write)
        self.pid = self._process.pid
        self.exited: asyncio.Future[int] = self._loop.create_future()
        self.error: BaseException | None = None
        self.survivors: tuple[int, ...] = ()
        self._consumers = {out_read: consumers[0], err_read: consumers[1]}
        self._fds = [out_read, err_read]
        self._open = set(self._fds)  # pipes whose end has not been read yet
        self._pending: dict[int, bytes] = {}  # fd → a piece the consumer has not taken yet
        self._paused: set[int] = set()
        self._ending: Ending | None = None
        self._stopper: asyncio.Task[tuple[int, ...]] | None = None
        self._wake: asyncio.Future[None] | None = None
        self._consuming = False
        self._interrupting = False
        self._drained = False
        self._timer: asyncio.TimerHandle | None = None
        self._drain_timer: asyncio.TimerHandle | None = None
        self._cancel_watch: asyncio.Task[Any] | None = None
        self._pidfd = -1
        for fd in self._fds:
            os.set_blocking(fd, False)
            self._loop.add_reader(fd, self._readable, fd)
        self._watch_exit()

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    # --- the coroutine's side ------------------------------------------------------------------

    async def run(
        self,
        deadline: float | None,
        cancel: asyncio.Event,
    ) -> Ending:
        """Hand the output to the consumers until the process has ended (or was stopped) and
        its pipes are read to their end or ``DRAIN_S`` has passed; how it ended."""
        if deadline is not None:
            delay = max(0.0, deadline - time.monotonic())
            self._timer = self._loop.call_later(delay, self._end, Ending.TIMED_OUT)
        if cancel.is_set():
            self._end(Ending.CANCELLED)
        else:
            self._cancel_watch = self._loop.create_task(cancel.wait())
            self._cancel_watch.add_done_callback(self._cancelled)
        while True:
            if self._pending and not self._drained:
                fd = next(iter(self._pending))
                data = self._pending.pop(fd)
                if fd in self._paused:
                    self._paused.discard(fd)
                    self._loop.add_reader(fd, self._readable, fd)
                await self._consume(fd, data)
                continue
            if self._ending is not None and (self._stopper is None or self._stopper.done()):
                if self._stopper is not None:
                    self.survivors = self._stopper.result()
                if not self._open or self._drained:
                    return self._ending
                self._start_drain()
            wake = self._wake = self._loop.create_future()
            try:
                await wake
            finally:
                self._wake = None

    async def stopping(self) -> None:
        """Stop the process tree, or wait for the stop already under way."""
        if self._stopper is None:
            self._stopper = self._loop.create_task(self._kill())
        await self._stopper

    async def _kill(self) -> tuple[int, ...]:
        tree = ProcessTree(self.pid, marker=f"{MARKER_VARIABLE}={self._mark}")
        survivors = await tree.kill(self._grace_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.exited), KILL_CONFIRM_S)
        return survivors

    async def _consume(self, fd: int, data: bytes) -> None:
        self._consuming = True
        try:
            await self._consumers[fd](data)
        except asyncio.CancelledError:
            # Interrupted by the end of the drain (this piece is dropped), unless the run
            # itself is being cancelled too.
            if not self._interrupting or self._task.uncancel() > 0:
                raise
        except Exception as exc:  # noqa: BLE001 - raised again by run_process once stopped
            # The sink failed: stop the script rather than let its pipe fill up.
            if self.error is None:
                self.error = exc
            self._forget(fd)
            self._end(Ending.CANCELLED)
        finally:
            self._consuming = False
            self._interrupting = False

    # --- the loop's callbacks ------------------------------------------------------------------

    def _readable(self, fd: int) -> None:
        if fd in self._pending:
            # The consumer has not taken the last piece yet: read no more until it has.
            self._loop.remove_reader(fd)
            self._paused.add(fd)
            return
        try:
            data = os.read(fd, READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self._pending[fd] = data
        else:
            self._forget(fd)
        self._notify()

    def _forget(self, fd: int) -> None:
        """No more is read from pipe ``fd`` (its end, or its consumer failed)."""
        if fd in self._open:
            self._open.discard(fd)
            self._paused.discard(fd)
            self._pending.pop(fd, None)
            self._loop.remove_reader(fd)

    def _watch_exit(self) -> None:
        try:
            self._pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            # No pidfd (Linux before 5.3): a thread waits, as asyncio's own watcher does.
            threading.Thread(target=self._wait_in_thread, daemon=True).start()
            return
        self._loop.add_reader(self._pidfd, self._pidfd_readable)

    def _pidfd_readable(self) -> None:
        if self._process.poll() is None:
            return
        self._loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = -1
        self._on_exit()

    def _wait_in_thread(self) -> None:
        self._process.wait()
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            self._loop.call_soon_threadsafe(self._on_exit)

    def _on_exit(self) -> None:
        if not self.exited.done():
            self.exited.set_result(self._process.returncode or 0)
        self._end(Ending.EXITED)
        if self._consuming:
            self._start_drain()
        self._notify()

    def _cancelled(self, watch: asyncio.Task[Any]) -> None:
        if not watch.cancelled():
            self._end(Ending.CANCELLED)

    def _end(self, ending: Ending) -> None:
        if self._ending is not None:
            return
        self._ending = ending
        if ending is not Ending.EXITED and self._stopper is None:
            self._stopper = self._loop.create_task(self._kill())
            self._stopper.add_done_callback(self._stopped)
        self._notify()

    def _stopped(self, _: asyncio.Task[Any]) -> None:
        if self._consuming:
            self._start_drain()
        self._notify()

    def _start_drain(self) -> None:
        """What is still in the pipes has ``DRAIN_S`` to arrive."""
        if self._drain_timer is None:
            self._drain_timer = self._loop.call_later(DRAIN_S, self._drain_over)

    def _drain_over(self) -> None:
        self._drained = True
        if self._consuming and not self._interrupting:
            self._interrupting = True
            self._task.cancel()
        self._notify()

    def _notify(self) -> None:
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def close(self) -> None:
        for timer in (self._timer, self._drain_timer):
            if timer is not None:
                timer.cancel()
        if self._cancel_watch is not None:
            self._cancel_watch.cancel()
        for fd in self._fds:
            self._forget(fd)
            os.close(fd)
        if self._pidfd >= 0:
            self._loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
