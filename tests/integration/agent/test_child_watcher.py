"""The agent's loop learns of a script's exit without a thread per script (proc.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import asyncio, threading
from openssm.agent.proc import watch_children_with_pidfd

async def main():
    threads = []
    for _ in range(3):
        process = await asyncio.create_subprocess_exec("sh", "-c", "exit 7")
        threads.append(threading.active_count())
        assert await process.wait() == 7
    print(threads)

print(watch_children_with_pidfd())
asyncio.run(main())
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="asyncio uses a pidfd by itself there")
def test_scripts_are_waited_for_on_the_loop_not_in_a_thread_each() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", PROBE], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["True", "[1, 1, 1]"]
