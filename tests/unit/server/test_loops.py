"""PeriodicLoop: ticks on its interval, backs off after a failure, stops within its deadline.

STYLE §3.1 rule 10: every long-running loop has start/stop and a test that stop returns
within its deadline, the uvicorn order (stop intake, let the work in flight finish within a
bound, cancel what is left, then the last step).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from openssm.server.loops import PeriodicLoop

FAST_S = 0.01


class Recorder(PeriodicLoop):
    def __init__(
        self,
        *,
        interval_s: float,
        stop_timeout_s: float = 10.0,
        max_backoff_s: float = 60.0,
        tick_at_start: bool = True,
    ) -> None:
        super().__init__(
            name="recorder",
            interval_s=interval_s,
            stop_timeout_s=stop_timeout_s,
            max_backoff_s=max_backoff_s,
            tick_at_start=tick_at_start,
        )
        self.ticks: list[float] = []
        self.failures_left = 0
        self.block: asyncio.Event | None = None
        self.after_stop_calls = 0

    async def tick(self) -> None:
        self.ticks.append(time.monotonic())
        if self.block is not None:
            await self.block.wait()
        if self.failures_left:
            self.failures_left -= 1
            raise RuntimeError("the database is down")

    async def after_stop(self) -> None:
        self.after_stop_calls += 1


async def _until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        await asyncio.sleep(FAST_S / 2)


async def _settle(rounds: int = 10) -> None:
    """Let every ready task run until it waits: no time passes."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def test_ticks_at_start_then_every_interval() -> None:
    async def scenario() -> Recorder:
        loop = Recorder(interval_s=FAST_S)
        await loop.start()
        await _until(lambda: len(loop.ticks) >= 3)
        await loop.stop()
        return loop

    loop = asyncio.run(scenario())
    assert loop.after_stop_calls == 1
    assert not loop.is_running


def test_waits_one_interval_first_when_asked() -> None:
    async def scenario() -> int:
        loop = Recorder(interval_s=3600, tick_at_start=False)
        await loop.start()
        await _settle()
        count = len(loop.ticks)
        await loop.stop()
        return count

    assert asyncio.run(scenario()) == 0


def test_a_failed_tick_is_logged_and_the_next_waits_longer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> Recorder:
        loop = Recorder(interval_s=FAST_S, max_backoff_s=FAST_S * 4)
        loop.failures_left = 3
        await loop.start()
        await _until(lambda: len(loop.ticks) >= 6)
        await loop.stop()
        return loop

    loop = asyncio.run(scenario())
    gaps = [b - a for a, b in zip(loop.ticks, loop.ticks[1:], strict=False)]
    # After a failure the wait is the interval plus a jittered, growing part: never shorter
    # than the interval, so a database that is down is not retried in a tight loop.
    assert all(gap >= FAST_S * 0.9 for gap in gaps[:3])
    assert caplog.text.count("recorder tick failed") == 3


def test_stop_returns_within_its_deadline_when_a_tick_hangs() -> None:
    async def scenario() -> tuple[float, Recorder]:
        loop = Recorder(interval_s=FAST_S, stop_timeout_s=0.2)
        loop.block = asyncio.Event()  # never set: the tick hangs
        await loop.start()
        await _until(lambda: len(loop.ticks) == 1)
        started = time.monotonic()
        await loop.stop()
        return time.monotonic() - started, loop

    took_s, loop = asyncio.run(scenario())
    assert took_s < 2.0
    assert loop.after_stop_calls == 1  # the last step runs even after a cancelled tick


def test_stop_lets_the_tick_in_flight_finish_within_the_deadline() -> None:
    async def scenario() -> Recorder:
        loop = Recorder(interval_s=3600, stop_timeout_s=5)
        loop.block = asyncio.Event()
        await loop.start()
        await _until(lambda: len(loop.ticks) == 1)
        stopping = asyncio.create_task(loop.stop())
        await _settle()
        assert loop.is_stopping
        assert not stopping.done()
        loop.block.set()
        await stopping
        return loop

    loop = asyncio.run(scenario())
    assert len(loop.ticks) == 1


def test_start_twice_is_refused() -> None:
    async def scenario() -> None:
        loop = Recorder(interval_s=3600)
        await loop.start()
        try:
            with pytest.raises(RuntimeError, match="already running"):
                await loop.start()
        finally:
            await loop.stop()

    asyncio.run(scenario())


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="interval_s must be positive"):
        Recorder(interval_s=0)
