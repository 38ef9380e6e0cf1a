"""What the inventory tests (and bench/inventory_query.py) share: hosts registered without
agents, items, the outbox, and hosts written straight into a store."""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
from typing import Any

from sqlalchemy.engine import Connection
from types_boto3_ssm.client import SSMClient

from openssm.server.store.fleet import instances as fleet_repo
from openssm.server.store.inventory import repo
from tests.support import ServerEndpoint

EVENT = "Inventory Resource State Change"
CAPTURED = "2026-12-06T10:00:00Z"


def custom_type() -> str:
    """A custom type no other test uses, so counts on a shared server stay exact."""
    return "Custom:T" + uuid.uuid4().hex[:12]


def item(type_name: str, content: list[dict[str, str]], **extra: Any) -> Any:
    return {
        "TypeName": type_name,
        "SchemaVersion": "1.0",
        "CaptureTime": CAPTURED,
        "Content": content,
        **extra,
    }


def inventory_events(server: ServerEndpoint, type_name: str) -> list[dict[str, Any]]:
    """The inventory events in the server's outbox about ``type_name``, oldest first."""
    return [e for e in server.events(EVENT) if e["detail"]["type-name"] == type_name]


def installed_packages() -> set[str]:
    """The names of the Debian packages installed on this machine, as dpkg lists them."""
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[0] for line in listed.splitlines() if line.endswith(" installed")}


def entries(ssm: SSMClient, instance_id: str, type_name: str) -> list[dict[str, str]]:
    """Every entry of a host's type, through ListInventoryEntries' pages (botocore has no
    paginator for it)."""
    found: list[dict[str, str]] = []
    token: dict[str, Any] = {}
    while True:
        page = ssm.list_inventory_entries(InstanceId=instance_id, TypeName=type_name, **token)
        found += page["Entries"]
        if "NextToken" not in page:
            return found
        token = {"NextToken": page["NextToken"]}


def store_host(
    conn: Connection,
    scope: repo.Scope,
    instance_id: str,
    applications: list[dict[str, str]],
    now: dt.datetime,
) -> None:
    """A registered host and its AWS:Application entries, written straight into a store as
    registration and an agent's report leave them."""
    fleet_repo.insert_instance(
        conn,
        fleet_repo.InstanceRow(
            instance_id=instance_id,
            account_id=scope.account_id,
            region=scope.region,
            activation_id="simulated",
            name=None,
            iam_role="simulated",
            public_key=b"",
            fingerprint=None,
            registered_at=now,
        ),
    )
    item = repo.ItemRow(
        instance_id=instance_id,
        type_name="AWS:Application",
        schema_version="1.1",
        capture_time="2026-12-06T00:00:00Z",
        content_hash=f"h-{instance_id}",
        entry_count=len(applications),
    )
    repo.replace_item(conn, scope, item, applications, now)
