"""A server for the audit trail's tests, and the boto3 CloudTrail client that reads its trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from types_boto3_cloudtrail.client import CloudTrailClient

from tests.clocked_server import ClockedServer, clocked_server
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, ServerEndpoint


def aws_client(
    server: ServerEndpoint,
    service: str,
    *,
    access_key_id: str = ADMIN_KEY_ID,
    secret_access_key: str = ADMIN_SECRET,
) -> Any:
    """A boto3 client of ``service`` on the server's URL."""
    return server.aws_client(
        service, access_key_id=access_key_id, secret_access_key=secret_access_key
    )


def cloudtrail(
    server: ServerEndpoint,
    *,
    access_key_id: str = ADMIN_KEY_ID,
    secret_access_key: str = ADMIN_SECRET,
) -> CloudTrailClient:
    client: CloudTrailClient = aws_client(
        server, "cloudtrail", access_key_id=access_key_id, secret_access_key=secret_access_key
    )
    return client


@pytest.fixture(scope="module")
def audit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedServer]:
    """One SQLite server per module, in this process; its trail is written every 0.1 s."""
    data_dir = tmp_path_factory.mktemp("audit") / "server"
    # Refused signatures from 127.0.0.1 by the dozen must not throttle the other tests.
    with clocked_server(
        data_dir, audit_flush_interval_s=0.1, auth_failure_burst=1_000_000
    ) as server:
        yield server


@pytest.fixture
def trail(audit_server: ClockedServer) -> CloudTrailClient:
    return cloudtrail(audit_server)
