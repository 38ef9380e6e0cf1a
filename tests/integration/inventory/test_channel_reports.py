"""Inventory over the agent channel: whose data a frame writes, and what a bad report gets
(SECURITY.md #7).

The server stores a report for the instance of the authenticated channel; a frame has no
member that names an instance, and one added to it is ignored. A report the rules refuse is
answered with an error in the ack, and the channel stays open.
"""

from __future__ import annotations

import uuid
from typing import Any

from tests.integration.channel_client import activate, connect_agent, register
from tests.support import ServerProcess


def _report(
    report_id: str,
    type_name: str,
    content: Any,
    hash_: str = "h",
    capture_time: str = "2026-12-06T10:00:00Z",
) -> dict[str, Any]:
    item = {
        "type_name": type_name,
        "schema_version": "1.0",
        "capture_time": capture_time,
        "content_hash": hash_,
        "content": content,
    }
    return {"type": "inventory", "report_id": report_id, "items": [item]}


def test_a_report_writes_only_the_channels_own_instance(sqlite_server: ServerProcess) -> None:
    ssm = sqlite_server.client()
    activation_id, code = activate(ssm, limit=2)
    mine = register(sqlite_server.url, activation_id, code)
    other = register(sqlite_server.url, activation_id, code)
    kind = "Custom:Owner" + uuid.uuid4().hex[:8]
    client = connect_agent(sqlite_server.url, mine)
    try:
        frame = _report("r1", kind, [{"Who": "me"}])
        client.send({**frame, "instance_id": other.instance_id})
        assert client.recv() == {
            "type": "inventory_ack",
            "report_id": "r1",
            "content_wanted": [],
            "error": "",
        }
    finally:
        client.close()
    assert ssm.list_inventory_entries(InstanceId=mine.instance_id, TypeName=kind)["Entries"] == [
        {"Who": "me"}
    ]
    assert ssm.list_inventory_entries(InstanceId=other.instance_id, TypeName=kind)["Entries"] == []


def test_a_refused_report_is_answered_and_the_channel_stays(sqlite_server: ServerProcess) -> None:
    ssm = sqlite_server.client()
    activation_id, code = activate(ssm)
    identity = register(sqlite_server.url, activation_id, code)
    client = connect_agent(sqlite_server.url, identity)
    try:
        client.send(_report("bad", "AWS:InstanceInformation", []))
        ack = client.recv()
        assert ack["type"] == "inventory_ack"
        assert ack["error"].startswith("InvalidTypeNameException: ")
        client.send(_report("time", "Custom:Clock", [], capture_time="yesterday"))
        assert client.recv()["error"].startswith("InvalidItemContentException: ")
        kind = "Custom:Hash" + uuid.uuid4().hex[:8]
        client.send(_report("hash", kind, None, "never-stored"))
        assert client.recv()["content_wanted"] == [kind]
        assert client.heartbeat()["type"] == "heartbeat_ack"
    finally:
        client.close()
