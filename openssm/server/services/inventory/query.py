"""Which instances a set of filters selects, and a type's entries that pass them.

Filters on Name with Equal or BeginWith narrow the store's scan through its index (and which
instances such a filter selects, the database answers from the index alone); every other
filter reads the type's entries and tests them one by one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import InvalidFilter
from openssm.server.services.inventory.filters import (
    BEGIN_WITH,
    EQUAL,
    NOT_EQUAL,
    Filter,
    parse_filter,
    value_matches,
)
from openssm.server.services.inventory.schemas import BUILT_IN, Schema, unknown_type
from openssm.server.services.inventory.sources import (
    FLEET_TYPES,
    INDEXED_ATTRIBUTES,
    Entry,
    Sources,
)
from openssm.server.store.inventory import counts, repo
from openssm.server.store.inventory.repo import NameRange, Scope


def schema_of(conn: Connection, scope: Scope, type_name: str) -> Schema:
    """The type's schema; InvalidTypeNameException for a type nobody put."""
    built_in = BUILT_IN.get(type_name)
    if built_in is not None:
        return built_in
    custom = repo.get_schema(conn, scope, type_name)
    if custom is None:
        raise unknown_type(type_name)
    return Schema(
        custom.type_name,
        custom.version,
        custom.attributes,
        custom.attributes,
        frozenset(),
        custom.type_name.partition(":")[2],
    )


def checked_filters(
    conn: Connection, scope: Scope, raw: Sequence[Mapping[str, Any]] | None
) -> list[Filter]:
    filters = [parse_filter(f) for f in raw or ()]
    for f in filters:
        for type_name in f.values if f.is_type_filter else (f.type_name,):
            schema = schema_of(conn, scope, type_name)
            if not f.is_type_filter and f.attribute not in schema.attributes:
                raise InvalidFilter(
                    f"{f.type_name} has no attribute {f.attribute[:64]!r}; its attributes are "
                    f"{', '.join(schema.attributes) or 'none yet'}."
                )
    return filters


def name_range(filters: Iterable[Filter], type_name: str) -> NameRange | None:
    """The index range the Name filters on ``type_name`` allow; None when they allow all."""
    for f in filters:
        if f.type_name == type_name and f.attribute == "Name":
            if f.op == EQUAL:
                return NameRange(values=f.values)
            if f.op == BEGIN_WITH:
                return NameRange(prefixes=f.values)
    return None


def passing(entry: Entry, filters: Iterable[Filter]) -> bool:
    for f in filters:
        value = entry.get(f.attribute)
        if f.op == NOT_EQUAL:
            if value in f.values:
                return False
        elif not value_matches(value, f):
            return False
    return True


def filtered_entries(
    sources: Sources, type_name: str, filters: Sequence[Filter], reads: Iterable[str] = ()
) -> Iterator[tuple[str, Entry]]:
    """(instance, entry) of the type's entries that pass every filter on that type; the caller
    reads only the attributes ``reads`` of them."""
    own = [f for f in filters if f.type_name == type_name and not f.is_type_filter]
    read = {f.attribute for f in own} | set(reads)
    indexed = read <= INDEXED_ATTRIBUTES
    entries = sources.entries(type_name, name_range(own, type_name), with_content=not indexed)
    for instance_id, entry in entries:
        if passing(entry, own):
            yield instance_id, entry


def selected(
    sources: Sources, filters: Sequence[Filter], candidates: set[str] | None
) -> set[str] | None:
    """The instances (of ``candidates``) every filter selects; None when neither filters nor
    candidates restrict them."""
    chosen = candidates
    for f in filters:
        if f.is_type_filter:
            matching = sources.holders(f.values)
        elif f.op == NOT_EQUAL:
            excluded = _instances_with(sources, Filter(f.type_name, f.attribute, EQUAL, f.values))
            base = chosen if chosen is not None else set(sources.hosts())
            matching = base - excluded
        else:
            matching = _instances_with(sources, f)
        chosen = matching if chosen is None else chosen & matching
    return chosen


def _instances_with(sources: Sources, f: Filter) -> set[str]:
    """The instances with an entry that the filter (not NotEqual) passes. For a Name filter on
    a stored type the database answers from the index; only entries whose Name was too long
    to index are read."""
    names = name_range([f], f.type_name)
    if names is None or f.type_name in FLEET_TYPES:
        return {i for i, _ in filtered_entries(sources, f.type_name, [f])}
    found = counts.instances_named(sources.conn, sources.scope, f.type_name, names)
    unindexed = sources.entries(f.type_name, NameRange())
    return found | {i for i, entry in unindexed if passing(entry, [f])}
