"""TranscriptWriter: a session's transcript, written to the object store as it happens.

Bytes are gathered into a piece and the piece is published as one whole object
(``services.sessions.transcripts.piece_key``) once it holds ``piece_bytes``, or
``flush_after_s`` after its first byte, or when the session ends: a session cut by a crash
keeps all but the last second. ``append`` waits while a full piece is written, so a store
that falls behind slows the session down instead of growing a buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from openssm.errors import ObjectStoreError
from openssm.server.objects.stores import ObjectStore
from openssm.server.services.sessions.transcripts import piece_key

log = logging.getLogger("openssm.sessions")

PIECE_BYTES = 64 * 1024
FLUSH_AFTER_S = 1.0


class TranscriptWriter:
    def __init__(
        self,
        store: ObjectStore,
        session_id: str,
        *,
        on_piece: Callable[[int], Awaitable[None]],
        prefix: str = "",
        piece_bytes: int = PIECE_BYTES,
        flush_after_s: float = FLUSH_AFTER_S,
    ) -> None:
        self._store = store
        self._session_id = session_id
        self._on_piece = on_piece
        self._prefix = prefix
        self._piece_bytes = piece_bytes
        self._flush_after_s = flush_after_s
        self._buffer = bytearray()
        self._pieces = 0
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None

    @property
    def pieces(self) -> int:
        return self._pieces

    async def append(self, data: bytes) -> None:
        if not data:
            return
        self._buffer += data
        if len(self._buffer) >= self._piece_bytes:
            await self.flush()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._flush_later(), name="transcript-flush")

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._flush_after_s)
        self._timer = None
        await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            if not self._buffer:
                return
            data, self._buffer = bytes(self._buffer), bytearray()
            key = piece_key(self._session_id, self._pieces, self._prefix)
            try:
                await asyncio.to_thread(self._store.put_bytes, key, data)
            except (ObjectStoreError, OSError):
                log.exception("session %s: transcript piece %s not written", self._session_id, key)
                return
            self._pieces += 1
            await self._on_piece(self._pieces)

    async def close(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        await self.flush()
