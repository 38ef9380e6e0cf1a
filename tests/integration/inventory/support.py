"""What the inventory tests share: hosts registered without agents, items, and the outbox."""

from __future__ import annotations

import subprocess
import uuid
from typing import Any

from types_boto3_ssm.client import SSMClient

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
