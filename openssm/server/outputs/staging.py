"""Output on its way in: what agents sent of each stream so far, in files under the data dir.

An agent sends a stream in ``output`` frames, each a piece at a byte offset; pieces arrive in
order on one connection, but a reconnect or a server restart can drop some, and the agent sends
again what the server says it lacks. A piece is appended only where it continues the file
exactly: a repeat (or the part of one already here) is skipped and a piece past a gap is left
for the agent to send again from the gap. So a staged file is always an unbroken start of the
stream, and its size says how far it goes.

Files live at ``<root>/<command-id>/<instance-id>/<step>.<stream>``; every part of the path is
checked to be a plain name. A stream is staged up to ``max_bytes`` and no further, so an agent
cannot fill the server's disk: the collector publishes such a stream cut there, with a marker
that says so (``cut_marker``). Staging is local to the replica the agent is connected to; when the
agent moves to another replica, the new one asks for the stream from the start.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from openssm.server.objects.keys import Stream, segment

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


DEFAULT_MAX_BYTES = 1 << 30


def cut_marker(kept: int, size: int) -> bytes:
    """What ends a stream the server cut: how much of it was kept, of how much."""
    return (
        f"\n[openssm: output cut here; the server keeps the first {kept} bytes of a stream "
        f"(OPENSSM_OUTPUT_STREAM_MAX_BYTES) and this one had {size}]\n"
    ).encode()


class OutputStaging:
    """Staged streams under ``root``; every method blocks (callers use a worker thread)."""

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, command_id: str, instance_id: str, step_index: int, stream: Stream) -> Path:
        folder = self.root / segment(command_id, "command id") / segment(instance_id, "instance")
        return folder / f"{int(step_index)}.{stream}"

    def append(
        self,
        command_id: str,
        instance_id: str,
        step_index: int,
        stream: Stream,
        offset: int,
        data: bytes,
    ) -> int:
        """Add the piece ``data`` found at ``offset`` where it continues the file, up to
        ``max_bytes``; the file's size afterwards."""
        data = data[: max(0, self.max_bytes - offset)]
        path = self.path(command_id, instance_id, step_index, stream)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW, 0o600)
        try:
            size = os.fstat(fd).st_size
            if offset <= size < offset + len(data):
                os.write(fd, data[size - offset :])
                size = offset + len(data)
            return size
        finally:
            os.close(fd)

    def cut(
        self, command_id: str, instance_id: str, step_index: int, stream: Stream, size: int
    ) -> None:
        """End a stream staged whole up to ``max_bytes`` with the marker saying it had
        ``size`` bytes."""
        path = self.path(command_id, instance_id, step_index, stream)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | _NOFOLLOW)
        try:
            os.write(fd, cut_marker(self.max_bytes, size))
        finally:
            os.close(fd)

    def size(self, command_id: str, instance_id: str, step_index: int, stream: Stream) -> int:
        try:
            return self.path(command_id, instance_id, step_index, stream).stat().st_size
        except FileNotFoundError:
            return 0

    def discard(self, command_id: str, instance_id: str) -> None:
        """Forget what was staged for one invocation."""
        folder = self.root / segment(command_id, "command id") / segment(instance_id, "instance")
        shutil.rmtree(folder, ignore_errors=True)

    def sweep(self, *, older_than_s: float) -> int:
        """Remove invocations' staging untouched for ``older_than_s`` (their agent never came
        back, or moved to another replica); how many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than_s
        removed = 0
        for command in self.root.iterdir():
            for invocation in command.iterdir() if command.is_dir() else ():
                newest = max(
                    (p.stat().st_mtime for p in invocation.iterdir()),
                    default=invocation.stat().st_mtime,
                )
                if newest < cutoff:
                    shutil.rmtree(invocation, ignore_errors=True)
                    removed += 1
            if command.is_dir() and not any(command.iterdir()):
                command.rmdir()
        return removed
