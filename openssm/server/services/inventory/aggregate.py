"""GetInventory's aggregators: counts of instances by attribute values, and groups.

An aggregator's Expression ``<TypeName>.<Attribute>`` counts, for each value, the instances
with an entry holding it; nested aggregators add attributes, so ``AWS:Application.Name``
over ``AWS:Application.Version`` counts instances per (name, version). Attributes of one type
come from the same entry (openssl with openssl's version, never another package's);
attributes of different types combine per instance. Filters on an aggregated type also
select which of its entries count. A Group counts the instances its filters select
(``matchingCount``) and the others (``notMatchingCount``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from openssm.errors import InvalidAggregatorException, InvalidInventoryGroupException
from openssm.server.services.inventory.filters import NOT_EQUAL, Filter
from openssm.server.services.inventory.query import (
    checked_filters,
    filtered_entries,
    name_range,
    passing,
    schema_of,
    selected,
)
from openssm.server.services.inventory.sources import (
    FLEET_TYPES,
    INDEXED_ATTRIBUTES,
    Sources,
    StoredEntry,
)
from openssm.server.store.inventory import counts as counts_repo
from openssm.server.store.inventory.repo import Scope

MAX_DEPTH = 10
COUNT = "Count"


@dataclass(frozen=True, slots=True)
class Dimension:
    type_name: str
    attribute: str


def _dimension(conn: Connection, scope: Scope, expression: str) -> Dimension:
    type_name, dot, attribute = expression.rpartition(".")
    if not dot or not type_name or not attribute:
        raise InvalidAggregatorException(
            f"Aggregator expression {expression[:200]!r} is not valid: use "
            "<TypeName>.<Attribute>, for example AWS:Application.Version."
        )
    schema = schema_of(conn, scope, type_name)
    if attribute not in schema.attributes:
        raise InvalidAggregatorException(
            f"{type_name} has no attribute {attribute[:64]!r} to aggregate on."
        )
    return Dimension(type_name, attribute)


def _chains(
    conn: Connection, scope: Scope, raw: Mapping[str, Any], prefix: tuple[Dimension, ...]
) -> list[tuple[Dimension, ...]]:
    """Every path of expressions from this aggregator to its innermost ones."""
    if len(prefix) >= MAX_DEPTH:
        raise InvalidAggregatorException(f"Aggregators nest at most {MAX_DEPTH} deep.")
    chain = (*prefix, _dimension(conn, scope, raw["Expression"]))
    nested = raw.get("Aggregators") or []
    if not nested:
        return [chain]
    return [c for inner in nested for c in _chains(conn, scope, inner, chain)]


def _count(
    sources: Sources,
    chain: tuple[Dimension, ...],
    filters: Sequence[Filter],
    chosen: set[str] | None,
) -> list[dict[str, str]]:
    by_type: dict[str, list[str]] = {}
    for d in chain:
        by_type.setdefault(d.type_name, []).append(d.attribute)
    counts: Counter[tuple[str, ...]] | None = None
    if len(by_type) == 1 and chosen is None:
        [(type_name, attributes)] = by_type.items()
        counts = _count_in_store(sources, type_name, attributes, filters)
    if counts is None:
        counts = _count_entries(sources, by_type, filters, chosen)
    names = [a for attributes in by_type.values() for a in attributes]
    return [
        {COUNT: str(n), **dict(zip(names, values, strict=True))}
        for values, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _count_entries(
    sources: Sources,
    by_type: Mapping[str, list[str]],
    filters: Sequence[Filter],
    chosen: set[str] | None,
) -> Counter[tuple[str, ...]]:
    """Instances per combination of the types' attribute values, from their entries."""
    per_instance: dict[str, list[set[tuple[str, ...]]]] = {}
    for position, (type_name, attributes) in enumerate(by_type.items()):
        for instance_id, entry in filtered_entries(sources, type_name, filters, attributes):
            if chosen is not None and instance_id not in chosen:
                continue
            values = tuple(entry.get(a) for a in attributes)
            if any(v is None for v in values):
                continue
            slots = per_instance.setdefault(instance_id, [set() for _ in by_type])
            slots[position].add(values)  # type: ignore[arg-type]  # None ruled out above
    counts: Counter[tuple[str, ...]] = Counter()
    for slots in per_instance.values():
        for combination in itertools.product(*slots):
            counts[tuple(v for part in combination for v in part)] += 1
    return counts


