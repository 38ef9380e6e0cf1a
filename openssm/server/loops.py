"""What a background loop of the server is: something the app starts and stops with itself.

Lives apart from the app so that the loops (scheduler, presence, the coming dispatcher and
outbox relay) and the app that runs them depend on it, not on each other.
"""

from __future__ import annotations

from typing import Protocol


class BackgroundLoop(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...
