"""`openssm sessions` and the session commands' handling of HOST, as a person runs them: a
subprocess against a real server with a protocol-driven agent."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from openssm.cli.session_api import HostNotFound, resolve_target
from tests.integration.commands.driver import DrivenAgent
from tests.integration.sessions.nodes import driven_node
from tests.support import ServerProcess, cli_env

pytestmark = pytest.mark.cli


NODE_NAME = "cli-" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def node(sqlite_server: ServerProcess) -> Iterator[DrivenAgent]:
    with driven_node(sqlite_server, NODE_NAME) as driven:
        yield driven


def _openssm(server: ServerProcess, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openssm", *args],
        env=cli_env(server.url, home),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_sessions_lists_active_then_history(
    sqlite_server: ServerProcess, node: DrivenAgent, tmp_path: Path
) -> None:
    ssm = sqlite_server.client()
    live = ssm.start_session(Target=node.instance_id, Reason="still here")["SessionId"]
    ended = ssm.start_session(Target=node.instance_id)["SessionId"]
    ssm.terminate_session(SessionId=ended)
    listed = _openssm(
        sqlite_server, "sessions", "--json", "--target", node.instance_id, home=tmp_path
    )
    assert listed.returncode == 0, listed.stderr
    sessions = {s["SessionId"]: s for s in json.loads(listed.stdout)}
    assert sessions[live]["Reason"] == "still here"
    assert sessions[live]["State"] in {"Connected", "Connecting"}
    assert sessions[ended]["State"] in {"Terminated", "Terminating"}
    table = _openssm(sqlite_server, "sessions", "--state", "Active", home=tmp_path)
    assert table.returncode == 0, table.stderr
    assert live in table.stdout  # never cut when stdout is not a terminal
    assert ended not in table.stdout
    history = _openssm(sqlite_server, "sessions", "--state", "History", home=tmp_path)
    assert history.returncode == 0, history.stderr
    (row,) = [line for line in history.stdout.splitlines() if ended in line]
    assert "Terminated by TerminateSession" in row  # why it ended, from Details
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", row)  # UTC to the second


def test_host_is_an_instance_id_or_a_name(sqlite_server: ServerProcess, node: DrivenAgent) -> None:
    ssm = sqlite_server.client()
    assert resolve_target(ssm, node.instance_id) == node.instance_id
    assert resolve_target(ssm, NODE_NAME) == node.instance_id
    with pytest.raises(HostNotFound):
        resolve_target(ssm, "no-such-host-anywhere")


def test_an_unknown_host_is_one_line_and_status_2(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    for command in (["session"], ["port-forward"], ["ssh-proxy"]):
        args = [*command, "no-such-host-anywhere"] + ([] if command == ["session"] else ["22"])
        result = _openssm(sqlite_server, *args, home=tmp_path)
        assert result.returncode == 2
        assert "no managed node is named 'no-such-host-anywhere'" in result.stderr
