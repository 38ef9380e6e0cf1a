"""What the inventory tests share: hosts registered without agents, items, and the outbox."""

from __future__ import annotations

import uuid
from typing import Any

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
