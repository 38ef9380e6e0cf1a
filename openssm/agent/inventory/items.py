"""An inventory item as PutInventory carries it: one type's rows and their ContentHash.

Every attribute value is a string, as AWS's inventory stores them. The hash is what
lets an unchanged type go without its rows: the agent sends only the hash, and the
server keeps what it has (AWS's ContentHash, an MD5 of the content).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Row = dict[str, str]
SCHEMA_VERSION = "1.0"
# Types AWS's agent reports at another schema version than 1.0 (AWS:Application gained Epoch
# in 1.1); the server's GetInventorySchema shows the same versions.
SCHEMA_VERSIONS = {"AWS:Application": "1.1"}


def capture_time(at: dt.datetime) -> str:
    """AWS's CaptureTime form: ``2026-12-06T11:13:22Z``."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339(epoch_s: float) -> str:
    """A file or package time as AWS's agent writes it (seconds, UTC)."""
    return dt.datetime.fromtimestamp(int(epoch_s), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(content: Sequence[Mapping[str, str]] | Mapping[str, str]) -> str:
    """MD5 of the content's canonical JSON, base64: equal rows give equal hashes."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.md5(text.encode("utf-8"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True, kw_only=True)
class InventoryItem:
    type_name: str
    schema_version: str
    capture_time: str
    content: list[Row]
    content_hash: str

    @classmethod
    def of(
        cls, type_name: str, rows: list[Row], at: dt.datetime, schema_version: str | None = None
    ) -> InventoryItem:
        return cls(
            type_name=type_name,
            schema_version=schema_version or SCHEMA_VERSIONS.get(type_name, SCHEMA_VERSION),
            capture_time=capture_time(at),
            content=rows,
            content_hash=content_hash(rows),
        )
