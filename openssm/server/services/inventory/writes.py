"""PutInventory: a managed instance's items, from its agent's channel or from an API caller.

Each item replaces the instance's data of its type. An item whose ContentHash is the one
stored changes nothing but its capture time (AWS: "PutInventory does not update the item if
the hash has not changed"). Agents send an unchanged type as its hash alone; when the server
does not hold that hash (the data was deleted meanwhile) it asks for the content again.

The instance comes from the caller: the API request's InstanceId, or the authenticated
channel an agent's report arrived on, never from the report itself (SECURITY.md #7).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from openssm.errors import (
    CustomSchemaCountLimitExceededException,
    InvalidInstanceId,
    InvalidItemContentException,
    InvalidTypeNameException,
    ItemContentMismatchException,
    ItemSizeLimitExceededException,
    TotalSizeLimitExceededException,
    UnsupportedInventoryItemContextException,
    UnsupportedInventorySchemaVersionException,
)
from openssm.server.events import outbox
from openssm.server.events.outbox import EventScope
from openssm.server.services.inventory import events
from openssm.server.services.inventory.schemas import BUILT_IN, FROM_FLEET, check_custom_name
from openssm.server.services.inventory.schemas import is_custom as _is_custom
from openssm.server.store.fleet import instances as fleet_repo
from openssm.server.store.inventory import repo
from openssm.server.store.inventory.repo import ItemRow, SchemaRow, Scope

# AWS: at most 20 custom types per account and region.
MAX_CUSTOM_TYPES = 20
# openssm's size limits (AWS's are not published): one item's content as JSON, and a call's.
MAX_ITEM_BYTES = 900 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024
MAX_ENTRIES = 10000
MAX_ATTRIBUTES = 50
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 4096
_AGENT_SCHEMA_VERSIONS = frozenset({"1.0"})

Entry = dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class PutItem:
    """``content`` None: the sender says only that its content still hashes to
    ``content_hash``."""

    type_name: str
    schema_version: str
    capture_time: str
    content: Sequence[Mapping[str, str]] | None
    content_hash: str = ""
    context: Mapping[str, str] | None = None


def _check_instance(conn: Connection, scope: EventScope, instance_id: str) -> Scope:
    if not fleet_repo.is_active(
        conn, account_id=scope.account_id, region=scope.region, instance_id=instance_id
    ):
        raise InvalidInstanceId(f"Instance ID {instance_id} is not a registered managed instance.")
    return Scope(scope.account_id, scope.region)


def _check_entries(item: PutItem) -> int:
    """The content's size in bytes; InvalidItemContentException when an entry is malformed."""
    content = item.content or ()
    if len(content) > MAX_ENTRIES:
        raise InvalidItemContentException(
            f"{item.type_name}: Content has {len(content)} entries; at most {MAX_ENTRIES}."
        )
    for index, entry in enumerate(content, start=1):
        if len(entry) > MAX_ATTRIBUTES:
            raise InvalidItemContentException(
                f"{item.type_name}: entry {index} has more than {MAX_ATTRIBUTES} attributes."
            )
        for key, value in entry.items():
            if not 1 <= len(key) <= MAX_KEY_CHARS:
                raise InvalidItemContentException(
                    f"{item.type_name}: entry {index} has an attribute name that is not 1 to "
                    f"{MAX_KEY_CHARS} characters."
                )
            if len(value) > MAX_VALUE_CHARS:
                raise InvalidItemContentException(
                    f"{item.type_name}: attribute {key} of entry {index} must be at most"
                    f" {MAX_VALUE_CHARS} characters."
                )
    size = len(json.dumps(list(content), separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_ITEM_BYTES:
        raise ItemSizeLimitExceededException(
            f"{item.type_name}: the item's content is {size} bytes; at most {MAX_ITEM_BYTES}."
        )
    return size


def _check_built_in(item: PutItem) -> None:
    schema = BUILT_IN.get(item.type_name)
    if schema is None:
        raise InvalidTypeNameException(
            f"The inventory type {item.type_name[:100]!r} is not one of AWS's types; name your "
            "own types Custom:<Name>."
        )
    if item.type_name in FROM_FLEET:
        raise InvalidTypeNameException(
            f"{item.type_name} is kept by the server from its own fleet data and cannot be put."
        )
    if item.schema_version not in _AGENT_SCHEMA_VERSIONS | {schema.version}:
        raise UnsupportedInventorySchemaVersionException(
            f"{item.type_name} takes SchemaVersion {schema.version}, not {item.schema_version}."
        )


def _custom_schema(
    conn: Connection, scope: Scope, item: PutItem, known: dict[str, SchemaRow]
) -> SchemaRow | None:
    """The custom type's schema after this put; None when a disabled version is put (AWS
    ignores such data)."""
    check_custom_name(item.type_name)
    previous = known.get(item.type_name)
    if previous is None and len(known) >= MAX_CUSTOM_TYPES:
        raise CustomSchemaCountLimitExceededException(
            f"This account has {len(known)} custom inventory types, the most it may have: "
            f"delete one (DeleteInventory) before putting {item.type_name}."
        )
    attributes = sorted({k for entry in item.content or () for k in entry})
    if previous is None:
        return SchemaRow(
            type_name=item.type_name,
            version=item.schema_version,
            attributes=tuple(attributes),
            disabled_version=None,
        )
    if previous.disabled_version is not None and not _newer(
        item.schema_version, previous.disabled_version
    ):
        return None
    by_folded = {a.casefold(): a for a in previous.attributes}
    for attribute in attributes:
        seen = by_folded.get(attribute.casefold())
        if seen is not None and seen != attribute:
            raise ItemContentMismatchException(
                f"{item.type_name}: attribute {attribute} was put before as {seen}; an "
                "attribute's name keeps its case."
            )
    return SchemaRow(
        type_name=item.type_name,
        version=item.schema_version,
        attributes=tuple(sorted({*previous.attributes, *attributes})),
        disabled_version=None,
    )


def _newer(version: str, than: str) -> bool:
    def key(text: str) -> tuple[int, ...]:
        return tuple(int(part) for part in text.split("."))

    return key(version) > key(than)


def put_inventory(
    conn: Connection, scope: EventScope, instance_id: str, items: Sequence[PutItem]
) -> list[str]:
    """Store ``items`` for the instance; returns the types sent as a hash alone whose content
    the server does not hold (the sender must send them again with their content)."""
    store_scope = _check_instance(conn, scope, instance_id)
    names = [item.type_name for item in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidItemContentException(
            f"Each type may appear once in a call; {', '.join(duplicates)} appears more often."
        )
    known = {s.type_name: s for s in repo.list_schemas(conn, store_scope)}
    total = 0
    schemas: dict[str, SchemaRow | None] = {}
    for item in items:
        if item.context:
            raise UnsupportedInventoryItemContextException(f"{item.type_name} takes no Context.")
        if _is_custom(item.type_name):
            schemas[item.type_name] = _custom_schema(conn, store_scope, item, known)
            if item.type_name not in known:
                known[item.type_name] = SchemaRow(
                    type_name=item.type_name, version="", attributes=(), disabled_version=None
                )
        else:
            _check_built_in(item)
        total += _check_entries(item)
    if total > MAX_TOTAL_BYTES:
        raise TotalSizeLimitExceededException(
            f"The call's items are {total} bytes in all; at most {MAX_TOTAL_BYTES}."
        )
    wanted: list[str] = []
    for item in items:
        if item.type_name in schemas and schemas[item.type_name] is None:
            continue  # a disabled version's data is ignored
        if _store_item(conn, scope, store_scope, instance_id, item):
            wanted.append(item.type_name)
            continue
        schema = schemas.get(item.type_name)
        if schema is not None:
            repo.put_schema(conn, store_scope, schema, scope.now)
    return wanted


def _store_item(
    conn: Connection, scope: EventScope, store_scope: Scope, instance_id: str, item: PutItem
) -> bool:
    """Write one item; True when it came as a hash the server does not hold."""
    stored = repo.get_item(conn, store_scope, instance_id, item.type_name)
    unchanged = (
        stored is not None and bool(item.content_hash) and stored.content_hash == item.content_hash
    )
    if unchanged:
        repo.touch_item(conn, store_scope, instance_id, item.type_name, item.capture_time)
        return False
    if item.content is None:
        return True
    repo.replace_item(
        conn,
        store_scope,
        ItemRow(
            instance_id=instance_id,
            type_name=item.type_name,
            schema_version=item.schema_version,
            capture_time=item.capture_time,
            content_hash=item.content_hash,
            entry_count=len(item.content),
        ),
        item.content,
        scope.now,
    )
    events.write_state_change(
        conn, scope, instance_id=instance_id, type_name=item.type_name, action="put"
    )
    return False


_CAPTURE_TIME = re.compile(
    r"(20)[0-9][0-9]-(0[1-9]|1[012])-([12][0-9]|3[01]|0[1-9])T(2[0-3]|[0-1][0-9])(:[0-5][0-9]){2}Z"
)
_SCHEMA_VERSION = re.compile(r"[0-9]{1,6}\.[0-9]{1,6}")
MAX_TYPE_NAME_CHARS = 100
MAX_HASH_CHARS = 256


def _check_report_item(item: PutItem) -> None:
    """What the model checks for API callers, checked for an agent's frame."""
    if not 1 <= len(item.type_name) <= MAX_TYPE_NAME_CHARS:
        raise InvalidTypeNameException("A type name is 1 to 100 characters.")
    if not _SCHEMA_VERSION.fullmatch(item.schema_version):
        raise UnsupportedInventorySchemaVersionException(
            f"{item.type_name}: SchemaVersion {item.schema_version[:20]!r} is not like 1.0."
        )
    if not _CAPTURE_TIME.fullmatch(item.capture_time):
        raise InvalidItemContentException(
            f"{item.type_name}: CaptureTime {item.capture_time[:30]!r} is not like "
            "2026-12-06T11:13:22Z."
        )
    if len(item.content_hash) > MAX_HASH_CHARS:
        raise InvalidItemContentException(f"{item.type_name}: ContentHash is too long.")


def put_from_agent(
    conn: Connection, now: dt.datetime, instance_id: str, items: Sequence[PutItem]
) -> list[str]:
    """An agent's report over its authenticated channel: ``instance_id`` is the channel's.
    Returns the types whose content the server wants again."""
    row = fleet_repo.get_instance(conn, instance_id)
    if row is None or row.deregistered_at is not None:
        raise InvalidInstanceId(f"Instance ID {instance_id} is not a registered managed instance.")
    for item in items:
        _check_report_item(item)
    scope = outbox.Scope(account_id=row.account_id, region=row.region, now=now)
    return put_inventory(conn, scope, instance_id, items)
