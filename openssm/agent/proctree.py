"""Killing a script's whole process tree, and knowing when it is gone.

Why this works without a cgroup (``proc.py`` sets it up when it starts a script):

- The script's shell starts a new session (so it leads its own process group and session)
  with a marker in its environment, ``OPENSSM_PROCESS_TREE=<random>``, one per run. A
  process of the script is found by any of three traces: a walk of parent links from the
  shell (or from a member seen before); the shell's session, which a double fork keeps;
  the marker, which children inherit whatever session or parent they end up with, so an
  orphan that also left the session (``setsid`` and a double fork, as daemons do) is found.
  The marker is looked for only in processes started since the shell.
- To stop the tree, it is first frozen: SIGSTOP to the shell, then to every member, walking
  again until a walk finds nobody new (a stopped process cannot fork). Each one is
  remembered by pid and start time, so a pid reused later is never signalled. Then all of
  them get SIGTERM and SIGCONT together, and ``grace_s`` to exit (a script's ``trap …
  TERM`` runs). Whatever is left, and anything they started meanwhile, is frozen the same
  way and killed with SIGKILL. The tree is gone when no remembered process is alive (a
  zombie counts as gone: it runs nothing and holds no resource but its pid).
- The gap: a process that leaves the session, starts with an environment of its own
  (``env -i``, ``sudo``'s reset) and whose parents all exit before a walk sees it is
  re-parented to init unseen. A cgroup (``cgroup.kill``) would close it, but needs a
  delegated cgroup that agents under systemd without ``Delegate=yes``, in containers, or
  on cgroup v1 do not have. (Making the shell a child subreaper closed it too, but only
  Python code between fork and exec can do that, and it made every script's start cost
  the agent a full fork: see ``proc.py``.)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
POLL_S = 0.05
# How long SIGKILL may take to be seen done before the processes are reported as survivors
# (a process in uninterruptible sleep, on a hung NFS mount say, dies only when that ends).
KILL_CONFIRM_S = 10.0
_FREEZE_ROUNDS = 100
_STAT_BYTES = 4096
_ENVIRON_BYTES = 1 << 20
MARKER_VARIABLE = "OPENSSM_PROCESS_TREE"


def marker() -> str:
    """A fresh value for one script's ``MARKER_VARIABLE``."""
    return secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class ProcStat:
    """The fields of ``/proc/<pid>/stat`` this module needs (proc(5))."""

    pid: int
    state: str
    ppid: int
    pgrp: int
    session: int
    start_time: int

    @property
    def alive(self) -> bool:
        return self.state not in ("Z", "X", "x")


def parse_stat(text: str) -> ProcStat:
    """Parse one ``/proc/<pid>/stat`` line; the command name may hold spaces and parentheses."""
    head, _, rest = text.rpartition(")")
    pid = int(head.split("(", 1)[0])
    fields = rest.split()
    # After the name: state(3) ppid(4) pgrp(5) session(6) … starttime(22), numbered as in proc(5).
    return ProcStat(
        pid=pid,
        state=fields[0],
        ppid=int(fields[1]),
        pgrp=int(fields[2]),
        session=int(fields[3]),
        start_time=int(fields[19]),
    )


def snapshot(proc: Path = PROC) -> dict[int, ProcStat]:
    """Every process visible now; those that vanish while being read are left out."""
    found: dict[int, ProcStat] = {}
    for entry in os.scandir(proc):
        if not entry.name.isdigit():
            continue
        try:
            fd = os.open(f"{entry.path}/stat", os.O_RDONLY)
            try:
                text = os.read(fd, _STAT_BYTES).decode("utf-8", "replace")
            finally:
                os.close(fd)
            found[int(entry.name)] = parse_stat(text)
        except (OSError, ValueError, IndexError):
            continue
    return found


