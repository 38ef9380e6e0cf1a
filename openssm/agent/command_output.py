"""One command's output on the agent: its first characters for the result, the whole of it on
disk, and the part the result cannot carry on its way to the server.

``CommandOutput`` is the OutputSink of one run (``run_plan``). Each chunk of a step's output
(already masked) is kept in the head that the result frame carries (AWS's inline limits: 24,000
characters of standard output, 8,000 of standard error). A stream whose bytes all fit in the
head never touches the disk: the result frame carries the whole of it, and the ledger's outbox
keeps that frame until the server acknowledges it, so the spool would only repeat it (most
commands print a few lines; a directory, a file, its stat and its removal were a third of the
agent's file-system work per command). Once a stream outgrows the head, what it held and
everything after go to the command's spool file, and the stream is sent to the server in
``output`` frames as it is written, so most of it is there when the step ends; frames lost to
a reconnect or a server restart are sent again from the spool when the server asks
(``send_range``). Memory holds at most a head's worth of bytes per stream, whatever the
script prints. A command suspended for a reboot writes what it held to the spool first
(``persist``): the next agent process reads the heads back from there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from openssm.agent.run.context import Stream
from openssm.agent.spool import OutputSpool
from openssm.errors import OpenSSMError
from openssm.protocol.frames import Frame, OutputFrame

# AWS's inline output limits: what the result carries of each step's output.
STDOUT_HEAD = 24_000
STDERR_HEAD = 8_000
HEAD_CHARS: dict[Stream, int] = {"stdout": STDOUT_HEAD, "stderr": STDERR_HEAD}
Send = Callable[[Frame], Awaitable[None]]


@dataclass(slots=True)
class _Head:
    """The first characters of one stream."""

    parts: list[str] = field(default_factory=list)
    chars: int = 0

    def keep(self, text: str, limit: int) -> None:
        room = limit - self.chars
        if room > 0:
            self.parts.append(text[:room])
            self.chars += min(room, len(text))


async def send_range(
    send: Send,
    spool: OutputSpool,
    command_id: str,
    step_index: int,
    stream: Stream,
    start: int,
    end: int | None = None,
) -> None:
    """Send bytes ``start``…``end`` of a spooled stream in ``output`` frames. Raises
    FileNotFoundError (or UnicodeDecodeError for a start inside a character) when the spool
    cannot give them."""
    for offset, text in spool.read(command_id, step_index, stream, start, end):
        await send(
            OutputFrame(
                command_id=command_id,
                step_index=step_index,
                stream=stream,
                offset=offset,
                text=text,
            )
        )


class CommandOutput:
    """The OutputSink of one command's run."""

    def __init__(self, command_id: str, spool: OutputSpool, sender: Callable[[], Send | None]):
        self.command_id = command_id
        self._spool = spool
        self._sender = sender
        self._heads: dict[tuple[int, Stream], _Head] = {}
        # Bytes of each stream so far; a stream is in the spool or held here, never both.
        self._sizes: dict[tuple[int, Stream], int] = {}
        self._held: dict[tuple[int, Stream], list[bytes]] = {}
        self._spooled: set[tuple[int, Stream]] = set()
        # How far each stream went out live; what did not is sent when the server asks.
        self._sent: dict[tuple[int, Stream], int] = {}

    def reload(self, step_indexes: Iterable[int]) -> None:
        """Take these steps' heads back from the spool: a run resumed after a reboot reports
        the steps that ran before it."""
        for step_index in step_indexes:
            for stream, limit in HEAD_CHARS.items():
                key = (step_index, stream)
                head = self._heads.setdefault(key, _Head())
                try:
                    for _, text in self._spool.read(self.command_id, step_index, stream, 0):
                        head.keep(text, limit)
                        if head.chars >= limit:
                            break
                except FileNotFoundError:
                    continue
                # The step may run again (exit 194): its output goes on in the file.
                self._spooled.add(key)
                self._sizes[key] = self._spool.size(self.command_id, step_index, stream)

    def persist(self) -> None:
        """Write every held stream to the spool (the command is suspended for a reboot)."""
        for key in list(self._held):
            self._spill(key)

    async def chunk(self, step_index: int, step_name: str, stream: Stream, text: str) -> None:
        self._heads.setdefault((step_index, stream), _Head()).keep(text, HEAD_CHARS[stream])
        end = self._add((step_index, stream), text.encode("utf-8", "replace"))
        if end > HEAD_CHARS[stream]:
            await self._stream(step_index, stream, end)

    def note(self, step_index: int, message: str) -> None:
        """Add the agent's own ``message`` to the step's standard error."""
        self._heads.setdefault((step_index, "stderr"), _Head()).keep(message, STDERR_HEAD)
        self._add((step_index, "stderr"), message.encode("utf-8", "replace"))

    def text(self, step_index: int) -> tuple[str, str]:
        """The heads of the step's standard output and standard error."""
        return self._head(step_index, "stdout"), self._head(step_index, "stderr")

    def sizes(self, step_index: int) -> tuple[int, int]:
        """Bytes of the step's whole standard output and standard error."""
        return self._sizes.get((step_index, "stdout"), 0), self._sizes.get(
            (step_index, "stderr"), 0
        )

    def spooled(self, step_index: int, stream: Stream) -> bool:
        """Whether the stream went to the spool (it outgrew the head, or was persisted)."""
        return (step_index, stream) in self._spooled

    def _add(self, key: tuple[int, Stream], data: bytes) -> int:
        """Hold or spool ``data``; the stream's size after it."""
        end = self._sizes.get(key, 0) + len(data)
        self._sizes[key] = end
        if key in self._spooled:
            self._spool.append(self.command_id, key[0], key[1], data)
        else:
            self._held.setdefault(key, []).append(data)
            if end > HEAD_CHARS[key[1]]:
                self._spill(key)
        return end

    def _spill(self, key: tuple[int, Stream]) -> None:
        held = self._held.pop(key, [])
        self._spool.append(self.command_id, key[0], key[1], b"".join(held))
        self._spooled.add(key)

    def _head(self, step_index: int, stream: Stream) -> str:
        head = self._heads.get((step_index, stream))
        return "" if head is None else "".join(head.parts)

    async def _stream(self, step_index: int, stream: Stream, end: int) -> None:
        send = self._sender()
        if send is None:
            return  # no channel now: the server asks for what it lacks later
        start = self._sent.get((step_index, stream), 0)
        try:
            await send_range(send, self._spool, self.command_id, step_index, stream, start, end)
        except (OpenSSMError, OSError, UnicodeDecodeError):
            return
        self._sent[(step_index, stream)] = end
