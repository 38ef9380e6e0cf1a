"""LocalObjectStore: objects as files under one directory (by default ``<data-dir>/output``).

A key is a path below the root made only of plain segments (``keys.segment``); a key that would
resolve outside the root, through ``..`` or a symlink, is refused before any file is opened.
Objects are written whole: the file is synced and renamed into place, so a reader finds the
complete object or none, never a part of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from openssm.errors import BadObjectKey, ObjectNotFound
from openssm.files import ensure_private_dir, replace_private_file
from openssm.server.objects.keys import segment

READ_CHUNK = 64 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalObjectStore:
    """Objects in a directory tree; every method blocks (callers use a worker thread)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, key: str) -> Path:
        """The file of ``key``; BadObjectKey when the key would leave the root."""
        parts = key.split("/")
        for part in parts:
            segment(part, "key segment")
        path = self.root.joinpath(*parts)
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise BadObjectKey(f"key {key[:64]!r} leads outside the object store")
        return path

    def publish(self, key: str, source: Path) -> None:
        """Make the complete file ``source`` the object ``key``; the file is taken (moved)."""
        path = self.path_of(key)
        ensure_private_dir(path.parent)
        with source.open("rb") as handle:
            os.fsync(handle.fileno())
        try:
            source.replace(path)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            self._copy_in(source, path)
            source.unlink()
        _sync_dir(path.parent)

    def put_bytes(self, key: str, data: bytes) -> None:
        path = self.path_of(key)
        replace_private_file(path, lambda handle: handle.write(data))
        _sync_dir(path.parent)

    def read(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks; ObjectNotFound when there is none."""
        path = self.path_of(key)
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key}") from None
        return self._chunks(fd)

    def size(self, key: str) -> int | None:
        with contextlib.suppress(FileNotFoundError):
            return self.path_of(key).stat().st_size
        return None

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    @staticmethod
    def _chunks(fd: int) -> Iterator[bytes]:
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(READ_CHUNK):
                yield chunk

    @staticmethod
    def _copy_in(source: Path, path: Path) -> None:
        """publish() across file systems: copy beside the target, sync, rename."""
        with source.open("rb") as into:
            replace_private_file(path, lambda out: shutil.copyfileobj(into, out, READ_CHUNK))
