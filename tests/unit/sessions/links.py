"""In-memory WebSocket links for the data-channel tests: what one end sends lands in the other
end's inbox, optionally with loss and duplicates, or with a capacity that makes a send wait
as a full socket does."""

from __future__ import annotations

import asyncio
import random


class End:
    """One end of an in-memory WebSocket: what it sends lands in the other end's inbox."""

    def __init__(self, inbox: asyncio.Queue[bytes | str | None], rng: random.Random | None) -> None:
        self.inbox = inbox
        self.other: End | None = None
        self.rng = rng
        self.cut = False
        self.sent: list[bytes] = []

    async def send(self, message: bytes | str) -> None:
        if self.cut:
            raise ConnectionError("link cut")
        assert self.other is not None
        if isinstance(message, bytes):
            self.sent.append(message)
        if self.rng is not None and self.rng.random() < 0.1:
            return  # lost
        await self.other.inbox.put(message)
        if self.rng is not None and self.rng.random() < 0.1:
            self.other.inbox.put_nowait(message)  # duplicated

    async def recv(self) -> bytes | str:
        message = await self.inbox.get()
        if message is None:
            raise ConnectionError("link cut")
        return message

    async def close(self) -> None:
        self.cut_both()

    def cut_both(self) -> None:
        for end in (self, self.other):
            assert end is not None
            end.cut = True
            while end.inbox.full():
                end.inbox.get_nowait()
            end.inbox.put_nowait(None)


def link(rng: random.Random | None = None, capacity: int = 0) -> tuple[End, End]:
    """Two joined ends; with ``capacity``, a send waits while that many messages are unread,
    as a relay's full socket makes it wait."""
    a, b = End(asyncio.Queue(capacity), rng), End(asyncio.Queue(capacity), rng)
    a.other, b.other = b, a
    return a, b
