"""Private files and directories created atomically with their final modes.

Keys, credentials and state are never chmod-ed after the fact and never
written through a symlink someone could have planted.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def ensure_private_dir(path: Path) -> None:
    """Create `path` and every missing parent with mode 0700; refuse a symlink in its place.

    Not ``mkdir(parents=True)``: that gives the parents the umask's mode, and a parent
    others can write lets them swap the directory below it.
    """
    # The usual case, once per command and per chunk of output: the directory is there.
    # One lstat answers it (a directory, not a symlink to one) where the checks below make five.
    with contextlib.suppress(OSError):
        if stat.S_ISDIR(os.lstat(path).st_mode):
            return
    if path.is_symlink():
        raise PermissionError(f"{path} is a symlink; refusing to use it for private state")
    missing = []
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            break
        missing.append(candidate)
    for directory in reversed(missing):
        # Made meanwhile by another process? Then it is checked below like any existing one.
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
    if path.is_symlink() or not path.is_dir():
        raise PermissionError(f"{path} is not a directory; refusing to use it for private state")


def write_private_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` with mode 0600, atomically replacing any old file."""
    replace_private_file(path, lambda handle: handle.write(data))


def replace_private_file(path: Path, fill: Callable[[BinaryIO], object]) -> None:
    """Make `path` (mode 0600) hold what `fill` writes to a fresh file, synced, then renamed
    into place: a reader sees the old file or the whole new one, never a part."""
    ensure_private_dir(path.parent)
    if path.is_symlink():
        raise PermissionError(f"{path} is a symlink; refusing to write private data through it")
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def is_private_file(path: Path) -> bool:
    """True when `path` is a regular file (not a symlink) readable by its owner only."""
    info = path.lstat()
    return stat.S_ISREG(info.st_mode) and (info.st_mode & 0o077) == 0
