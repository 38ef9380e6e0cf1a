"""aws:runShellScript's interpreter: bash where the scripts' PATH has it, else sh, and a bash
found once is looked up again when it is gone."""

from __future__ import annotations

from pathlib import Path

from openssm.agent.plugins.run_shell_script import shell


def _executable(path: Path) -> Path:
    path.write_text("#!/bin/true\n")
    path.chmod(0o755)
    return path


def test_bash_is_preferred_and_forgotten_once_removed(tmp_path: Path) -> None:
    bash = _executable(tmp_path / "bash")
    sh = _executable(tmp_path / "sh")
    assert shell(str(tmp_path)) == str(bash)
    assert shell(str(tmp_path)) == str(bash)
    bash.unlink()
    assert shell(str(tmp_path)) == str(sh)
    _executable(bash)
    assert shell(str(tmp_path)) == str(bash)
