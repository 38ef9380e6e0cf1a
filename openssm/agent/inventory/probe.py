"""Running a gatherer's command: bounded in CPU time, memory, wall time and output, and
measured.

The command runs in a thread (``asyncio.to_thread``) with ``wait4``, which returns the
resource use of exactly that child, so the cost reported is the command's own even while
scripts of other commands run beside it. Its limits (``RLIMIT_CPU``, ``RLIMIT_AS``) are set
with ``prlimit`` as soon as it is started: a package database that makes its tool spin or
swell ends that gatherer, not the host's peace. No Python code runs in the child between
fork and exec. The peak RSS the kernel reports for a child counts the agent's pages it was
forked from, so it is an upper bound on the command's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from openssm.errors import AgentError

DEFAULT_CPU_S = 10
DEFAULT_MEMORY_BYTES = 1 << 30
DEFAULT_TIMEOUT_S = 60.0
MAX_OUTPUT_BYTES = 32 << 20
# Commands get a plain C locale (stable field formats) and the usual system PATH.
_ENV = {"LC_ALL": "C.UTF-8", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}


@dataclass(frozen=True, slots=True)
class Limits:
    cpu_s: int = DEFAULT_CPU_S
    memory_bytes: int = DEFAULT_MEMORY_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class Probe:
    """What a command printed and what it cost. ``error`` is None when it exited 0."""

    output: str
    cpu_s: float
    peak_rss_bytes: int
    error: str | None = None


class ProbeFailed(AgentError):
    """The command could not be started at all (not installed, say)."""


def _limit(pid: int, limits: Limits) -> None:
    resource.prlimit(pid, resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
    resource.prlimit(pid, resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))


def _ended(status: int, output_cut: bool, timed_out: bool, limits: Limits) -> str | None:
    if timed_out:
        return f"stopped after {limits.timeout_s:g} s"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return f"stopped by its CPU limit of {limits.cpu_s} s (signal {sig})"
        return f"killed by signal {sig}"
    code = os.waitstatus_to_exitcode(status)
    if output_cut:
        return f"printed more than {MAX_OUTPUT_BYTES} bytes"
    return None if code == 0 else f"exited {code}"


def _run(argv: Sequence[str], limits: Limits) -> Probe:
    try:
        process = subprocess.Popen(  # noqa: S603  # argv is one of the gatherers' own commands
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_ENV,
            start_new_session=True,
        )
    except OSError as exc:
        raise ProbeFailed(f"{argv[0]}: {exc.strerror}") from exc
    with contextlib.suppress(ProcessLookupError):  # already gone: wait4 says how it ended
        _limit(process.pid, limits)
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    timer = threading.Timer(limits.timeout_s, stop)
    timer.start()
    assert process.stdout is not None
    try:
        data = process.stdout.read(MAX_OUTPUT_BYTES + 1)
        cut = len(data) > MAX_OUTPUT_BYTES
        if cut:
            stop()
        process.stdout.close()
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return Probe(
        output=data[:MAX_OUTPUT_BYTES].decode("utf-8", errors="replace"),
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_bytes=usage.ru_maxrss * 1024,
        error=_ended(status, cut, timed_out.is_set(), limits),
    )


async def probe(argv: Sequence[str], limits: Limits | None = None) -> Probe:
    """Run ``argv`` to its end within ``limits``; ProbeFailed when it cannot start."""
    return await asyncio.to_thread(_run, argv, limits or Limits())
