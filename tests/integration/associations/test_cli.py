"""`openssm associations` as a person runs it: a subprocess against a real server, with a
protocol-driven agent answering the association's run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.agents import tag_instance
from tests.integration.commands.driver import driven_agents
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, ServerProcess, wait_until

pytestmark = pytest.mark.cli


def _openssm(server: ServerProcess, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AWS_ACCESS_KEY_ID": ADMIN_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
        "AWS_DEFAULT_REGION": TEST_REGION,
        "AWS_ENDPOINT_URL_SSM": server.url,
        "COLUMNS": "60",  # narrow: nothing may be cut when stdout is not a terminal
    }
    return subprocess.run(
        [sys.executable, "-m", "openssm", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_associations_shows_each_association_with_its_hosts(
    sqlite_server: ServerProcess, tmp_path: Path
) -> None:
    ssm = sqlite_server.client()
    role = f"web-{uuid.uuid4().hex[:8]}"
    good, bad = driven_agents(ssm, sqlite_server.url, 2)
    for agent in (good, bad):
        tag_instance(ssm, agent.instance_id, "Role", role)
    name = f"desired-{role}"
    association_id = ssm.create_association(
        Name="AWS-RunShellScript",
        Targets=[{"Key": "tag:Role", "Values": [role]}],
        Parameters={"commands": ["true"]},
        AssociationName=name,
        ScheduleExpression="rate(30 minutes)",
    )["AssociationDescription"]["AssociationId"]
    good.run_next()
    bad.run_next(details="Failed", code=1)

    def counted() -> dict[str, int] | None:
        done = _openssm(sqlite_server, "associations", "--name", name, "--json", home=tmp_path)
        assert done.returncode == 0, done.stderr
        (listed,) = json.loads(done.stdout)
        counts: dict[str, int] = listed["Overview"]["AssociationStatusAggregatedCount"]
        return counts if sum(counts.values()) == 2 and "Pending" not in counts else None

    assert wait_until(counted, timeout_s=45) == {"Success": 1, "Failed": 1}
    table = _openssm(sqlite_server, "associations", "--name", name, home=tmp_path)
    assert table.returncode == 0, table.stderr
    assert name in table.stdout
    assert f"tag:Role={role}" in table.stdout
    assert "rate(30 minutes)" in table.stdout
    header, row = table.stdout.splitlines()[2], table.stdout.split(name, 1)[1].splitlines()[0]
    assert [c.strip() for c in header.split("┃")[-4:-1]] == ["Compliant", "Failed", "Pending"]
    assert [c.strip() for c in row.split("│")[-4:-1]] == ["1", "1", "0"]
    assert association_id not in table.stdout  # named: shown by its name
    everything = _openssm(sqlite_server, "associations", "--json", home=tmp_path)
    assert everything.returncode == 0, everything.stderr
    assert association_id in {a["AssociationId"] for a in json.loads(everything.stdout)}
