"""Where scripts are written: the agent's private directory on a tmpfs (run/script_root.py)."""

from __future__ import annotations

import os
from pathlib import Path

from openssm.agent.run.script_root import exec_tmpfs, remove_stale_scripts, tmpfs_script_root

ROOT = "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw"


def _mountinfo(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "mountinfo"
    path.write_text("\n".join([ROOT, *lines]) + "\n")
    return path


def _shm_line(where: Path, options: str = "rw,nosuid,nodev", fs_type: str = "tmpfs") -> str:
    return f"30 22 0:26 / {where} {options} shared:4 - {fs_type} tmpfs rw,inode64"


def test_only_a_tmpfs_that_allows_exec_is_used(tmp_path: Path) -> None:
    shm = Path("/dev/shm")
    assert exec_tmpfs(shm, _mountinfo(tmp_path, _shm_line(shm)))
    assert not exec_tmpfs(shm, _mountinfo(tmp_path, _shm_line(shm, "rw,nosuid,nodev,noexec")))
    assert not exec_tmpfs(shm, _mountinfo(tmp_path, _shm_line(shm, fs_type="ext4")))
    assert not exec_tmpfs(shm, _mountinfo(tmp_path))
    assert not exec_tmpfs(shm, tmp_path / "no-such-file")
    # A later mount on the same point hides the first.
    assert not exec_tmpfs(shm, _mountinfo(tmp_path, _shm_line(shm), _shm_line(shm, "rw,noexec")))


def _tmpfs(tmp_path: Path) -> tuple[Path, Path]:
    """A directory standing for /dev/shm, and a mountinfo that shows it as a tmpfs."""
    shm = tmp_path / "shm"
    shm.mkdir()
    return shm, _mountinfo(tmp_path, _shm_line(shm))


def test_each_state_directory_gets_a_private_directory_of_its_own(tmp_path: Path) -> None:
    shm, mounts = _tmpfs(tmp_path)
    one = tmp_path / "agent-one"
    first = tmpfs_script_root(one, shm=shm, mountinfo=mounts)
    assert first is not None
    assert first.parent == shm
    assert first.name.startswith(f"openssm-agent-{os.getuid()}-")
    assert (first.stat().st_mode & 0o777) == 0o700
    assert tmpfs_script_root(one, shm=shm, mountinfo=mounts) == first  # the same next time
    other = tmpfs_script_root(tmp_path / "agent-two", shm=shm, mountinfo=mounts)
    assert other not in (None, first)


def test_a_directory_others_planted_or_may_enter_is_not_used(tmp_path: Path) -> None:
    shm, mounts = _tmpfs(tmp_path)
    state = tmp_path / "agent"
    path = tmpfs_script_root(state, shm=shm, mountinfo=mounts)
    assert path is not None
    path.chmod(0o755)
    assert tmpfs_script_root(state, shm=shm, mountinfo=mounts) is None
    path.rmdir()
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    path.symlink_to(target)
    assert tmpfs_script_root(state, shm=shm, mountinfo=mounts) is None
    path.unlink()
    path.write_text("not a directory")
    assert tmpfs_script_root(state, shm=shm, mountinfo=mounts) is None


def test_scripts_left_by_a_killed_agent_are_removed(tmp_path: Path) -> None:
    (tmp_path / "run-abc-0001-_script.sh").write_text("echo secret")
    (tmp_path / "run-abc-0002-_script.sh").write_text("echo secret")
    assert remove_stale_scripts(tmp_path) == 2
    assert list(tmp_path.iterdir()) == []
