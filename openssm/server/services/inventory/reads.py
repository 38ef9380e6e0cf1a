"""GetInventory, ListInventoryEntries and GetInventorySchema.

GetInventory lists the scope's registered instances in id order, those the filters select,
each with the data of the ResultAttributes' type (AWS:InstanceInformation when none is
asked for), its entries narrowed by the filters on that type. With aggregators it answers
one entity of counts instead (``aggregate``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import (
    InvalidInstanceId,
    InvalidNextToken,
    InvalidResultAttributeException,
    InvalidTypeNameException,
)
from openssm.server.context import RequestContext
from openssm.server.services import paging
from openssm.server.services.inventory.aggregate import aggregate
from openssm.server.services.inventory.filters import parse_entry_filter
from openssm.server.services.inventory.query import (
    checked_filters,
    name_range,
    passing,
    schema_of,
    selected,
)
from openssm.server.services.inventory.schemas import BUILT_IN, INSTANCE_INFORMATION, Schema
from openssm.server.services.inventory.sources import Sources
from openssm.server.store.fleet import instances as fleet_repo
from openssm.server.store.inventory import repo
from openssm.server.store.inventory.repo import Scope

DEFAULT_PAGE_SIZE = 50
DEFAULT_SCHEMA_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class GetInventoryInput:
    filters: Sequence[Mapping[str, Any]] | None = None
    aggregators: Sequence[Mapping[str, Any]] | None = None
    result_attributes: Sequence[Mapping[str, Any]] | None = None
    max_results: int | None = None
    next_token: str | None = None


def _scope(ctx: RequestContext) -> Scope:
    return Scope(ctx.account_id, ctx.region)


def _offset(token: str | None, kind: str, bound: str) -> int:
    if token is None:
        return 0
    offset = paging.decode_token(token, kind, bound_to=bound).get("o")
    if not isinstance(offset, int) or offset < 0:
        raise InvalidNextToken(paging.MESSAGE)
    return offset


def get_inventory(
    conn: Connection, ctx: RequestContext, request: GetInventoryInput, *, online_cutoff: dt.datetime
) -> tuple[list[dict[str, Any]], str | None]:
    scope = _scope(ctx)
    sources = Sources(conn, scope, online_cutoff)
    filters = checked_filters(conn, scope, request.filters)
    if request.aggregators:
        return [{"Data": aggregate(conn, scope, sources, request.aggregators, filters)}], None
    result_types = [r["TypeName"] for r in request.result_attributes or ()]
    for type_name in result_types:
        try:
            schema_of(conn, scope, type_name)
        except InvalidTypeNameException as exc:
            raise InvalidResultAttributeException(
                f"ResultAttributes names {type_name[:100]!r}, which is not a known type."
            ) from exc
    shown = result_types or [INSTANCE_INFORMATION]
    kind = "GetInventory"
    bound = paging.binding(kind, ctx.account_id, ctx.region, request.filters, shown)
    after = None
    if request.next_token is not None:
        after = paging.decode_token(request.next_token, kind, bound_to=bound).get("k")
        if not isinstance(after, str):
            raise InvalidNextToken(paging.MESSAGE)
    chosen = selected(sources, filters, set(sources.hosts())) or set()
    ids = sorted(i for i in chosen if after is None or i > after)
    page_size = request.max_results or DEFAULT_PAGE_SIZE
    entities = [
        {"Id": instance_id, "Data": _data(sources, instance_id, shown, filters)}
        for instance_id in ids[:page_size]
    ]
    token = None
    if len(ids) > page_size:
        token = paging.encode_token(kind, {"k": ids[page_size - 1]}, bound_to=bound)
    return entities, token


def _data(
    sources: Sources, instance_id: str, type_names: Sequence[str], filters: Sequence[Any]
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for type_name in type_names:
        item = sources.item(instance_id, type_name)
        if item is None:
            continue
        own = [f for f in filters if f.type_name == type_name and not f.is_type_filter]
        entries = sources.instance_entries(instance_id, type_name, name_range(own, type_name))
        content = [e.as_dict() for e in entries if passing(e, own)]
        data[type_name] = {
            "TypeName": type_name,
            "SchemaVersion": item.schema_version,
            "CaptureTime": item.capture_time or None,
            "ContentHash": item.content_hash or None,
            "Content": content,
        }
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class EntriesPage:
    type_name: str
    instance_id: str
    schema_version: str | None
    capture_time: str | None
    entries: list[dict[str, str]]
    next_token: str | None


def list_inventory_entries(
    conn: Connection,
    ctx: RequestContext,
    *,
    instance_id: str,
    type_name: str,
    filters: Sequence[Mapping[str, Any]] | None,
    max_results: int | None,
    next_token: str | None,
    online_cutoff: dt.datetime,
) -> EntriesPage:
    scope = _scope(ctx)
    if not fleet_repo.is_active(
        conn, account_id=ctx.account_id, region=ctx.region, instance_id=instance_id
    ):
        raise InvalidInstanceId(f"Instance ID {instance_id} is not a registered managed instance.")
    schema_of(conn, scope, type_name)
    parsed = [parse_entry_filter(f, type_name) for f in filters or ()]
    checked_filters(
        conn,
        scope,
        [{"Key": f"{f.type_name}.{f.attribute}", "Values": f.values, "Type": f.op} for f in parsed],
    )
    kind = "ListInventoryEntries"
    bound = paging.binding(kind, ctx.account_id, ctx.region, instance_id, type_name, filters)
    offset = _offset(next_token, kind, bound)
    sources = Sources(conn, scope, online_cutoff)
    item = sources.item(instance_id, type_name)
    listed = sources.instance_entries(instance_id, type_name, name_range(parsed, type_name))
    entries = [e.as_dict() for e in listed if passing(e, parsed)]
    page_size = max_results or DEFAULT_PAGE_SIZE
    page = entries[offset : offset + page_size]
    token = None
    if offset + page_size < len(entries):
        token = paging.encode_token(kind, {"o": offset + page_size}, bound_to=bound)
    return EntriesPage(
        type_name=type_name,
        instance_id=instance_id,
        schema_version=None if item is None else item.schema_version,
        capture_time=None if item is None or not item.capture_time else item.capture_time,
        entries=page,
        next_token=token,
    )


def _schema_wire(
    schema: Schema, numbers: frozenset[str], attributes: Sequence[str]
) -> dict[str, Any]:
    return {
        "TypeName": schema.type_name,
        "Version": schema.version,
        "DisplayName": schema.display_name or None,
        "Attributes": [
            {"Name": a, "DataType": "number" if a in numbers else "string"} for a in attributes
        ],
    }


def get_inventory_schema(
    conn: Connection,
    ctx: RequestContext,
    *,
    type_name: str | None,
    aggregator: bool,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Built-in and custom schemas whose name starts with ``type_name``; with ``aggregator``,
    only their aggregatable attributes (and only types that have some)."""
    scope = _scope(ctx)
    schemas = list(BUILT_IN.values())
    schemas.extend(schema_of(conn, scope, c.type_name) for c in repo.list_schemas(conn, scope))
    if type_name:
        schemas = [s for s in schemas if s.type_name.startswith(type_name)]
        if not schemas:
            schema_of(conn, scope, type_name)  # raises InvalidTypeNameException
    wire = []
    for schema in sorted(schemas, key=lambda s: s.type_name):
        attributes = schema.aggregatable if aggregator else schema.attributes
        if attributes:
            wire.append(_schema_wire(schema, schema.numbers, attributes))
    kind = "GetInventorySchema"
    bound = paging.binding(kind, ctx.account_id, ctx.region, type_name, aggregator)
    offset = _offset(next_token, kind, bound)
    page_size = max_results or DEFAULT_SCHEMA_PAGE_SIZE
    token = None
    if offset + page_size < len(wire):
        token = paging.encode_token(kind, {"o": offset + page_size}, bound_to=bound)
    return wire[offset : offset + page_size], token
