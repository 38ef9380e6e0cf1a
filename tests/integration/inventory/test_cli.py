"""`openssm inventory HOST` and `openssm inventory search` as a person runs them: a subprocess
against a real server whose hosts' inventory was put through the API."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.integration.channel_client import register_hosts
from tests.integration.inventory.support import item
from tests.support import ServerProcess, cli_env

pytestmark = pytest.mark.cli


def _openssm(server: ServerProcess, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "openssm", "inventory", *args],
        env=cli_env(server.url, home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def fleet(sqlite_server: ServerProcess) -> tuple[list[str], str]:
    """Two hosts with a package of a unique name, in two versions."""
    ssm = sqlite_server.client()
    hosts = register_hosts(sqlite_server, 2)
    package = "openssl-" + uuid.uuid4().hex[:8]
    for host, version in zip(hosts, ("3.0.11-1~deb12u2", "3.0.15-1~deb12u1"), strict=True):
        content = [
            {"Name": package, "Version": version, "Publisher": "Debian", "Architecture": "x86_64"}
        ]
        ssm.put_inventory(InstanceId=host, Items=[item("AWS:Application", content)])
    return hosts, package


def test_search_lists_every_host_with_its_version(
    sqlite_server: ServerProcess, fleet: tuple[list[str], str], tmp_path: Path
) -> None:
    hosts, package = fleet
    done = _openssm(sqlite_server, tmp_path, "search", f"AWS:Application.Name={package}", "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    # Instance ids are random, so both sides are sorted: the hosts' order is not the versions'.
    assert sorted((r["InstanceId"], r["Version"]) for r in rows) == sorted(
        [(hosts[0], "3.0.11-1~deb12u2"), (hosts[1], "3.0.15-1~deb12u1")]
    )
    table = _openssm(sqlite_server, tmp_path, "search", f"AWS:Application.Name={package}")
    assert table.returncode == 0, table.stderr
    for host in hosts:
        assert host in table.stdout  # never cut when not a terminal
    assert "3.0.15-1~deb12u1" in table.stdout


def test_search_with_an_operator(
    sqlite_server: ServerProcess, fleet: tuple[list[str], str], tmp_path: Path
) -> None:
    hosts, _package = fleet
    done = _openssm(sqlite_server, tmp_path, "search", "AWS:Application.Version^=3.0.11", "--json")
    assert done.returncode == 0, done.stderr
    assert hosts[0] in {r["InstanceId"] for r in json.loads(done.stdout)}


def test_a_host_shows_its_types_and_entries(
    sqlite_server: ServerProcess, fleet: tuple[list[str], str], tmp_path: Path
) -> None:
    hosts, package = fleet
    summary = _openssm(sqlite_server, tmp_path, hosts[0], "--json")
    assert summary.returncode == 0, summary.stderr
    found = json.loads(summary.stdout)
    assert found["Types"] == {"AWS:Application": 1}
    assert found["Information"]["InstanceId"] == hosts[0]
    listed = _openssm(sqlite_server, tmp_path, hosts[0], "--type", "AWS:Application")
    assert listed.returncode == 0, listed.stderr
    assert package in listed.stdout


def test_a_condition_that_is_not_one_says_how_to_write_it(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    done = _openssm(sqlite_server, tmp_path, "search", "openssl")
    assert done.returncode == 2
    assert "TYPE.ATTRIBUTE=VALUE" in done.stderr
