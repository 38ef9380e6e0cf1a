"""Where a type's entries come from: the store for reported types, the fleet for
AWS:InstanceInformation and AWS:Tag, which AWS fills from its own records of the node.

Stored entries answer Name and Version from their indexed columns and decode their JSON
only when another attribute is asked for, so a query on those two reads no JSON at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Connection

from openssm.server.services.inventory.schemas import INSTANCE_INFORMATION, TAG
from openssm.server.store import tags as tag_repo
from openssm.server.store.fleet import instances as fleet_repo
from openssm.server.store.fleet.instances import InstanceRow
from openssm.server.store.inventory import repo
from openssm.server.store.inventory.repo import EntryRow, ItemRow, NameRange, Scope

_FLEET_BATCH = 5000
_TAG_RESOURCE_TYPE = "ManagedInstance"
_INSTANCE_STATUS = {"Online": "Active", "ConnectionLost": "ConnectionLost"}
AGENT_TYPE = "openssm-agent"
# Attributes a stored entry answers from its indexed columns, without its JSON.
INDEXED_ATTRIBUTES = frozenset({"Name", "Version"})
# Types the server fills from its fleet records rather than from stored reports.
FLEET_TYPES = frozenset({INSTANCE_INFORMATION, TAG})


class Entry(Protocol):
    def get(self, attribute: str) -> str | None: ...

    def as_dict(self) -> dict[str, str]: ...


class StoredEntry:
    __slots__ = ("_decoded", "_row")

    def __init__(self, row: EntryRow) -> None:
        self._row = row
        self._decoded: dict[str, str] | None = None

    def get(self, attribute: str) -> str | None:
        if attribute == "Name" and self._row.name is not None:
            return self._row.name
        if attribute == "Version" and self._row.version is not None:
            return self._row.version
        return self.as_dict().get(attribute)

    def indexed(self, attribute: str) -> bool:
        """Whether the attribute's value is in its indexed column (not too long, not absent)."""
        column = {"Name": self._row.name, "Version": self._row.version}.get(attribute)
        return column is not None

    def as_dict(self) -> dict[str, str]:
        if self._decoded is None:
            self._decoded = self._row.entry()
        return self._decoded


class PlainEntry:
    __slots__ = ("_values",)

    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, attribute: str) -> str | None:
        return self._values.get(attribute)

    def as_dict(self) -> dict[str, str]:
        return self._values


@dataclass(frozen=True, slots=True)
class Host:
    row: InstanceRow
    ping_status: str


def _time(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instance_information(host: Host) -> dict[str, str]:
    row = host.row
    values = {
        "AgentType": AGENT_TYPE,
        "AgentVersion": row.agent_version or "",
        "ComputerName": row.computer_name or "",
        "InstanceId": row.instance_id,
        "IpAddress": row.ip_address or "",
        "PlatformName": row.platform_name or "",
        "PlatformType": row.platform_type or "",
        "PlatformVersion": row.platform_version or "",
        "ResourceType": "ManagedInstance",
        "AgentStatus": host.ping_status,
        "InstanceStatus": _INSTANCE_STATUS.get(host.ping_status, host.ping_status),
    }
    return {k: v for k, v in values.items() if v}


class Sources:
    """One query's view of inventory: built per request, inside its read transaction."""

    def __init__(self, conn: Connection, scope: Scope, online_cutoff: dt.datetime) -> None:
        self.conn = conn
        self.scope = scope
        self._cutoff = online_cutoff
        self._hosts: dict[str, Host] | None = None
        self._tags: dict[str, dict[str, str]] | None = None

    def hosts(self) -> dict[str, Host]:
        """The scope's registered instances by id."""
        if self._hosts is None:
            hosts: dict[str, Host] = {}
            after: str | None = None
            while True:
                query = fleet_repo.InstanceQuery(
                    account_id=self.scope.account_id,
                    region=self.scope.region,
                    online_cutoff=self._cutoff,
                    after=after,
                )
                batch = fleet_repo.list_instances(self.conn, query, limit=_FLEET_BATCH)
                for row, status in batch:
                    if row.deregistered_at is None:
                        hosts[row.instance_id] = Host(row, status)
                if len(batch) < _FLEET_BATCH:
                    break
                after = batch[-1][0].instance_id
            self._hosts = hosts
        return self._hosts

    def _all_tags(self) -> dict[str, dict[str, str]]:
        if self._tags is None:
            self._tags = tag_repo.list_tags_for_many(
                self.conn,
                account_id=self.scope.account_id,
                region=self.scope.region,
                resource_type=_TAG_RESOURCE_TYPE,
                resource_ids=self.hosts(),
            )
        return self._tags

    def entries(
        self, type_name: str, names: NameRange | None = None, *, with_content: bool = True
    ) -> Iterator[tuple[str, Entry]]:
        """(instance id, entry) of every entry of the type, ``names`` narrowing stored ones."""
        if type_name == INSTANCE_INFORMATION:
            for instance_id, host in self.hosts().items():
                yield instance_id, PlainEntry(instance_information(host))
        elif type_name == TAG:
            for instance_id, tags in self._all_tags().items():
                for key, value in tags.items():
                    yield instance_id, PlainEntry({"Key": key, "Value": value})
        else:
            rows = repo.scan_entries(
                self.conn, self.scope, type_name, names=names, with_content=with_content
            )
            for row in rows:
                yield row.instance_id, StoredEntry(row)

    def instance_entries(
        self, instance_id: str, type_name: str, names: NameRange | None = None
    ) -> list[Entry]:
        """The instance's entries of the type; ``names`` may narrow stored ones (a caller
        still applies its filters: the range is a superset)."""
        if type_name == INSTANCE_INFORMATION:
            host = self.hosts().get(instance_id)
            return [] if host is None else [PlainEntry(instance_information(host))]
        if type_name == TAG:
            tags = tag_repo.list_tags(
                self.conn,
                account_id=self.scope.account_id,
                region=self.scope.region,
                resource_type=_TAG_RESOURCE_TYPE,
                resource_id=instance_id,
            )
            return [PlainEntry({"Key": k, "Value": v}) for k, v in tags.items()]
        rows = repo.entries_of(self.conn, self.scope, instance_id, type_name, names)
        return [StoredEntry(r) for r in rows]

    def item(self, instance_id: str, type_name: str) -> ItemRow | None:
        """The type's item header for the instance (fleet types: synthesised)."""
        if type_name in FLEET_TYPES:
            host = self.hosts().get(instance_id)
            if host is None:
                return None
            return ItemRow(
                instance_id=instance_id,
                type_name=type_name,
                schema_version="1.0",
                capture_time=_time(host.row.last_ping_at or host.row.registered_at),
                content_hash="",
                entry_count=0,
            )
        return repo.get_item(self.conn, self.scope, instance_id, type_name)

    def holders(self, type_names: tuple[str, ...]) -> set[str]:
        """Instances holding data of any of the types."""
        found: set[str] = set()
        stored = [t for t in type_names if t not in FLEET_TYPES]
        if stored:
            found |= repo.instances_with_types(self.conn, self.scope, stored)
        if INSTANCE_INFORMATION in type_names:
            found |= set(self.hosts())
        if TAG in type_names:
            found |= {i for i, tags in self._all_tags().items() if tags}
        return found
