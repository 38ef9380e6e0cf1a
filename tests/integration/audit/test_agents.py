"""A real agent's registration and channel sessions are recorded with the node as the caller."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.agents import AgentProcess, create_activation, register_cli
from tests.canary import assert_absent
from tests.clocked_server import ClockedServer
from tests.integration.audit.conftest import cloudtrail
from tests.support import wait_until

pytestmark = pytest.mark.e2e


def _records(server: ClockedServer, instance_id: str) -> list[dict[str, Any]]:
    events = cloudtrail(server).lookup_events(
        LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": instance_id}]
    )["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in reversed(events)]


def test_registration_and_channel_sessions_are_recorded(
    audit_server: ClockedServer, tmp_path: Path
) -> None:
    ssm = audit_server.client()
    activation_id, code = create_activation(ssm)
    wrong = register_cli(audit_server.url, tmp_path / "nope", activation_id, "x" * 20)
    assert wrong.returncode != 0
    done = register_cli(audit_server.url, tmp_path / "agent", activation_id, code)
    assert done.returncode == 0, done.stderr
    instance_id = done.stdout.strip()
    agent = AgentProcess(state_dir=tmp_path / "agent", instance_id=instance_id)
    agent.start()
    try:
        wait_until(
            lambda: (
                [r["eventName"] for r in _records(audit_server, instance_id)]
                == ["RegisterManagedInstance", "CreateControlChannel"]
            ),
            timeout_s=30,
        )
    finally:
        agent.stop()
    wait_until(lambda: len(_records(audit_server, instance_id)) == 3, timeout_s=30)
    registered, opened, closed = _records(audit_server, instance_id)
    assert registered["userIdentity"] == {
        "type": "AssumedRole",
        "principalId": instance_id,
        "arn": f"arn:aws:ssm:us-east-1:123456789012:managed-instance/{instance_id}",
        "accountId": "123456789012",
        "userName": instance_id,
    }
    assert registered["requestParameters"] == {"activationId": activation_id}
    assert registered["responseElements"] == {"instanceId": instance_id}
    assert registered["sourceIPAddress"] == "127.0.0.1"
    assert (opened["eventSource"], closed["eventName"]) == (
        "ssmmessages.amazonaws.com",
        "CloseControlChannel",
    )
    assert opened["requestParameters"]["channelId"] == closed["requestParameters"]["channelId"]
    # The wrong code was recorded as a refusal, without either code.
    refusals = [
        json.loads(e["CloudTrailEvent"])
        for e in cloudtrail(audit_server).lookup_events(
            LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "RegisterManagedInstance"}
            ]
        )["Events"]
    ]
    refused = [
        r
        for r in refusals
        if r.get("errorCode") == "InvalidActivationId"
        and r["requestParameters"]["activationId"] == activation_id
    ]
    assert refused
    assert refused[0]["userIdentity"]["type"] == "Unknown"
    assert_absent(code, json.dumps(refusals).encode(), "registration records")
