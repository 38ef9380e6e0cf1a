"""State Manager with real agents running real shells (issue 12), on SQLite and PostgreSQL, on
a server whose clock the test moves: an association on tag:Role=web runs at creation on the
tagged hosts, runs on a host tagged later without anyone running anything, runs again when
its schedule comes due, and a failing script leaves the host Failed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import AgentProcess, association_state, running_agents, tag_instance
from tests.clocked_server import ClockedServer
from tests.support import wait_until

pytestmark = pytest.mark.e2e

SHELL = "AWS-RunShellScript"
WAIT_S = 45


@pytest.fixture(scope="module")
def fleet(
    clocked_fleet_server: ClockedServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[AgentProcess]]:
    """Three real agents of the module's server: two tagged Role=<role>, one not (yet)."""
    with running_agents(clocked_fleet_server, tmp_path_factory.mktemp("agents"), 3) as agents:
        yield agents


def _wait_status(ssm: SSMClient, instance_id: str, association_id: str, status: str) -> None:
    wait_until(
        lambda: association_state(ssm, instance_id, association_id).get("Status") == status,
        timeout_s=WAIT_S,
    )


def _wait_runs(path: Path, count: int) -> None:
    wait_until(lambda: _runs(path) == count, timeout_s=WAIT_S)


def _runs(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_desired_state_reaches_tagged_hosts_at_once_later_and_on_schedule(
    clocked_fleet_server: ClockedServer, fleet: list[AgentProcess], tmp_path: Path
) -> None:
    server = clocked_fleet_server
    ssm = server.client()
    web_a, web_b, later = fleet
    role = f"web-{uuid.uuid4().hex[:8]}"
    for agent in (web_a, web_b):
        tag_instance(ssm, agent.instance_id, "Role", role)
    # Daily at the minute two minutes from the server's now: due once the test moves time.
    due = server.clock.now() + dt.timedelta(minutes=2)
    association_id = ssm.create_association(
        Name=SHELL,
        Targets=[{"Key": "tag:Role", "Values": [role]}],
        Parameters={
            "commands": [
                f'desired={tmp_path}/"$AWS_SSM_INSTANCE_ID"',
                'test -f "$desired" || touch "$desired"',
                'echo run >> "$desired".runs',
            ]
        },
        ScheduleExpression=f"cron({due.minute} {due.hour} * * ? *)",
        AssociationName=f"desired-{role}",
    )["AssociationDescription"]["AssociationId"]

    # At creation: on each tagged host, on no other.
    for agent in (web_a, web_b):
        _wait_status(ssm, agent.instance_id, association_id, "Success")
        assert (tmp_path / agent.instance_id).exists()
    assert not (tmp_path / later.instance_id).exists()

    # Tagged later: the association follows, nobody runs anything.
    tag_instance(ssm, later.instance_id, "Role", role)
    _wait_status(ssm, later.instance_id, association_id, "Success")
    assert (tmp_path / later.instance_id).exists()
    assert _runs(tmp_path / f"{web_a.instance_id}.runs") == 1

    # On schedule: moving the clock past the cron time runs it once more on every host.
    server.clock.advance(180)
    for agent in (web_a, web_b, later):
        _wait_runs(tmp_path / f"{agent.instance_id}.runs", 2)
    executions = ssm.describe_association_executions(AssociationId=association_id)[
        "AssociationExecutions"
    ]
    assert len(executions) == 3  # creation, the host tagged later, the schedule
    wait_until(
        lambda: (
            ssm.describe_association(AssociationId=association_id)["AssociationDescription"][
                "Overview"
            ]["AssociationStatusAggregatedCount"]
            == {"Success": 3}
        ),
        timeout_s=WAIT_S,
    )


def test_a_failing_script_leaves_the_host_failed(
    clocked_fleet_server: ClockedServer, fleet: list[AgentProcess]
) -> None:
    ssm = clocked_fleet_server.client()
    agent = fleet[0]
    association_id = ssm.create_association(
        Name=SHELL,
        Targets=[{"Key": "InstanceIds", "Values": [agent.instance_id]}],
        Parameters={"commands": ["echo cannot make it so >&2", "exit 7"]},
        ComplianceSeverity="CRITICAL",
    )["AssociationDescription"]["AssociationId"]
    _wait_status(ssm, agent.instance_id, association_id, "Failed")
    state = association_state(ssm, agent.instance_id, association_id)
    assert state["DetailedStatus"] == "Failed"
    assert state["ErrorCode"] == "7"
    assert state["ExecutionSummary"].startswith("1 out of 1 plugin processed, 0 success, 1 failed")
    overview = ssm.describe_association(AssociationId=association_id)["AssociationDescription"][
        "Overview"
    ]
    assert overview["Status"] == "Failed"
    (item,) = [
        i
        for i in ssm.list_compliance_items(
            ResourceIds=[agent.instance_id], ResourceTypes=["ManagedInstance"]
        )["ComplianceItems"]
        if i.get("Id") == association_id
    ]
    assert (item["ComplianceType"], item["Status"], item["Severity"]) == (
        "Association",
        "NON_COMPLIANT",
        "CRITICAL",
    )
