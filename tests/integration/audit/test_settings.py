"""The trail's settings: retention (pruned on the server's clock) and which reads it keeps."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from tests.clocked_server import ClockedServer, clocked_server
from tests.integration.audit.conftest import cloudtrail
from tests.support import ADMIN_KEY_ID, wait_until

RETENTION_S = 120.0


@pytest.fixture(scope="module")
def pruning_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedServer]:
    data_dir = tmp_path_factory.mktemp("retention") / "server"
    with clocked_server(
        data_dir,
        audit_flush_interval_s=0.1,
        audit_retention_days=RETENTION_S / 86400,
        audit_prune_interval_s=0.2,
        audit_reads="refused",
    ) as server:
        yield server


def _names(server: ClockedServer, name: str) -> list[str]:
    events = cloudtrail(server).lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}]
    )["Events"]
    return [e["EventName"] for e in events]


def test_records_past_the_retention_are_pruned(pruning_server: ClockedServer) -> None:
    ssm = pruning_server.client()
    old, new = f"/old/{uuid.uuid4().hex}", f"/new/{uuid.uuid4().hex}"
    ssm.put_parameter(Name=old, Value="v", Type="String")
    assert _names(pruning_server, old) == ["PutParameter"]
    pruning_server.clock.advance(RETENTION_S - 30)
    ssm.put_parameter(Name=new, Value="v", Type="String")
    assert _names(pruning_server, new) == ["PutParameter"]
    # The old record is past the retention now, the new one 30 s short of it: only the old
    # one goes.
    pruning_server.clock.advance(60)
    wait_until(lambda: _names(pruning_server, old) == [], timeout_s=10)
    assert _names(pruning_server, new) == ["PutParameter"]


def test_reads_that_succeed_can_be_left_out_and_refused_ones_never_are(
    pruning_server: ClockedServer,
) -> None:
    name = f"/reads/{uuid.uuid4().hex}"
    ssm = pruning_server.client()
    ssm.put_parameter(Name=name, Value="v", Type="String")
    ssm.get_parameter(Name=name)
    deny = {"Effect": "Deny", "Action": "ssm:GetParameter", "Resource": "*"}
    key, secret = pruning_server.new_user({"Version": "2012-10-17", "Statement": [deny]})
    with pytest.raises(ClientError):
        pruning_server.client(access_key_id=key, secret_access_key=secret).get_parameter(Name=name)
    events = cloudtrail(pruning_server).lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}]
    )["Events"]
    # The admin's successful read is left out; the refused one is kept.
    assert [(e["EventName"], e.get("AccessKeyId")) for e in events] == [
        ("GetParameter", key),
        ("PutParameter", ADMIN_KEY_ID),
    ]
    assert json.loads(events[0]["CloudTrailEvent"])["errorCode"] == "AccessDenied"
