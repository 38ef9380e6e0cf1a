"""Ping-status events of a node whose agent falls silent without closing its channel: the
status turns ConnectionLost by the clock alone, and the event must still be written once
(and Online again once the agent is heard)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clocked_server import clocked_server
from tests.integration.commands.driver import driven_agents
from tests.integration.events.support import events_client
from tests.support import wait_until

PING = "openssm Managed Instance Ping Status Change"


def test_a_node_that_falls_silent_is_reported_lost_once_and_online_when_heard_again(
    tmp_path: Path,
) -> None:
    with clocked_server(
        tmp_path, events_interval_s=0.05, connection_lost_after_s=8, heartbeat_interval_s=4
    ) as server:
        events = events_client(server)
        events.put_rule(Name="pings", EventPattern=json.dumps({"detail-type": [PING]}))
        events.put_targets(Rule="pings", Targets=[{"Id": "file", "Arn": "file:pings.jsonl"}])
        path = server.settings.resolved_events_file_dir / "pings.jsonl"
        ssm = server.client()
        (agent,) = driven_agents(ssm, server.url, 1)
        assert agent.client is not None

        def statuses() -> list[str]:
            if not path.exists():
                return []
            lines = [json.loads(line) for line in path.read_text().splitlines()]
            return [e["detail"]["ping-status"] for e in lines]

        def described() -> str:
            found = ssm.describe_instance_information(
                Filters=[{"Key": "InstanceIds", "Values": [agent.instance_id]}]
            )
            return found["InstanceInformationList"][0]["PingStatus"]

        wait_until(lambda: statuses() == ["Online"], timeout_s=10)
        # The agent says nothing more, its socket stays open: only time passes.
        server.clock.advance(20)
        assert described() == "ConnectionLost"
        wait_until(lambda: statuses() == ["Online", "ConnectionLost"], timeout_s=10)
        server.clock.advance(20)  # still silent: nothing more to report
        agent.client.heartbeat()
        wait_until(lambda: statuses() == ["Online", "ConnectionLost", "Online"], timeout_s=10)
        assert described() == "Online"
        agent.disconnect()
        wait_until(lambda: len(statuses()) == 4, timeout_s=10)
    assert statuses() == ["Online", "ConnectionLost", "Online", "ConnectionLost"]
