"""Agent settings: flags over OPENSSM_AGENT_* variables over defaults; every problem listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from openssm.config import load_agent_settings
from openssm.errors import ConfigError


def test_defaults_are_half_a_second_doubling_to_thirty() -> None:
    settings = load_agent_settings(env={})
    assert (settings.backoff_base_s, settings.backoff_cap_s) == (0.5, 30.0)


def test_env_sets_backoff_cap_and_flag_wins_for_state_dir(tmp_path: Path) -> None:
    settings = load_agent_settings(
        {"state_dir": str(tmp_path / "flag")},
        env={"OPENSSM_AGENT_BACKOFF_CAP_S": "2", "OPENSSM_AGENT_STATE_DIR": "/elsewhere"},
    )
    assert settings.backoff_cap_s == 2.0
    assert settings.state_dir == tmp_path / "flag"


def test_bad_values_are_all_reported() -> None:
    with pytest.raises(ConfigError) as caught:
        load_agent_settings(
            {"log_level": "loud"},
            env={"OPENSSM_AGENT_BACKOFF_CAP_S": "soon", "OPENSSM_AGENT_BACKOFF_BASE_S": "-1"},
        )
    text = str(caught.value)
    assert "OPENSSM_AGENT_BACKOFF_CAP_S" in text
    assert "OPENSSM_AGENT_BACKOFF_BASE_S" in text
    assert "loud" in text


def test_the_agent_reboots_nothing_unless_given_a_reboot_command() -> None:
    assert load_agent_settings(env={}).reboot_command == ""
    given = load_agent_settings({"reboot_command": "systemctl reboot"}, env={})
    assert given.reboot_command == "systemctl reboot"
    with pytest.raises(ConfigError, match="OPENSSM_AGENT_REBOOT_COMMAND"):
        load_agent_settings(env={"OPENSSM_AGENT_REBOOT_COMMAND": "sh -c 'unclosed"})
