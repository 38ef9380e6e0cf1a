"""Each invocation's whole output, collected from its agent and published to the object store
before its result is recorded (issue 10 item 6; DESIGN §4).

Per invocation:

1. ``output`` frames are staged (``OutputStaging``) while the invocation runs on the agent that
   sends them; frames for anything else are dropped.
2. A ``result`` says how many bytes each stream of each step has. A stream is whole when the
   result's own text is all of it (short output: nothing more to fetch) or when its staged file
   has every byte. When bytes are missing (a reconnect or a server restart lost some frames)
   the agent is sent ``output_wanted`` with where each stream should resume; it sends them and
   its result again. The result is not recorded meanwhile, and the agent keeps it (and the
   output) until the server acknowledges it.
3. Once every stream is whole, staged streams are published (the local store renames them in,
   the S3 store uploads them; short streams of a command with a bucket are uploaded from the
   result's text) and the result goes to the dispatcher, which records and acknowledges it.

So an object exists only complete, and the API shows its URL only once it exists. When the
agent no longer has what is missing (``output_lost``), or the object store refuses it, the
result is recorded with the output it has and no URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from openssm.errors import BadObjectKey, ObjectStoreError
from openssm.protocol.frames import OutputFrame, OutputRange, OutputWantedFrame, ResultFrame
from openssm.server.channel.hub import Hub
from openssm.server.objects import keys
from openssm.server.objects.stores import OutputStores
from openssm.server.outputs.staging import OutputStaging
from openssm.server.services.commands import progress
from openssm.server.services.commands.wire import result_from_frame
from openssm.server.store.commands import repo
from openssm.server.store.engine import Store
from openssm.statuses import InvocationDetail

log = logging.getLogger("openssm.outputs")

STAGING_DIR = "output-staging"
# Staging nobody came back for is removed after the longest execution a document may have.
STAGING_KEPT_S = 2 * 86400.0
_CACHE_LIMIT = 4096
_RUNNING = frozenset({InvocationDetail.IN_PROGRESS.value, InvocationDetail.CANCELLING.value})


@dataclass(frozen=True, slots=True)
class _Destination:
    """Where a command's output goes: a bucket ("" for the local store) and its prefix."""

    bucket: str
    prefix: str


@dataclass(frozen=True, slots=True)
class _Piece:
    """One stream of one step as the result describes it."""

    step: progress.StepResult
    stream: keys.Stream
    size: int
    text: str

    @property
    def is_inline(self) -> bool:
        """The result's own text is the whole stream."""
        return len(self.text.encode("utf-8", "surrogatepass")) == self.size


def _pieces(result: progress.InvocationResult) -> list[_Piece]:
    pieces: list[_Piece] = []
    for step in result.steps:
        pieces.append(_Piece(step, "stdout", step.stdout_size, step.stdout))
        pieces.append(_Piece(step, "stderr", step.stderr_size, step.stderr))
    return pieces