def descendants(processes: dict[int, ProcStat], roots: Iterable[int]) -> set[int]:
    """``roots`` (those present) and every process below them by parent links."""
    children: dict[int, list[int]] = {}
    for stat in processes.values():
        children.setdefault(stat.ppid, []).append(stat.pid)
    found = {pid for pid in roots if pid in processes}
    frontier = list(found)
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def has_marker(pid: int, entry: bytes, proc: Path = PROC) -> bool:
    """Whether the environment ``pid`` started with holds ``entry`` (``NAME=value``)."""
    try:
        fd = os.open(f"{proc}/{pid}/environ", os.O_RDONLY)
    except OSError:
        return False
    try:
        data = b"\0" + os.read(fd, _ENVIRON_BYTES)
    except OSError:
        return False
    finally:
        os.close(fd)
    return b"\0" + entry + b"\0" in data + b"\0"


class ProcessTree:
    """The processes of one script, rooted at its shell (a session leader); ``marker`` is the
    ``NAME=value`` its environment was given."""

    def __init__(self, root_pid: int, *, marker: str | None = None, proc: Path = PROC) -> None:
        self.root_pid = root_pid
        self._marker = marker.encode() if marker is not None else None
        self._proc = proc
        self._root_start: int | None = None
        # pid → start time of every process seen in the tree: a walk starts from those
        # still alive, so a member whose parent died is still found, and a pid that was
        # reused by an unrelated process is not.
        self._known: dict[int, int] = {}

    def members(self) -> set[int]:
        """Live processes of the tree now: the root and what is below it or below a member
        seen before, whatever is in the root's session, and what carries the marker. A
        session id is never reused while the session has a member, so the session test
        cannot catch a stranger; the marker is random per run."""
        processes = snapshot(self._proc)
        roots = {pid for pid, start in self._known.items() if _is(processes, pid, start)}
        if not self._known:
            roots.add(self.root_pid)
            if self.root_pid in processes:
                self._root_start = processes[self.root_pid].start_time
        roots |= {s.pid for s in processes.values() if s.session == self.root_pid}
        roots |= self._marked(processes, roots)
        found = descendants(processes, roots)
        found.discard(os.getpid())
        live = {pid for pid in found if processes[pid].alive}
        for pid in live:
            self._known[pid] = processes[pid].start_time
        return live

    def _marked(self, processes: dict[int, ProcStat], found: set[int]) -> set[int]:
        """Processes started since the root that carry the marker (read only for those not
        found otherwise: a host runs few processes younger than a running script)."""
        if self._marker is None:
            return set()
        since = self._root_start or 0
        me = os.getpid()
        return {
            s.pid
            for s in processes.values()
            if s.start_time >= since
            and s.pid not in found
            and s.pid != me
            and s.alive
            and has_marker(s.pid, self._marker, self._proc)
        }

    def freeze(self) -> set[int]:
        """SIGSTOP every member until a walk finds no new one; return the frozen members."""
        frozen: set[int] = set()
        for _ in range(_FREEZE_ROUNDS):
            new = self.members() - frozen
            if not new:
                break
            self._signal(new, signal.SIGSTOP)
            frozen |= new
        return frozen

    async def kill(self, grace_s: float) -> tuple[int, ...]:
        """Stop the whole tree: SIGTERM, ``grace_s`` to exit, then SIGKILL.

        Returns the pids still alive after KILL_CONFIRM_S more (normally none).
        """
        members = self.freeze()
        self._signal(members, signal.SIGTERM)
        self._signal(members, signal.SIGCONT)
        deadline = time.monotonic() + grace_s
        # /proc offers nothing to wait on for processes that are not our children: poll.
        while time.monotonic() < deadline and self.members():  # noqa: ASYNC110
            await asyncio.sleep(POLL_S)
        deadline = time.monotonic() + KILL_CONFIRM_S
        while True:
            left = self.freeze()
            if not left:
                return ()
            self._signal(left, signal.SIGKILL)
            if time.monotonic() >= deadline:
                return tuple(sorted(self.members()))
            await asyncio.sleep(POLL_S)

    def _signal(self, pids: Iterable[int], signum: signal.Signals) -> None:
        for pid in pids:
            if pid > 1:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signum)


def _is(processes: dict[int, ProcStat], pid: int, start_time: int) -> bool:
    """Is the process ``pid`` that started at ``start_time`` still alive?"""
    stat = processes.get(pid)
    return stat is not None and stat.start_time == start_time and stat.alive
