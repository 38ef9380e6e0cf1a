"""Agents when several server processes share one database (a scale-out deployment).

An agent holds its channel to one process; a deregistration committed through another
must still close that channel and stop the agent (the holder learns it when it next
records the agent's heartbeat).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agents import AgentFactory, wait_ping_status
from tests.integration.conftest import FLEET_ENV
from tests.support import ServerProcess, server_pair


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with server_pair(tmp_path / "shared", env=FLEET_ENV) as pair:
        yield pair


def test_deregistering_through_another_replica_stops_the_agent(
    replicas: tuple[ServerProcess, ServerProcess], tmp_path: Path
) -> None:
    api_side, channel_side = replicas
    factory = AgentFactory(server=channel_side, root=tmp_path / "agents")
    try:
        stays, goes = factory(2)
        ssm = api_side.client()
        wait_ping_status(ssm, [stays.instance_id, goes.instance_id], "Online")

        ssm.deregister_managed_instance(InstanceId=goes.instance_id)

        assert goes.wait(timeout_s=15) == 3, factory.logs()
        assert f"instance {goes.instance_id} was deregistered" in goes.logs()
        wait_ping_status(ssm, [goes.instance_id], "Inactive")
        wait_ping_status(ssm, [stays.instance_id], "Online")
        assert stays.process is not None
        assert stays.process.poll() is None
    finally:
        factory.stop_all()
