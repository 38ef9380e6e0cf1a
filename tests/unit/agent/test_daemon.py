"""Orderly shutdown (STYLE 3.1 rule 10): SIGTERM stops the agent within its deadline."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from openssm.agent.daemon import serve
from openssm.errors import InstanceDeregistered


class Polite:
    """Returns as soon as it is asked to stop."""

    stopped = False

    async def run(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self.stopped = True


class Stubborn:
    """Ignores the stop request; only cancellation ends it."""

    cancelled = False

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await asyncio.Event().wait()  # set by nobody
        except asyncio.CancelledError:
            self.cancelled = True
            raise


class Deregistered:
    async def run(self, stop: asyncio.Event) -> None:
        raise InstanceDeregistered("gone")


async def _serve_then_signal(service: Polite | Stubborn, deadline_s: float) -> float:
    before = signal.getsignal(signal.SIGTERM)
    task = asyncio.create_task(serve(service, deadline_s=deadline_s))
    await asyncio.sleep(0)  # serve runs up to its first wait, having taken the signals
    assert signal.getsignal(signal.SIGTERM) != before
    signalled = time.monotonic()
    os.kill(os.getpid(), signal.SIGTERM)
    await task
    return time.monotonic() - signalled


def test_sigterm_stops_a_polite_service_at_once() -> None:
    service = Polite()
    took = asyncio.run(_serve_then_signal(service, deadline_s=5.0))
    assert service.stopped
    assert took < 1.0


def test_a_service_that_ignores_sigterm_is_cancelled_at_the_deadline() -> None:
    service = Stubborn()
    took = asyncio.run(_serve_then_signal(service, deadline_s=0.3))
    assert service.cancelled
    assert 0.25 <= took < 1.5


def test_deregistration_ends_serve_with_its_error_and_restores_signals() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(InstanceDeregistered, match="gone"):
        asyncio.run(serve(Deregistered(), deadline_s=1.0))
    assert signal.getsignal(signal.SIGTERM) == before
