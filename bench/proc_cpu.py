"""CPU seconds a process has used, read from /proc/<pid>/stat (Linux).

``own`` is utime + stime; ``children`` is cutime + cstime, the CPU of children it has
waited for (an agent's shells). The benchmarks take one reading before and one after.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class CpuTimes:
    own: float
    children: float

    def __sub__(self, earlier: CpuTimes) -> CpuTimes:
        return CpuTimes(self.own - earlier.own, self.children - earlier.children)

    def __add__(self, other: CpuTimes) -> CpuTimes:
        return CpuTimes(self.own + other.own, self.children + other.children)


def cpu_times(pid: int) -> CpuTimes:
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces and parentheses: fields start after its ')'.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return CpuTimes((utime + stime) / _TICKS_PER_S, (cutime + cstime) / _TICKS_PER_S)


def total_cpu(pids: list[int]) -> CpuTimes:
    """The sum over ``pids``; a process that has exited counts nothing."""
    total = CpuTimes(0.0, 0.0)
    for pid in pids:
        try:
            total = total + cpu_times(pid)
        except FileNotFoundError:
            continue
    return total
