"""Two server replicas on one PostgreSQL, each with its own association scheduler loop, on
clocks the test moves together (issue 12): every scheduled run starts exactly once, and the
host it targets is sent it once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from types_boto3_ssm.client import SSMClient

from tests.agents import tag_instance
from tests.clocked_server import ClockedServer, clocked_server
from tests.integration.commands.driver import driven_agents
from tests.postgres import PostgresServer
from tests.support import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

SHELL = "AWS-RunShellScript"
ASSOCIATIONS = 12


@pytest.fixture
def replicas(
    postgres: PostgresServer, tmp_path: Path
) -> Iterator[tuple[ClockedServer, ClockedServer]]:
    url = postgres.create_database()
    with (
        clocked_server(tmp_path / "shared", database_url=url) as first,
        clocked_server(tmp_path / "shared", database_url=url) as second,
    ):
        yield first, second


def _executions(ssm: SSMClient, association_id: str) -> int:
    found = ssm.describe_association_executions(AssociationId=association_id)
    return len(found["AssociationExecutions"])


def test_each_scheduled_run_starts_once_whichever_replica_leads(
    replicas: tuple[ClockedServer, ClockedServer],
) -> None:
    first, second = replicas
    ssm = first.client()
    role = f"web-{uuid.uuid4().hex[:8]}"
    (host,) = driven_agents(ssm, second.url, 1)
    tag_instance(ssm, host.instance_id, "Role", role)
    due = first.clock.now() + dt.timedelta(minutes=2)
    ids = [
        (first if n % 2 else second)
        .client()
        .create_association(
            Name=SHELL,
            Targets=[{"Key": "tag:Role", "Values": [role]}],
            Parameters={"commands": [f"echo {n}"]},
            ScheduleExpression=f"cron({due.minute} {due.hour} * * ? *)",
            ApplyOnlyAtCronInterval=True,
        )["AssociationDescription"]["AssociationId"]
        for n in range(ASSOCIATIONS)
    ]
    assert host.receives_nothing("invocation", within_s=1.5)  # nothing before the schedule

    for replica in replicas:
        replica.clock.advance(180)
    received = [host.run_next() for _ in ids]
    assert len({frame["command_id"] for frame in received}) == ASSOCIATIONS
    wait_until(lambda: all(_executions(ssm, a) == 1 for a in ids), timeout_s=30)
    # Both loops keep ticking past the due time: still one run each, one invocation each.
    assert host.receives_nothing("invocation", within_s=3)
    assert [_executions(second.client(), a) for a in ids] == [1] * ASSOCIATIONS
