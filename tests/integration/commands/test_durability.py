"""Nothing lost when a process dies (issue 10, item 7): the server killed with SIGKILL in the
middle of a 100-node fan-out and started again; every invocation reaches its true end with its
output, and no node ran the command twice."""

from __future__ import annotations

import collections
import uuid
from pathlib import Path

import pytest

from tests.agents import AgentFactory, tag_instance
from tests.support import ServerProcess, wait_until

pytestmark = pytest.mark.e2e

NODES = 100


# A hundred real agents take most of a minute to register and start on two cores.
@pytest.mark.timeout(400)
def test_a_server_killed_mid_fan_out_loses_nothing_and_runs_nothing_twice(
    own_fleet_server: ServerProcess, tmp_path: Path
) -> None:
    server = own_fleet_server
    factory = AgentFactory(server=server, root=tmp_path / "agents")
    try:
        agents = factory(NODES)
        ssm = server.client()
        fleet = uuid.uuid4().hex[:10]
        for agent in agents:
            tag_instance(ssm, agent.instance_id, "Fleet", fleet)
        ran = tmp_path / "ran"
        command_id = ssm.send_command(
            DocumentName="AWS-RunShellScript",
            Targets=[{"Key": "tag:Fleet", "Values": [fleet]}],
            Parameters={
                "commands": [f'echo "$AWS_SSM_INSTANCE_ID" >> {ran}', "sleep 3", "echo done"]
            },
            MaxConcurrency="100%",
        )["Command"]["CommandId"]
        wait_until(lambda: ran.exists() and len(ran.read_text().split()) >= NODES // 4)

        server.kill()
        server.start()

        ssm = server.client()

        def finished() -> bool:
            command = ssm.list_commands(CommandId=command_id)["Commands"][0]
            return command["Status"] not in {"Pending", "InProgress"}

        wait_until(finished, timeout_s=120, interval_s=0.5)
        command = ssm.list_commands(CommandId=command_id)["Commands"][0]
        assert (command["Status"], command["TargetCount"], command["CompletedCount"]) == (
            "Success",
            NODES,
            NODES,
        ), command
        runs = collections.Counter(ran.read_text().split())
        assert set(runs) == {a.instance_id for a in agents}
        assert max(runs.values()) == 1, [i for i, n in runs.items() if n > 1]
        pages = ssm.get_paginator("list_command_invocations").paginate(
            CommandId=command_id, Details=True
        )
        outputs = [
            plugin["Output"]
            for page in pages
            for invocation in page["CommandInvocations"]
            for plugin in invocation["CommandPlugins"]
        ]
        assert outputs == ["done\n"] * NODES
    finally:
        factory.stop_all()
