"""Two replicas on one PostgreSQL both record their calls into the one trail."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from tests.integration.audit.conftest import cloudtrail
from tests.integration.conftest import SHARED_ENV
from tests.postgres import PostgresServer
from tests.support import ServerProcess, server_pair, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]


def test_both_replicas_record_into_one_trail(postgres: PostgresServer, tmp_path: Path) -> None:
    env = {**SHARED_ENV, "OPENSSM_AUDIT_FLUSH_INTERVAL_S": "0.2"}
    url = postgres.create_database()
    with server_pair(tmp_path / "data", database_url=url, env=env) as (first, second):
        name = f"/replicas/{uuid.uuid4().hex}"
        put = first.client().put_parameter(Name=name, Value="v", Type="String")
        got = second.client().get_parameter(Name=name)
        expected = {put["ResponseMetadata"]["RequestId"], got["ResponseMetadata"]["RequestId"]}

        def seen_from(server: ServerProcess) -> set[str]:
            events = cloudtrail(server).lookup_events(
                LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}]
            )["Events"]
            return {json.loads(e["CloudTrailEvent"])["requestID"] for e in events}

        wait_until(lambda: seen_from(first) == expected, timeout_s=15)
        wait_until(lambda: seen_from(second) == expected, timeout_s=15)