def _count_in_store(
    sources: Sources, type_name: str, attributes: list[str], filters: Sequence[Filter]
) -> Counter[tuple[str, ...]] | None:
    """What ``_count_entries`` counts for one stored type's Name and Version, counted by the
    database from the indexed columns; None when only reading the entries answers (another
    attribute, or a filter on the type the index cannot apply).

    Entries with a column NULL (a value too long to index) are read and counted here; a value
    too long to index cannot equal an indexed one, so they add to the database's counts
    without counting an instance twice, unless every counted attribute of such an entry is
    indexed (a long Name, counted by Version alone): then the entries are read after all."""
    own = [f for f in filters if f.type_name == type_name and not f.is_type_filter]
    names = name_range(own, type_name)
    if (
        type_name in FLEET_TYPES
        or not set(attributes) <= INDEXED_ATTRIBUTES
        or len(own) != (0 if names is None else 1)
    ):
        return None
    store, scope = sources.conn, sources.scope
    per_instance: dict[str, set[tuple[str, ...]]] = {}
    for row in counts_repo.unindexed_entries(store, scope, type_name, attributes, names):
        entry = StoredEntry(row)
        values = tuple(entry.get(a) for a in attributes)
        if not passing(entry, own) or any(v is None for v in values):
            continue
        if all(entry.indexed(a) for a in attributes):
            return None
        per_instance.setdefault(row.instance_id, set()).add(values)  # type: ignore[arg-type]
    counts = Counter(counts_repo.instance_counts(store, scope, type_name, attributes, names))
    for found in per_instance.values():
        counts.update(found)
    return counts


def _groups(
    conn: Connection,
    scope: Scope,
    sources: Sources,
    groups: Sequence[Mapping[str, Any]],
    chosen: set[str] | None,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    base = chosen if chosen is not None else set(sources.hosts())
    for group in groups:
        name = group["Name"]
        if name in data:
            raise InvalidInventoryGroupException(f"Two groups are named {name[:200]!r}.")
        filters = checked_filters(conn, scope, group["Filters"])
        matching = selected(sources, filters, set(base)) or set()
        data[name] = {
            "TypeName": name,
            "SchemaVersion": "1.0",
            "Content": [
                {"notMatchingCount": str(len(base - matching))},
                {"matchingCount": str(len(matching))},
            ],
        }
    return data


def aggregate(
    conn: Connection,
    scope: Scope,
    sources: Sources,
    aggregators: Sequence[Mapping[str, Any]],
    filters: Sequence[Filter],
) -> dict[str, Any]:
    """The single entity's Data: one result item per aggregated type and per group."""
    data: dict[str, Any] = {}
    for raw in aggregators:
        if raw.get("Groups"):
            if raw.get("Expression"):
                raise InvalidAggregatorException(
                    "An aggregator has either an Expression or Groups, not both."
                )
            data.update(
                _groups(conn, scope, sources, raw["Groups"], selected(sources, filters, None))
            )
            continue
        if not raw.get("Expression"):
            raise InvalidAggregatorException("An aggregator needs an Expression or Groups.")
        for chain in _chains(conn, scope, raw, ()):
            type_name = chain[0].type_name
            result = data.setdefault(
                type_name,
                {
                    "TypeName": type_name,
                    "SchemaVersion": schema_of(conn, scope, type_name).version,
                    "Content": [],
                },
            )
            # A filter on a type the chain counts is applied to the entries counted; only the
            # others need a pass of their own to select instances.
            counted = {d.type_name for d in chain}
            others = [
                f
                for f in filters
                if f.is_type_filter or f.type_name not in counted or f.op == NOT_EQUAL
            ]
            chosen = selected(sources, others, None)
            result["Content"].extend(_count(sources, chain, filters, chosen))
    return data
