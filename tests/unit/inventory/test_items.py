"""Inventory items: AWS's CaptureTime form and a ContentHash that only content changes."""

from __future__ import annotations

import datetime as dt

from openssm.agent.inventory.items import InventoryItem, capture_time, content_hash
from openssm.server.services.inventory.schemas import BUILT_IN

AT = dt.datetime(2026, 12, 6, 11, 13, 22, 999, tzinfo=dt.UTC)


def test_capture_time_is_awss_pattern() -> None:
    assert capture_time(AT) == "2026-12-06T11:13:22Z"


def test_content_hash_ignores_key_order_and_capture_time() -> None:
    first = InventoryItem.of("AWS:Application", [{"Name": "a", "Version": "1"}], AT)
    later = InventoryItem.of(
        "AWS:Application", [{"Version": "1", "Name": "a"}], AT + dt.timedelta(hours=1)
    )
    assert first.content_hash == later.content_hash
    assert first.capture_time != later.capture_time


def test_content_hash_changes_with_any_value() -> None:
    assert content_hash([{"Name": "a", "Version": "1"}]) != content_hash(
        [{"Name": "a", "Version": "2"}]
    )


def test_built_in_types_are_reported_at_the_schemas_version() -> None:
    for type_name in ("AWS:Application", "AWS:Network", "AWS:Service", "AWS:AWSComponent"):
        item = InventoryItem.of(type_name, [], AT)
        assert item.schema_version == BUILT_IN[type_name].version, type_name


def test_custom_types_keep_their_own_schema_version() -> None:
    assert InventoryItem.of("Custom:Rack", [], AT, "2.3").schema_version == "2.3"
