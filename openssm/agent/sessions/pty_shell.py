"""A login shell (or a session's command) in a pseudo-terminal, as the session's user.

The shell gets a fresh session and the pty as its controlling terminal, the user's own
environment basics (HOME, USER, LOGNAME, SHELL, PATH) and ``TERM=xterm-256color``. Reads and
writes go through the pty's master side without blocking the event loop; a read returns b""
once the shell and everything it started have closed the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import pty
import signal
import struct
import subprocess
import termios
from pathlib import Path
from typing import Any

from openssm.agent.sessions.runas import RunAs

READ_BYTES = 16384
DEFAULT_SIZE = (80, 24)
_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _take_terminal() -> None:  # runs in the child, between fork and exec
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def argv_of(user: RunAs, command: str | None) -> list[str]:
    """A login shell, or ``command`` run by the user's login shell."""
    return [user.shell, "-l"] if command is None else [user.shell, "-l", "-c", command]


def process_options(user: RunAs) -> dict[str, Any]:
    """How a session's process starts as ``user``: the user's environment basics, home and
    identity, in a session (and process group) of its own."""
    other = not user.is_self
    return {
        "env": {
            "HOME": user.home,
            "USER": user.name,
            "LOGNAME": user.name,
            "SHELL": user.shell,
            "PATH": _PATH,
            "TERM": "xterm-256color",
            "LANG": os.environ.get("LANG", "C.UTF-8"),
        },
        "cwd": user.home if Path(user.home).is_dir() else "/",
        "start_new_session": True,
        "close_fds": True,
        "user": user.uid if other else None,
        "group": user.gid if other else None,
        "extra_groups": [] if other else None,
    }


def signal_group(pid: int, sig: int) -> None:
    """Signal a session process's whole group (it leads one of its own), if still there."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class PtyShell:
    def __init__(self, master: int, process: subprocess.Popen[bytes]) -> None:
        self._master = master
        self.process = process

    @classmethod
    def spawn(
        cls, user: RunAs, *, size: tuple[int, int] | None = None, command: str | None = None
    ) -> PtyShell:
        """A login shell, or ``command`` run by the user's shell, on a new pty."""
        master, slave = pty.openpty()
        try:
            cols, rows = size or DEFAULT_SIZE
            _set_size(master, cols, rows)
            process = subprocess.Popen(  # noqa: S603  # the session's own shell, no string built
                argv_of(user, command),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                preexec_fn=_take_terminal,  # ioctl only, no locks taken
                **process_options(user),
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        return cls(master, process)

    def resize(self, cols: int, rows: int) -> None:
        """The kernel tells the shell's foreground job (SIGWINCH)."""
        with contextlib.suppress(OSError):
            _set_size(self._master, cols, rows)

    async def read(self) -> bytes:
        """Output as it comes; b"" once the terminal closed."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                return os.read(self._master, READ_BYTES)
            except BlockingIOError:
                pass
            except OSError as exc:  # EIO: every process closed the slave side
                if exc.errno == errno.EIO:
                    return b""
                raise
            ready = loop.create_future()
            loop.add_reader(self._master, ready.set_result, None)
            try:
                await ready
            finally:
                loop.remove_reader(self._master)

    async def write(self, data: bytes) -> None:
        """Input, as typed: waits while the terminal's input buffer is full."""
        loop = asyncio.get_running_loop()
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._master, view)
            except BlockingIOError:
                written = 0
            except OSError:
                return  # the shell is gone; its end is seen by the reader
            view = view[written:]
            if view:
                ready = loop.create_future()
                loop.add_writer(self._master, ready.set_result, None)
                try:
                    await ready
                finally:
                    loop.remove_writer(self._master)

    async def wait(self) -> int:
        return await asyncio.to_thread(self.process.wait)

    def hang_up(self) -> None:
        """End the shell's whole session (SIGHUP, as a closing terminal does, then KILL)."""
        signal_group(self.process.pid, signal.SIGHUP)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1.0)
            return
        signal_group(self.process.pid, signal.SIGKILL)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._master)
