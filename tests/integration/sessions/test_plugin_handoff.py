"""`aws ssm start-session --endpoint-url …` hands the session to `session-manager-plugin` as
AWS's CLI does (session-protocol.md §2): a stand-in plugin on PATH records its arguments and
environment; a test with the real plugin runs only where one is installed."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.commands.driver import DrivenAgent
from tests.integration.sessions.nodes import driven_node
from tests.support import ServerProcess

pytestmark = pytest.mark.cli

RESPONSE_VARIABLE = "AWS_SSM_START_SESSION_RESPONSE"
STAND_IN = """#!{python}
import json, os, sys
if sys.argv[1:] == ["--version"]:
    print({version!r})
    sys.exit(0)
record = {{"argv": sys.argv[1:], "response": os.environ.get({variable!r})}}
with open({record!r}, "w") as out:
    json.dump(record, out)
"""


@pytest.fixture(scope="module")
def node(sqlite_server: ServerProcess) -> Iterator[DrivenAgent]:
    with driven_node(sqlite_server) as driven:
        yield driven


def _plugin(directory: Path, version: str) -> Path:
    """A stand-in session-manager-plugin reporting ``version``; returns its record's path."""
    directory.mkdir(parents=True, exist_ok=True)
    record = directory / "record.json"
    plugin = directory / "session-manager-plugin"
    plugin.write_text(
        STAND_IN.format(
            python=sys.executable, version=version, variable=RESPONSE_VARIABLE, record=str(record)
        )
    )
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    return record


def _start_session(
    server: ServerProcess, path: str, *args: str, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    aws = Path(sys.executable).with_name("aws")
    env = {
        **os.environ,
        "PATH": path,
        "AWS_SHARED_CREDENTIALS_FILE": str(server.data_dir / "credentials"),
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env.pop("AWS_PROFILE", None)
    command = [str(aws), "ssm", "start-session", *args, "--endpoint-url", server.url]
    with subprocess.Popen(
        [*command, "--profile", "openssm"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _recorded(record: Path) -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads(record.read_text())
    return recorded


def test_the_cli_hands_the_session_to_the_plugin_in_an_environment_variable(
    sqlite_server: ServerProcess, node: DrivenAgent, tmp_path: Path
) -> None:
    record = _plugin(tmp_path / "bin", "1.2.835.0")
    path = f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"
    result = _start_session(
        sqlite_server,
        path,
        "--target",
        node.instance_id,
        "--document-name",
        "AWS-StartPortForwardingSession",
        "--parameters",
        "portNumber=5432,localPortNumber=15432",
        "--reason",
        "db",
    )
    assert result.returncode == 0, result.stderr
    argv = _recorded(record)["argv"]
    assert argv[0] == RESPONSE_VARIABLE
    assert argv[1:4] == ["us-east-1", "StartSession", "openssm"]
    assert json.loads(argv[4]) == {
        "Target": node.instance_id,
        "DocumentName": "AWS-StartPortForwardingSession",
        "Parameters": {"portNumber": ["5432"], "localPortNumber": ["15432"]},
        "Reason": "db",
    }
    assert argv[5] == sqlite_server.url
    response = json.loads(_recorded(record)["response"])
    session_id = response["SessionId"]
    assert response["StreamUrl"].endswith(f"/v1/data-channel/{session_id}?role=publish_subscribe")
    assert response["StreamUrl"].startswith("ws://127.0.0.1:")
    assert response["TokenValue"]
    active = sqlite_server.client().describe_sessions(
        State="Active", Filters=[{"key": "SessionId", "value": session_id}]
    )["Sessions"]
    assert [s["SessionId"] for s in active] == [session_id]


def test_an_older_plugin_gets_the_response_itself(
    sqlite_server: ServerProcess, node: DrivenAgent, tmp_path: Path
) -> None:
    record = _plugin(tmp_path / "bin", "1.2.0.0")
    path = f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}"
    result = _start_session(sqlite_server, path, "--target", node.instance_id)
    assert result.returncode == 0, result.stderr
    argv = _recorded(record)["argv"]
    response = json.loads(argv[0])
    assert set(response) >= {"SessionId", "TokenValue", "StreamUrl"}
    assert argv[1:4] == ["us-east-1", "StartSession", "openssm"]
    assert json.loads(argv[4]) == {"Target": node.instance_id}


@pytest.mark.e2e
@pytest.mark.skipif(
    shutil.which("session-manager-plugin") is None,
    reason="AWS's session-manager-plugin is not installed here",
)
def test_the_real_plugin_starts_a_session(
    sqlite_server: ServerProcess, node: DrivenAgent, tmp_path: Path
) -> None:
    """With the real plugin the CLI must at least get as far as the plugin's own output."""
    result = _start_session(
        sqlite_server, os.environ["PATH"], "--target", node.instance_id, timeout_s=20
    )
    assert "Starting session with SessionId" in result.stdout, result.stderr
