"""The server's data and the agent's state stay apart when both run as root on one host, and the
systemd units in deploy/ use exactly the directories the code defaults to."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest

from openssm import config
from openssm.agent.state import REGISTRATION_FILE

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


@pytest.fixture
def as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)


def _apart(one: Path, other: Path) -> bool:
    return not one.is_relative_to(other) and not other.is_relative_to(one)


@pytest.mark.usefixtures("as_root")
def test_as_root_the_server_and_the_agent_keep_state_side_by_side() -> None:
    assert config.default_data_dir() == Path("/var/lib/openssm/server")
    assert config.default_agent_state_dir() == Path("/var/lib/openssm/agent")
    assert _apart(config.default_data_dir(), config.default_agent_state_dir())


def test_as_a_user_they_are_apart_too() -> None:
    assert _apart(config.default_data_dir(), config.default_agent_state_dir())


def _unit(name: str) -> configparser.ConfigParser:
    # strict=False: a unit may repeat a key (SystemCallFilter=), which systemd merges.
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(UNITS / name)
    return unit


def _service(name: str) -> configparser.SectionProxy:
    return _unit(name)["Service"]


def _flag(exec_start: str, flag: str) -> Path:
    words = shlex.split(exec_start)
    return Path(words[words.index(flag) + 1])


@pytest.mark.usefixtures("as_root")
def test_the_server_unit_uses_the_servers_default_data_dir() -> None:
    service = _service("openssm-server.service")
    data_dir = _flag(service["ExecStart"], "--data-dir")
    assert data_dir == config.default_data_dir()
    assert Path("/var/lib") / service["StateDirectory"] == data_dir


@pytest.mark.usefixtures("as_root")
def test_the_agent_unit_uses_the_agents_default_state_dir() -> None:
    service = _service("openssm-agent.service")
    state_dir = _flag(service["ExecStart"], "--state-dir")
    assert state_dir == config.default_agent_state_dir()
    assert Path("/var/lib") / service["StateDirectory"] == state_dir
    condition = _unit("openssm-agent.service")["Unit"]["ConditionPathExists"]
    assert Path(condition) == state_dir / REGISTRATION_FILE
