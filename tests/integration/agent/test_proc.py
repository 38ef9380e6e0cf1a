"""``run_process`` with a real shell and consumers that wait or fail (proc.py's promises)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from openssm.agent import proc
from openssm.agent.proc import Ending, Finished, run_process
from tests.integration.agent.support import alive

BIG = 2_000_000  # far more than a pipe and a read hold together


def _run(
    script: str,
    tmp_path: Path,
    on_stdout: Callable[[bytes], Awaitable[None]],
    *,
    timeout_s: float | None = None,
) -> Finished:
    async def main() -> Finished:
        async def ignore(data: bytes) -> None:
            return None

        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        return await run_process(
            ["sh", "-c", script],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin"},
            on_stdout=on_stdout,
            on_stderr=ignore,
            deadline=deadline,
            cancel=asyncio.Event(),
            grace_s=0.5,
        )

    return asyncio.run(main())


def test_a_consumer_that_waits_holds_the_script_back(tmp_path: Path) -> None:
    done = tmp_path / "done"
    seen: list[bytes] = []
    written_while_waiting: list[bool] = []

    async def slow(data: bytes) -> None:
        if not seen:
            for _ in range(25):
                await asyncio.sleep(0.02)
                written_while_waiting.append(done.exists())
        seen.append(data)

    finished = _run(f"head -c {BIG} /dev/zero; touch {done}", tmp_path, slow)
    assert finished == Finished(Ending.EXITED, 0)
    assert written_while_waiting == [False] * 25
    assert sum(len(piece) for piece in seen) == BIG


def test_a_failing_consumer_stops_the_script_and_its_error_comes_out(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"

    async def failing(data: bytes) -> None:
        raise ValueError("the sink is gone")

    with pytest.raises(ValueError, match="the sink is gone"):
        _run(f"echo $$ > {pid_file}; echo hello; exec sleep 300", tmp_path, failing)
    assert not alive(int(pid_file.read_text()))


def test_a_consumer_still_waiting_when_the_drain_ends_is_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proc, "DRAIN_S", 0.2)
    interrupted: list[bool] = []

    async def stuck(data: bytes) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            interrupted.append(True)
            raise

    finished = _run(f"head -c {BIG} /dev/zero", tmp_path, stuck, timeout_s=0.5)
    # The script cannot finish writing while its consumer waits: the timeout stops it.
    assert finished.ending is Ending.TIMED_OUT
    assert interrupted == [True]


def test_output_after_the_exit_is_read_until_the_pipes_close(tmp_path: Path) -> None:
    seen: list[bytes] = []

    async def keep(data: bytes) -> None:
        seen.append(data)

    # The shell exits at once; its child writes later through the inherited pipe.
    finished = _run("(sleep 0.2; echo late) & echo early", tmp_path, keep)
    assert finished == Finished(Ending.EXITED, 0)
    assert b"".join(seen) == b"early\nlate\n"
