"""A step's output on its way to the sink: decoded, masked, coalesced, never held whole.

Bytes from a script's pipes are decoded as UTF-8 (invalid bytes become U+FFFD, a
character split between two reads is kept until its end arrives), masked, and collected
in a small buffer. The buffer goes to the sink when it reaches ``CHUNK_CHARS`` or
``FLUSH_INTERVAL_S`` after its first character, whichever comes first, so a chatty script
costs a few chunks a second rather than one per line, and a quiet one is seen within
0.1 s. Nothing here keeps more than one chunk, whatever the script prints.
"""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Iterable

from openssm.agent.run.context import OutputSink, Stream
from openssm.agent.run.masking import masker_for

CHUNK_CHARS = 64 * 1024
FLUSH_INTERVAL_S = 0.1
_STREAMS: tuple[Stream, Stream] = ("stdout", "stderr")
_UTF8 = codecs.getincrementaldecoder("utf-8")


class StreamWriter:
    """One stream (stdout or stderr) of one step."""

    def __init__(
        self,
        sink: OutputSink,
        *,
        step_index: int,
        step_name: str,
        stream: Stream,
        secrets: Iterable[str],
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        self._sink = sink
        self._step_index = step_index
        self._step_name = step_name
        self._stream: Stream = stream
        self._decoder = _UTF8(errors="replace")
        self._masker = masker_for(secrets)
        self._flush_interval_s = flush_interval_s
        self._buffer: list[str] = []
        self._buffered = 0
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._timed_flush: asyncio.Task[None] | None = None
        self.bytes_seen = 0

    async def write(self, data: bytes) -> None:
        """Raw bytes from the step's process."""
        self.bytes_seen += len(data)
        await self._add(self._decoder.decode(data))

    async def write_text(self, text: str) -> None:
        """Text from the agent itself (why a step failed), in the same stream."""
        self.bytes_seen += len(text.encode("utf-8", "replace"))
        await self._add(text)

    async def close(self) -> None:
        """The stream has ended: hand over everything still held."""
        tail = self._decoder.decode(b"", final=True)
        self._keep(self._masker.feed(tail) + self._masker.flush())
        await self.flush()
        if self._timed_flush is not None:
            await self._timed_flush

    async def flush(self) -> None:
        async with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            text = "".join(self._buffer)
            self._buffer.clear()
            self._buffered = 0
            for start in range(0, len(text), CHUNK_CHARS):
                await self._sink.chunk(
                    self._step_index,
                    self._step_name,
                    self._stream,
                    text[start : start + CHUNK_CHARS],
                )

    async def _add(self, text: str) -> None:
        self._keep(self._masker.feed(text))
        if self._buffered >= CHUNK_CHARS:
            await self.flush()
        elif self._buffered and self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._flush_interval_s, self._flush_soon)

    def _keep(self, text: str) -> None:
        if text:
            self._buffer.append(text)
            self._buffered += len(text)

    def _flush_soon(self) -> None:
        self._timer = None
        previous = self._timed_flush
        self._timed_flush = asyncio.ensure_future(self._after(previous))

    async def _after(self, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await previous
        await self.flush()


class StepOutput:
    """Both streams of one step, and the masker for the agent's own messages."""

    def __init__(
        self,
        sink: OutputSink,
        *,
        step_index: int,
        step_name: str,
        secrets: Iterable[str],
        flush_interval_s: float = FLUSH_INTERVAL_S,
    ) -> None:
        secrets = tuple(secrets)
        self.step_index = step_index
        self.step_name = step_name
        self._masker = masker_for(secrets)
        self.stdout, self.stderr = (
            StreamWriter(
                sink,
                step_index=step_index,
                step_name=step_name,
                stream=stream,
                secrets=secrets,
                flush_interval_s=flush_interval_s,
            )
            for stream in _STREAMS
        )

    def mask(self, text: str) -> str:
        return self._masker.mask(text)

    async def report(self, message: str) -> str:
        """Write the agent's ``message`` to stderr (masked) and return it masked."""
        masked = self.mask(message)
        await self.stderr.write_text(masked + "\n")
        return masked

    async def close(self) -> None:
        await self.stdout.close()
        await self.stderr.close()
