"""Where the agent writes scripts: a private directory on the host's tmpfs (``/dev/shm``).

A script may hold ``{{ssm-secure:}}`` values, so one on a tmpfs never reaches a disk; and
writing and removing it there costs the agent a fraction of what a file on a disk's file
system does (on ext4, about a third of the file-system CPU of each command).
The scripts' default working directories stay on disk, under the state directory: a script
may download or unpack large files there, which a tmpfs would hold in memory.

The directory is ``/dev/shm/openssm-agent-<uid>-<hash of the state directory>``, so agents
with different state directories on one host never meet; it is created 0700 and used only if
it is a directory of the agent's own user that no one else may enter (``/dev/shm`` is
writable by everyone, who could plant one first). It is not used where ``/dev/shm`` is not
a tmpfs or is mounted ``noexec`` (containers, hardened hosts): a script with a ``#!`` line
is executed directly, which ``noexec`` refuses. Then scripts stay in their step's directory.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("openssm.agent.run")

# Shared by every user: tmpfs_script_root checks what it finds there (owner, mode, no link).
SHM = Path("/dev/shm")  # noqa: S108
MOUNTINFO = Path("/proc/self/mountinfo")


def exec_tmpfs(path: Path, mountinfo: Path = MOUNTINFO) -> bool:
    """Is ``path`` the mount point of a tmpfs that allows exec (proc(5)'s mountinfo)?"""
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return False
    found = False
    for line in lines:
        fields = line.split()
        if len(fields) < 7 or fields[4] != str(path) or "-" not in fields[6:]:
            continue
        fs_type = fields[fields.index("-", 6) + 1]
        # The last mount on a mount point hides those before it.
        found = fs_type == "tmpfs" and "noexec" not in fields[5].split(",")
    return found


def tmpfs_script_root(
    state_root: Path, *, shm: Path = SHM, mountinfo: Path = MOUNTINFO
) -> Path | None:
    """This agent's private directory for scripts on ``shm``, made if missing; None when the
    host offers no usable tmpfs (scripts then go to their step's directory)."""
    if not exec_tmpfs(shm, mountinfo):
        return None
    digest = hashlib.sha256(str(state_root.resolve()).encode()).hexdigest()[:16]
    path = shm / f"openssm-agent-{os.getuid()}-{digest}"
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        log.warning("scripts stay on disk: cannot create %s: %s", path, exc)
        return None
    info = path.lstat()
    if (
        not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or stat.S_IMODE(info.st_mode) & 0o077
    ):
        log.warning(
            "scripts stay on disk: %s is not a directory private to this user; remove it", path
        )
        return None
    return path


def remove_stale_scripts(root: Path) -> int:
    """Delete scripts an agent that died mid-run left in ``root`` (they may hold secrets);
    call it at start-up, before any run. Returns how many were removed."""
    removed = 0
    for entry in os.scandir(root):
        if not entry.is_dir(follow_symlinks=False):
            Path(entry.path).unlink(missing_ok=True)
            removed += 1
    return removed
