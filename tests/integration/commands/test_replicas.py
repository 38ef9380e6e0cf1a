"""Run Command with two server replicas on one PostgreSQL (issue 10, item 8): a command sent
through either reaches agents connected to both, a cancel asked through one reaches an agent
held by the other, and statuses read the same through both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.commands.driver import driven_agents, step_result
from tests.postgres import PostgresServer
from tests.support import ServerProcess, server_pair, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

SHELL = "AWS-RunShellScript"


@pytest.fixture
def replicas(
    postgres: PostgresServer, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url = postgres.create_database()
    with server_pair(tmp_path / "shared", database_url=url) as pair:
        yield pair


def _wait_status(server: ServerProcess, command_id: str, status: str) -> None:
    ssm = server.client()

    def reached() -> bool:
        return ssm.list_commands(CommandId=command_id)["Commands"][0]["Status"] == status

    wait_until(reached, timeout_s=10)


def test_a_command_sent_through_one_replica_runs_on_agents_of_both(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = replicas
    (on_first,) = driven_agents(first.client(), first.url, 1)
    (on_second,) = driven_agents(first.client(), second.url, 1)
    command_id = first.client().send_command(
        DocumentName=SHELL,
        InstanceIds=[on_first.instance_id, on_second.instance_id],
        Parameters={"commands": ["hostname"]},
    )["Command"]["CommandId"]
    for agent in (on_first, on_second):
        invocation = agent.next_frame("invocation", timeout_s=10)
        assert invocation["command_id"] == command_id
        agent.report(command_id)
    for server in replicas:
        _wait_status(server, command_id, "Success")


def test_rate_control_holds_across_replicas_and_a_cancel_reaches_the_other_replica(
    replicas: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = replicas
    agents = [*driven_agents(first.client(), first.url, 1)]
    agents += driven_agents(first.client(), second.url, 1)
    command_id = second.client().send_command(
        DocumentName=SHELL,
        InstanceIds=[a.instance_id for a in agents],
        Parameters={"commands": ["sleep 600"]},
        MaxConcurrency="1",
    )["Command"]["CommandId"]
    holder = next(a for a in agents if not a.receives_nothing("invocation", within_s=3))
    other = next(a for a in agents if a is not holder)
    assert other.receives_nothing("invocation", within_s=1.5)
    holder.report(command_id)  # the slot frees up: the other replica's agent starts
    assert other.next_frame("invocation", timeout_s=10)["command_id"] == command_id

    asking = first if other.url == second.url else second
    asking.client().cancel_command(CommandId=command_id)
    assert other.next_frame("cancel", timeout_s=10)["command_id"] == command_id
    other.report(command_id, "Cancelled", code=-1, steps=[step_result(status="Cancelled", code=-1)])
    for server in replicas:
        _wait_status(server, command_id, "Cancelled")
