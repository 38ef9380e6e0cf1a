"""The agent's copy of the whole output of each command it has not yet handed over, on disk.

A step's output, already masked, is appended to one file per stream under
``<state-dir>/output/<command-id>/<step>.<stream>``; the result frame carries only the first
characters (AWS's inline limits), and the server takes the rest from here in ``output`` frames,
while the step runs and again after a reconnect or a server restart, until it has every byte.
A command's files go when the server acknowledges its result. The agent's memory holds one
chunk at a time, whatever a script prints; the disk holds what it printed.
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

from openssm.agent.run.context import Stream
from openssm.files import ensure_private_dir

# Read back in pieces of this many bytes (a frame carries one piece as text).
CHUNK_BYTES = 64 * 1024
_COMMAND_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class OutputSpool:
    """Files under ``root`` (0700), one directory per command id."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, command_id: str) -> Path:
        # The id names a directory, so it must be exactly a command id (the server's UUIDs).
        if _COMMAND_ID.fullmatch(command_id) is None:
            raise ValueError(f"{command_id[:40]!r} is not a command id")
        return self.root / command_id

    def _file(self, command_id: str, step_index: int, stream: Stream) -> Path:
        return self._dir(command_id) / f"{int(step_index)}.{stream}"

    def append(self, command_id: str, step_index: int, stream: Stream, data: bytes) -> int:
        """Add ``data`` to the stream; the offset at which it starts."""
        path = self._file(command_id, step_index, stream)
        ensure_private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW, 0o600)
        try:
            offset = os.fstat(fd).st_size
            os.write(fd, data)
        finally:
            os.close(fd)
        return offset

    def size(self, command_id: str, step_index: int, stream: Stream) -> int:
        try:
            return self._file(command_id, step_index, stream).stat().st_size
        except FileNotFoundError:
            return 0

    def has(self, command_id: str) -> bool:
        return self._dir(command_id).is_dir()

    def read(
        self, command_id: str, step_index: int, stream: Stream, offset: int, end: int | None = None
    ) -> Iterator[tuple[int, str]]:
        """The stream from byte ``offset`` to ``end`` (default: its current end) as (offset,
        text) pieces of at most CHUNK_BYTES, each ending on a character boundary. Raises
        FileNotFoundError when the stream is gone."""
        fd = os.open(self._file(command_id, step_index, stream), os.O_RDONLY | _NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            stop = os.fstat(handle.fileno()).st_size if end is None else end
            handle.seek(offset)
            decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
            start = offset
            while handle.tell() < stop:
                data = handle.read(min(CHUNK_BYTES, stop - handle.tell()))
                if not data:
                    break
                text = decoder.decode(data, final=handle.tell() >= stop)
                if text:
                    yield start, text
                    start += len(text.encode("utf-8"))

    def remove(self, command_id: str) -> None:
        path = self._dir(command_id)
        # Most commands spooled nothing (their output fit in the result): one rmdir says so
        # where rmtree's checks cost more than the whole removal.
        try:
            path.rmdir()
        except FileNotFoundError:
            return
        except OSError:
            shutil.rmtree(path, ignore_errors=True)

    def keep_only(self, command_ids: Iterable[str]) -> int:
        """Remove every command's files but these (at start-up: those whose result still waits
        for the server); how many were removed."""
        if not self.root.is_dir():
            return 0
        keep = set(command_ids)
        removed = 0
        for path in self.root.iterdir():
            if path.name in keep:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
            removed += 1
        return removed
