"""The agent state dir: 0700, a 0600 key, a clear refusal to re-register (SECURITY.md 9, 10)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from openssm.agent.instance_key import InstanceKey
from openssm.agent.registration import normalize_server_url, register
from openssm.agent.state import Registration, StateDir
from openssm.errors import AgentError, AlreadyRegistered, NotRegistered, RegistrationError

REG = Registration(
    instance_id="mi-0123456789abcdef0",
    server_url="http://127.0.0.1:8787",
    region="us-east-1",
    account_id="123456789012",
    name="web-1",
    registered_at=1.0,
)


def test_registration_round_trips_with_private_modes(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "agent")
    state.ensure()
    state.save_registration(REG)
    key = InstanceKey.generate()
    state.save_private_key(key)
    assert state.load_registration() == REG
    assert state.load_private_key().to_pem() == key.to_pem()
    assert stat.S_IMODE(state.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.private_key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.registration_file.stat().st_mode) == 0o600


def test_load_registration_says_how_to_register(tmp_path: Path) -> None:
    with pytest.raises(NotRegistered, match="openssm agent register"):
        StateDir(tmp_path).load_registration()


def test_load_private_key_refuses_a_key_others_can_read(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.save_private_key(InstanceKey.generate())
    state.private_key_file.chmod(0o644)  # an operator's mistake, not ours
    with pytest.raises(AgentError, match="chmod 600"):
        state.load_private_key()


def test_ensure_refuses_a_state_dir_others_can_read(tmp_path: Path) -> None:
    root = tmp_path / "shared"
    root.mkdir()
    root.chmod(0o755)  # the mistake under test
    with pytest.raises(AgentError, match="chmod 700"):
        StateDir(root).ensure()


def test_register_refuses_an_already_registered_host_without_force(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "agent")
    state.ensure()
    state.save_registration(REG)
    with pytest.raises(AlreadyRegistered, match=r"mi-0123456789abcdef0.*--force"):
        register(
            server_url="http://127.0.0.1:1",
            activation_id="a",
            activation_code="c",
            state_dir=state.root,
        )
    assert state.load_registration() == REG


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("http://127.0.0.1:8787/", "http://127.0.0.1:8787"),
        ("https://ssm.example.com/prefix/", "https://ssm.example.com/prefix"),
        (" http://h:1 ", "http://h:1"),
    ],
)
def test_normalize_server_url(url: str, normalized: str) -> None:
    assert normalize_server_url(url) == normalized


@pytest.mark.parametrize("url", ["ftp://h", "file:///etc/passwd", "127.0.0.1:8787", "http://"])
def test_normalize_server_url_refuses_other_schemes(url: str) -> None:
    with pytest.raises(RegistrationError, match="https://host:port"):
        normalize_server_url(url)


def test_load_private_key_says_a_damaged_key_needs_a_new_registration(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    state.save_private_key(InstanceKey.generate())
    state.private_key_file.write_bytes(
        b"-----BEGIN PRIVATE KEY-----\n%%\n-----END PRIVATE KEY-----\n"
    )
    with pytest.raises(AgentError, match=r"cannot be used \(.*base64.*\); register again"):
        state.load_private_key()
