"""`openssm run`, `openssm output` and `openssm commands` as a person runs them: a subprocess
against a real server, with protocol-driven agents answering."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.integration.commands.driver import DrivenAgent, driven_agents
from tests.support import ServerProcess, cli_env

pytestmark = pytest.mark.cli


def _openssm(
    server: ServerProcess, *args: str, home: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    env = {**cli_env(server.url, home), **(extra_env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "openssm", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _answer(
    agents: list[DrivenAgent], outputs: dict[str, tuple[str, str, int]]
) -> threading.Thread:
    def run() -> None:
        for agent in agents:
            stdout, details, code = outputs[agent.instance_id]
            agent.run_next(stdout=stdout, details=details, code=code)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_run_shows_every_node_in_json_and_fails_when_one_failed(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    ssm = sqlite_server.client()
    good, bad = driven_agents(ssm, sqlite_server.url, 2)
    answering = _answer(
        [good, bad],
        {good.instance_id: ("up 3 days\n", "Success", 0), bad.instance_id: ("", "Failed", 2)},
    )
    run = _openssm(
        sqlite_server,
        "run",
        "--instance-ids",
        good.instance_id,
        bad.instance_id,
        "--json",
        "--",
        "uptime",
        home=tmp_path,
    )
    out, err = run.communicate(timeout=60)
    answering.join(timeout=10)
    assert run.returncode == 1, err
    shown = json.loads(out)
    assert shown["Command"]["Status"] == "Failed"
    assert shown["Command"]["Parameters"] == {"commands": ["uptime"]}
    by_node = {i["InstanceId"]: i for i in shown["Invocations"]}
    assert by_node[good.instance_id]["CommandPlugins"][0]["Output"] == "up 3 days\n"
    assert by_node[bad.instance_id]["Status"] == "Failed"

    again = _openssm(sqlite_server, "output", shown["Command"]["CommandId"], home=tmp_path)
    text, err = again.communicate(timeout=30)
    assert again.returncode == 0, err
    # Not a terminal: whole ids and whole output, never cut to a width.
    assert good.instance_id in text
    assert bad.instance_id in text
    assert "up 3 days" in text
    # ... and a separator between nodes as long as on a terminal, not 65,536 characters.
    assert max(len(line) for line in text.splitlines()) < 200

    listing = _openssm(sqlite_server, "commands", "--json", home=tmp_path)
    text, err = listing.communicate(timeout=30)
    assert listing.returncode == 0, err
    assert shown["Command"]["CommandId"] in {c["CommandId"] for c in json.loads(text)}


def test_run_refuses_malformed_targets_with_a_usage_line(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    run = _openssm(sqlite_server, "run", "--targets", "tag:Env=prod", "uptime", home=tmp_path)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 2
    assert "Key=<key>,Values=" in err
    assert "Traceback" not in err


def test_run_finds_the_local_servers_credentials_file_when_nothing_else_gives_any(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    ssm = sqlite_server.client()
    (agent,) = driven_agents(ssm, sqlite_server.url, 1)
    answering = _answer([agent], {agent.instance_id: ("ok\n", "Success", 0)})
    env = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": "/nonexistent"}
    run = _openssm(
        sqlite_server,
        "run",
        "--data-dir",
        str(sqlite_server.data_dir),
        "--instance-ids",
        agent.instance_id,
        "--",
        "true",
        home=tmp_path,
        extra_env=env,
    )
    out, err = run.communicate(timeout=60)
    answering.join(timeout=10)
    assert run.returncode == 0, err
    assert agent.instance_id in out
