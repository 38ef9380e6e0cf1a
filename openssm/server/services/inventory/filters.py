"""Inventory filters (GetInventory, aggregator groups, ListInventoryEntries), pure.

A filter names ``<TypeName>.<Attribute>`` (or ``TypeName`` alone, with Exists: the
instance holds data of one of the Values' types) and compares the attribute of a type's
entries with its Values:

- Equal / BeginWith: some entry's value equals / starts with one of the values;
- NotEqual: no entry's value equals one of the values (an instance without the attribute
  matches: it has none of them);
- LessThan / GreaterThan: some entry's value is below / above the value, compared as numbers
  when both are numbers, else as text;
- Exists: some entry has the attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openssm.errors import InvalidFilter

TYPE_NAME_KEY = "TypeName"
EQUAL, NOT_EQUAL, BEGIN_WITH = "Equal", "NotEqual", "BeginWith"
LESS_THAN, GREATER_THAN, EXISTS = "LessThan", "GreaterThan", "Exists"


@dataclass(frozen=True, slots=True)
class Filter:
    """``attribute`` is "" for a ``TypeName`` filter, whose ``values`` are type names."""

    type_name: str
    attribute: str
    op: str
    values: tuple[str, ...]

    @property
    def is_type_filter(self) -> bool:
        return not self.attribute


def parse_filter(raw: Mapping[str, Any]) -> Filter:
    key: str = raw["Key"]
    values = tuple(raw["Values"])
    op: str = raw.get("Type") or EQUAL
    if key == TYPE_NAME_KEY:
        if op != EXISTS:
            raise InvalidFilter(f"A filter on {TYPE_NAME_KEY} takes Type {EXISTS}, not {op}.")
        return Filter("", "", op, values)
    type_name, dot, attribute = key.rpartition(".")
    if not dot or not type_name or not attribute:
        raise InvalidFilter(
            f"Filter key {key[:200]!r} is not valid: use <TypeName>.<Attribute>, for example "
            "AWS:Application.Name."
        )
    if op in (LESS_THAN, GREATER_THAN) and len(values) != 1:
        raise InvalidFilter(f"A {op} filter takes exactly one value; {key} has {len(values)}.")
    return Filter(type_name, attribute, op, values)


def parse_entry_filter(raw: Mapping[str, Any], type_name: str) -> Filter:
    """A ListInventoryEntries filter: its Key is the attribute name alone."""
    key: str = raw["Key"]
    attribute = key.rpartition(".")[2] if key.startswith(type_name + ".") else key
    return parse_filter({**raw, "Key": f"{type_name}.{attribute}"})


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(value: str, bound: str) -> int:
    a, b = _number(value), _number(bound)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    return (value > bound) - (value < bound)


def value_matches(value: str | None, f: Filter) -> bool:
    """One entry's attribute value against a positive filter (every op but NotEqual)."""
    if value is None:
        return False
    if f.op == EXISTS:
        return True
    if f.op in (EQUAL, NOT_EQUAL):
        return value in f.values
    if f.op == BEGIN_WITH:
        return any(value.startswith(v) for v in f.values)
    if f.op == LESS_THAN:
        return _compare(value, f.values[0]) < 0
    return _compare(value, f.values[0]) > 0


def entry_matches(entry: Mapping[str, str], f: Filter) -> bool:
    """Whether an entry belongs in a filtered listing of its type."""
    value = entry.get(f.attribute)
    if f.op == NOT_EQUAL:
        return value not in f.values
    return value_matches(value, f)
