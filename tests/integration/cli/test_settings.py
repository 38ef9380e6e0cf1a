"""A bad setting stops `openssm server` and `openssm up` with one clear message, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _openssm(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openssm", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("command", ["server", "up"])
def test_a_port_that_is_not_a_number_is_one_clear_message(command: str, tmp_path: Path) -> None:
    done = _openssm(command, "--data-dir", str(tmp_path), env={"OPENSSM_PORT": "abc"})
    assert done.returncode == 2
    assert done.stderr == f"openssm {command}: OPENSSM_PORT='abc': not a whole number\n"
    assert not (tmp_path / "openssm.db").exists()


def test_every_bad_setting_is_listed_together(tmp_path: Path) -> None:
    done = _openssm(
        "server", "--data-dir", str(tmp_path), "--account-id", "12",
        env={"OPENSSM_PORT": "abc", "OPENSSM_HEARTBEAT_INTERVAL_S": "later"},
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "openssm server: bad settings:\n"
        "  OPENSSM_PORT='abc': not a whole number\n"
        "  --account-id '12': must be 12 digits\n"
        "  OPENSSM_HEARTBEAT_INTERVAL_S='later': not a number\n"
    )
