"""`openssm compliance` as a person runs it: a subprocess against a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.channel_client import register_hosts
from tests.integration.compliance.support import custom_type, item, put
from tests.support import ServerProcess, cli_env

pytestmark = pytest.mark.cli

# Longer than any terminal line: it must come out whole when stdout is not a terminal.
LONG_DETAIL = "expected " + "x" * 150 + " end"


@pytest.fixture(scope="module")
def fleet(sqlite_server: ServerProcess) -> tuple[str, str, str]:
    """A compliance type with one failing and one passing host: (type, failing, passing)."""
    failing, passing = register_hosts(sqlite_server, 2)
    kind = custom_type()
    ssm = sqlite_server.client()
    put(
        ssm,
        failing,
        kind,
        [
            item(
                "sshd", "NON_COMPLIANT", "HIGH", Title="sshd hardened", Details={"Why": LONG_DETAIL}
            ),
            item("ntp", severity="LOW"),
        ],
    )
    put(ssm, passing, kind, [item("sshd", severity="HIGH")])
    return kind, failing, passing


def _compliance(server: ServerProcess, home: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "openssm", "compliance", *args],
        env=cli_env(server.url, home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_tables_show_counts_and_failing_items_uncut(
    sqlite_server: ServerProcess, fleet: tuple[str, str, str], tmp_path: Path
) -> None:
    kind, failing, passing = fleet
    out = _compliance(sqlite_server, tmp_path, "--type", kind)
    assert LONG_DETAIL in out
    assert kind in out
    assert failing in out
    assert "sshd hardened" in out
    assert passing not in out
    lines = [line.split("│") for line in out.splitlines() if "non-compliant" in line]
    cells = [[cell.strip() for cell in line] for line in lines if len(line) > 3]
    # Type, status, hosts, then Critical, High, …: one non-compliant host, at HIGH.
    assert [c[2:5] for c in cells] == [["non-compliant", "1", "0"]]
    assert cells[0][5] == "1"


def test_json_and_host_filter(
    sqlite_server: ServerProcess, fleet: tuple[str, str, str], tmp_path: Path
) -> None:
    kind, failing, passing = fleet
    report = json.loads(_compliance(sqlite_server, tmp_path, "--type", kind, "--json"))
    [summary] = report["Summaries"]
    assert summary["CompliantSummary"]["CompliantCount"] == 1
    assert summary["NonCompliantSummary"]["SeveritySummary"]["HighCount"] == 1
    [host] = report["NonCompliant"]
    assert (host["ResourceId"], host["OverallSeverity"]) == (failing, "HIGH")
    assert [i["Id"] for i in host["Items"]] == ["sshd"]
    assert host["Items"][0]["Details"] == {"Why": LONG_DETAIL}

    report = json.loads(_compliance(sqlite_server, tmp_path, "--host", passing, "--json"))
    assert report["NonCompliant"] == []
    assert "no non-compliant hosts" in _compliance(sqlite_server, tmp_path, "--host", passing)