class OutputCollector:
    """Stages output frames and holds results back until their output is whole; ``ready``
    takes the results to record (the dispatcher's), ``connected`` hears of agents that
    connect."""

    def __init__(
        self,
        store: Store,
        objects: OutputStores,
        hub: Hub,
        staging: OutputStaging,
        ready: Callable[[progress.InvocationResult], None],
        connected: Callable[[str], Awaitable[None]],
        delivered: Callable[[str], repo.CommandRow | None] = lambda _command_id: None,
    ) -> None:
        self._store = store
        self._connected = connected
        self._objects = objects
        self._hub = hub
        self._staging = staging
        self._ready = ready
        self._delivered = delivered
        self._destinations: dict[str, _Destination | None] = {}
        self._running: dict[tuple[str, str], bool] = {}
        self._publishing: dict[tuple[str, str], asyncio.Task[None]] = {}

    async def start(self) -> None:
        removed = await asyncio.to_thread(self._staging.sweep, older_than_s=STAGING_KEPT_S)
        if removed:
            log.info("removed %d abandoned output stagings", removed)

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Let publications in flight finish (bounded); what is cut short is sent again by its
        agent, whose result was not acknowledged."""
        tasks = list(self._publishing.values())
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)
        for task in tasks:
            task.cancel()

    # --- events from the channel ----------------------------------------------------------------

    async def agent_connected(self, instance_id: str) -> None:
        await self._connected(instance_id)

    async def output_received(self, instance_id: str, frame: OutputFrame) -> None:
        if frame.offset < 0 or frame.step_index < 0:
            return
        if not await self._is_running(frame.command_id, instance_id):
            return
        data = frame.text.encode("utf-8", "surrogatepass")
        await asyncio.to_thread(
            self._staging.append,
            frame.command_id,
            instance_id,
            frame.step_index,
            frame.stream,
            frame.offset,
            data,
        )

    async def result_received(self, instance_id: str, frame: ResultFrame) -> None:
        """ProtocolViolation when the result is malformed (the channel then closes)."""
        result = result_from_frame(instance_id, frame)
        invocation = (result.command_id, instance_id)
        if invocation in self._publishing:
            return  # already being published; its acknowledgement will come
        destination = await self._destination(result.command_id)
        pieces = _pieces(result)
        if destination is None:
            self._ready(result)  # no such command: the dispatcher ignores and acknowledges it
            return
        if all(p.is_inline for p in pieces) and not destination.bucket:
            self._ready(_kept(result, destination, whole=True))
            return
        staged = await asyncio.to_thread(self._staged_sizes, instance_id, result, pieces)
        if not frame.output_lost:
            wanted = [
                OutputRange(step_index=p.step.index, stream=p.stream, offset=staged[p])
                for p in pieces
                if not p.is_inline and staged[p] != self._kept_size(p)
            ]
            if wanted and not await self._still_running(invocation):
                await asyncio.to_thread(self._staging.discard, *invocation)
                self._ready(result)  # it ended meanwhile (timed out): recorded as it ended
                return
            if wanted:
                await self._hub.send(
                    instance_id, OutputWantedFrame(command_id=result.command_id, ranges=wanted)
                )
                return
        self._running[invocation] = False
        task = asyncio.create_task(self._publish(result, destination, pieces, staged))
        self._publishing[invocation] = task
        task.add_done_callback(lambda _t: self._publishing.pop(invocation, None))

    # --- publishing -----------------------------------------------------------------------------

    def _kept_size(self, piece: _Piece) -> int:
        """How much of a stream the server stages: all of it, up to the staging's cap."""
        return min(piece.size, self._staging.max_bytes)

    def _staged_sizes(
        self, instance_id: str, result: progress.InvocationResult, pieces: Sequence[_Piece]
    ) -> dict[_Piece, int]:
        sizes: dict[_Piece, int] = {}
        for piece in pieces:
            if piece.is_inline:
                continue
            size = self._staging.size(
                result.command_id, instance_id, piece.step.index, piece.stream
            )
            if size > piece.size:  # more than the agent says it has: start again
                self._staging.path(
                    result.command_id, instance_id, piece.step.index, piece.stream
                ).unlink(missing_ok=True)
                size = 0
            sizes[piece] = size
        return sizes

    async def _publish(
        self,
        result: progress.InvocationResult,
        destination: _Destination,
        pieces: Sequence[_Piece],
        staged: dict[_Piece, int],
    ) -> None:
        try:
            published = await asyncio.to_thread(
                self._publish_blocking, result, destination, pieces, staged
            )
        finally:
            with contextlib.suppress(OSError, BadObjectKey):
                await asyncio.to_thread(
                    self._staging.discard, result.command_id, result.instance_id
                )
        self._ready(published)

    def _publish_blocking(
        self,
        result: progress.InvocationResult,
        destination: _Destination,
        pieces: Sequence[_Piece],
        staged: dict[_Piece, int],
    ) -> progress.InvocationResult:
        store = self._objects.for_bucket(destination.bucket)
        failed: set[int] = set()
        for piece in pieces:
            step = piece.step
            try:
                step_keys = _step_keys(result, destination, step)
                key = step_keys.key(piece.stream)
                if not piece.is_inline and staged.get(piece) == self._kept_size(piece):
                    invocation = (result.command_id, result.instance_id)
                    if piece.size > self._staging.max_bytes:
                        log.warning(
                            "output of %s on %s (step %s, %s) is cut at %d of its %d bytes",
                            *invocation, step.name, piece.stream,
                            self._staging.max_bytes, piece.size,
                        )  # fmt: skip
                        self._staging.cut(*invocation, step.index, piece.stream, piece.size)
                    store.publish(key, self._staging.path(*invocation, step.index, piece.stream))
                elif not piece.is_inline:
                    failed.add(step.index)  # the agent lost it
                elif destination.bucket and piece.size:
                    store.put_bytes(key, piece.text.encode("utf-8", "surrogatepass"))
            except (ObjectStoreError, OSError) as exc:
                log.error(
                    "output of %s on %s (step %s, %s) was not stored: %s",
                    result.command_id,
                    result.instance_id,
                    step.name,
                    piece.stream,
                    exc,
                )
                failed.add(step.index)
        return _kept(result, destination, whole=True, failed=failed)

    # --- what the database says ---------------------------------------------------------------

    async def _destination(self, command_id: str) -> _Destination | None:
        if command_id in self._destinations:
            return self._destinations[command_id]
        # A command delivered from here need not be read again: where its output goes is
        # fixed when it is sent.
        command = self._delivered(command_id) or await self._store.read(
            functools.partial(repo.get_command_by_id, command_id=command_id)
        )
        found = (
            None
            if command is None
            else _Destination(command.output_s3_bucket, command.output_s3_prefix)
        )
        if len(self._destinations) >= _CACHE_LIMIT:
            self._destinations.clear()
        self._destinations[command_id] = found
        return found

    async def _still_running(self, invocation: tuple[str, str]) -> bool:
        row = await self._store.read(
            lambda conn: repo.get_invocation(conn, invocation[0], invocation[1])
        )
        running = row is not None and row.status_details in _RUNNING
        self._running[invocation] = running
        return running

    async def _is_running(self, command_id: str, instance_id: str) -> bool:
        invocation = (command_id, instance_id)
        known = self._running.get(invocation)
        if known is not None:
            return known
        if len(self._running) >= _CACHE_LIMIT:
            self._running.clear()
        return await self._still_running(invocation)


def _step_keys(
    result: progress.InvocationResult, destination: _Destination, step: progress.StepResult
) -> keys.StepKeys:
    # The local store ignores the caller's prefix, as AWS does without a bucket.
    return keys.step_keys(
        destination.prefix if destination.bucket else "",
        command_id=result.command_id,
        instance_id=result.instance_id,
        action=step.action,
        plugin_id=step.plugin_id or step.name,
    )


def _kept(
    result: progress.InvocationResult,
    destination: _Destination,
    *,
    whole: bool,
    failed: set[int] | None = None,
) -> progress.InvocationResult:
    """The result with each step's output folder and whether its whole output is kept."""
    steps = []
    for step in result.steps:
        try:
            folder = _step_keys(result, destination, step).folder
        except BadObjectKey:
            folder, ok = "", False
        else:
            ok = whole and step.index not in (failed or set())
        steps.append(dataclasses.replace(step, output_key_prefix=folder, output_kept=ok))
    return dataclasses.replace(result, steps=tuple(steps))
