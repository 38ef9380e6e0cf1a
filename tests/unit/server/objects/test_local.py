"""The local object store: whole objects, synced and renamed into place, never outside the root
(SECURITY.md #11), never through a symlink planted inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from openssm.errors import BadObjectKey, ObjectNotFound
from openssm.server.objects.local import LocalObjectStore

KEY = "cmd/mi-0123456789abcdef0/awsrunShellScript/0.awsrunShellScript/stdout"


def test_a_published_file_becomes_the_object_byte_for_byte(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "output")
    staged = tmp_path / "staged"
    data = bytes(range(256)) * 1000
    staged.write_bytes(data)
    store.publish(KEY, staged)
    assert not staged.exists()
    assert b"".join(store.read(KEY)) == data
    assert store.size(KEY) == len(data)
    assert (store.path_of(KEY).parent.stat().st_mode & 0o077) == 0


def test_put_bytes_replaces_an_object_whole(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put_bytes(KEY, b"first")
    store.put_bytes(KEY, b"second")
    assert b"".join(store.read(KEY)) == b"second"
    assert [p.name for p in store.path_of(KEY).parent.iterdir()] == ["stdout"]


def test_a_missing_object_is_object_not_found(tmp_path: Path) -> None:
    with pytest.raises(ObjectNotFound):
        LocalObjectStore(tmp_path).read(KEY)
    assert LocalObjectStore(tmp_path).size(KEY) is None


@pytest.mark.parametrize(
    "key",
    ["../escape", "a/../../escape", "/etc/passwd", "a//b", "a/./b", "a/%2e%2e/b", "a\\..\\b", ""],
)
def test_keys_that_leave_the_root_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalObjectStore(tmp_path / "root")
    with pytest.raises(BadObjectKey):
        store.put_bytes(key, b"x")
    with pytest.raises(BadObjectKey):
        store.read(key)
    assert not (tmp_path / "escape").exists()


def test_a_symlink_planted_inside_the_root_is_not_followed_out(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "cmd").symlink_to(outside)
    store = LocalObjectStore(root)
    with pytest.raises(BadObjectKey):
        store.put_bytes("cmd/x", b"x")
    (outside / "x").write_bytes(b"secret")
    with pytest.raises(BadObjectKey):
        store.read("cmd/x")
    assert list(outside.iterdir()) == [outside / "x"]
