"""One command's output on the agent: its first characters for the result, the whole of it on
disk, and the part the result cannot carry on its way to the server.

``CommandOutput`` is the OutputSink of one run (``run_plan``). Each chunk of a step's output
(already masked) is kept in the head that the result frame carries (AWS's inline limits: 24,000
characters of standard output, 8,000 of standard error) and appended to the command's spool
file. A stream that grows past what the result carries is sent to the server in ``output``
frames as it is written, so most of it is there when the step ends; frames lost to a reconnect
or a server restart are sent again from the spool when the server asks (``send_range``).
Memory holds a chunk at a time, whatever the script prints.
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
        # How far each stream went out live; what did not is sent when the server asks.
        self._sent: dict[tuple[int, Stream], int] = {}

    def reload(self, step_indexes: Iterable[int]) -> None:
        """Take these steps' heads back from the spool: a run resumed after a reboot reports
        the steps that ran before it."""
        for step_index in step_indexes:
            for stream, limit in HEAD_CHARS.items():
                head = self._heads.setdefault((step_index, stream), _Head())
                try:
                    for _, text in self._spool.read(self.command_id, step_index, stream, 0):
                        head.keep(text, limit)
                        if head.chars >= limit:
                            break
                except FileNotFoundError:
                    continue

    async def chunk(self, step_index: int, step_name: str, stream: Stream, text: str) -> None:
        self._heads.setdefault((step_index, stream), _Head()).keep(text, HEAD_CHARS[stream])
        data = text.encode("utf-8", "replace")
        end = self._spool.append(self.command_id, step_index, stream, data) + len(data)
        if end > HEAD_CHARS[stream]:
            await self._stream(step_index, stream, end)

    def note(self, step_index: int, message: str) -> None:
        """Add the agent's own ``message`` to the step's standard error."""
        self._heads.setdefault((step_index, "stderr"), _Head()).keep(message, STDERR_HEAD)
        self._spool.append(
            self.command_id, step_index, "stderr", message.encode("utf-8", "replace")
        )

    def text(self, step_index: int) -> tuple[str, str]:
        """The heads of the step's standard output and standard error."""
        return self._head(step_index, "stdout"), self._head(step_index, "stderr")

    def sizes(self, step_index: int) -> tuple[int, int]:
        """Bytes of the step's whole standard output and standard error."""
        return (
            self._spool.size(self.command_id, step_index, "stdout"),
            self._spool.size(self.command_id, step_index, "stderr"),
        )

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
