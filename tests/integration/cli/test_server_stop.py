"""SIGTERM, what systemd and ``kill`` send, stops the server in order and ends the process
normally: exit status 0, the store closed, the process's exit handlers run (a test run's
coverage data is written by one of them)."""

from __future__ import annotations

from pathlib import Path

from tests.support import ServerProcess


def test_sigterm_ends_the_server_with_status_0_after_an_orderly_shutdown(tmp_path: Path) -> None:
    server = ServerProcess(data_dir=tmp_path / "data")
    server.start()
    server.client().describe_parameters()
    assert server.stop() == 0
    assert "openssm server stopped" in server.logs()
