"""Background loops of the server: what the app starts and stops, and the periodic base.

``BackgroundLoop`` is all the app knows of a loop. ``PeriodicLoop`` is the one way to write
one that ticks: it starts a task, runs ``tick`` every ``interval_s`` (first at once, or
after one interval), waits a jittered, growing delay after a failed tick (a database that
is down is not hammered, and replicas that failed together do not retry together), and
stops within a deadline: intake stops, the tick in flight gets until the deadline, then it
is cancelled and the count logged (uvicorn's shutdown order). Parameter policies, presence
and the coming dispatcher, outbox relay and scheduler are PeriodicLoops.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from openssm.backoff import Backoff

log = logging.getLogger("openssm.server.loops")


class BackgroundLoop(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class PeriodicLoop(abc.ABC):
    """Runs ``tick`` every ``interval_s`` from ``start`` until ``stop``.

    Subclasses implement ``tick`` and may override ``after_stop`` (a last flush, say).
    ``tick`` is also callable directly, so tests drive a loop one step at a time.
    """

    def __init__(
        self,
        *,
        name: str,
        interval_s: float,
        stop_timeout_s: float = 10.0,
        max_backoff_s: float = 60.0,
        tick_at_start: bool = True,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"{name}: interval_s must be positive, not {interval_s}")
        self.name = name
        self.interval_s = interval_s
        self.stop_timeout_s = stop_timeout_s
        self._tick_at_start = tick_at_start
        self._backoff = Backoff(base_s=interval_s, cap_s=max(max_backoff_s, interval_s))
        self._stopping = asyncio.Event()
        # Set by ``wake`` (and by ``stop``): the next tick runs now instead of at its interval.
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @abc.abstractmethod
    async def tick(self) -> object:
        """One iteration; an exception is logged and the next try backs off."""

    async def after_stop(self) -> None:  # noqa: B027 (an optional hook; most loops need none)
        """Called once by ``stop`` after the last tick has ended."""

    @property
    def is_running(self) -> bool:
        return self._task is not None

    @property
    def is_stopping(self) -> bool:
        """True once ``stop`` was called: a long tick checks it between batches."""
        return self._stopping.is_set()

    def wake(self) -> None:
        """Run the next tick as soon as the one in flight (if any) ends: for loops that have
        work the moment something happens, and tick on their interval only to catch up."""
        self._woken.set()

    def forget_wake(self) -> None:
        """Drop a wake whose work the tick in flight has already done (call from it)."""
        if not self._stopping.is_set():
            self._woken.clear()

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError(f"the {self.name} loop is already running")
        self._stopping.clear()
        self._woken.clear()
        self._backoff.reset()
        self._task = asyncio.create_task(self._run(), name=f"openssm-{self.name}")

    async def stop(self) -> None:
        """Stop ticking: at once when idle, within ``stop_timeout_s`` when a tick is running
        (then it is cancelled); then ``after_stop``, under the same deadline."""
        task, self._task = self._task, None
        if task is not None:
            self._stopping.set()
            self._woken.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=self.stop_timeout_s)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                log.warning("%s loop cancelled after %.1fs", self.name, self.stop_timeout_s)
        try:
            await asyncio.wait_for(self.after_stop(), timeout=self.stop_timeout_s)
        except Exception:  # the last step of a background loop: log it, shutdown goes on
            log.exception("%s loop: the step after stopping failed", self.name)

    async def _run(self) -> None:
        delay = 0.0 if self._tick_at_start else self.interval_s
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), timeout=delay)
            self._woken.clear()
            if self._stopping.is_set():
                return
            try:
                await self.tick()
            except Exception:  # the top of a background-loop iteration: log, back off, go on
                # Never sooner than the usual interval; the jittered part grows per failure.
                delay = self.interval_s + self._backoff.next_delay()
                log.exception("%s tick failed; next try in %.1fs", self.name, delay)
            else:
                self._backoff.reset()
                delay = self.interval_s


class Doorbell:
    """Lets a request handler wake a loop it cannot see: the loop listens, the handler rings."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def ring(self) -> None:
        for listener in self._listeners:
            listener()
