"""Records older than the retention are pruned on the server's clock, newer ones stay."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.clocked_server import ClockedServer, clocked_server
from tests.integration.audit.conftest import cloudtrail
from tests.support import wait_until

RETENTION_S = 120.0


@pytest.fixture(scope="module")
def pruning_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedServer]:
    data_dir = tmp_path_factory.mktemp("retention") / "server"
    with clocked_server(
        data_dir,
        audit_flush_interval_s=0.1,
        audit_retention_days=RETENTION_S / 86400,
        audit_prune_interval_s=0.2,
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
