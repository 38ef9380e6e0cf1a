"""Private files and directories (SECURITY.md #10): final modes from the start, whatever
the umask, and nothing written through a symlink an attacker planted."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from openssm.files import ensure_private_dir, is_private_file, write_private_file


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    # With umask 0, only the mode openssm asks for keeps other users out.
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.usefixtures("permissive_umask")
def test_files_and_directories_are_created_private(tmp_path: Path) -> None:
    target = tmp_path / "state" / "nested" / "key"
    write_private_file(target, b"secret")
    assert target.read_bytes() == b"secret"
    assert _mode(target) == 0o600
    assert _mode(target.parent) == 0o700
    assert _mode(target.parent.parent) == 0o700
    assert is_private_file(target)
    # The write is atomic: no temporary file is left beside it.
    assert sorted(p.name for p in target.parent.iterdir()) == ["key"]


def test_rewriting_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "credentials"
    write_private_file(target, b"a much longer first version")
    write_private_file(target, b"short")
    assert target.read_bytes() == b"short"


def test_a_planted_file_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"original")
    planted = tmp_path / "state" / "key"
    planted.parent.mkdir(mode=0o700)
    planted.symlink_to(victim)
    with pytest.raises(PermissionError, match="symlink"):
        write_private_file(planted, b"attacker reads this")
    assert victim.read_bytes() == b"original"


def test_a_planted_directory_symlink_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    planted = tmp_path / "state"
    planted.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(PermissionError, match="symlink"):
        ensure_private_dir(planted)
    with pytest.raises(PermissionError, match="symlink"):
        write_private_file(planted / "key", b"secret")
    assert list(elsewhere.iterdir()) == []


def test_a_symlink_is_never_reported_private(tmp_path: Path) -> None:
    real = tmp_path / "real"
    write_private_file(real, b"x")
    link = tmp_path / "link"
    link.symlink_to(real)
    assert is_private_file(real)
    assert not is_private_file(link)


def test_a_file_others_can_read_is_not_private(tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.write_bytes(b"x")
    loose.chmod(0o644)
    assert not is_private_file(loose)
