"""The test suite's server fixture cleans up after itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import ServerProcess


def test_a_server_not_ready_in_time_is_stopped_not_left_running(tmp_path: Path) -> None:
    """A loaded machine may keep a server from starting within the fixture's timeout; the
    test fails, and the process must not outlive it (it once failed the next test in the
    same worker, on the ResourceWarning of its Popen)."""
    server = ServerProcess(data_dir=tmp_path / "server")
    with pytest.raises(TimeoutError):
        server.start(timeout_s=0.01)
    assert server.process is not None
    assert server.process.poll() is not None
