"""A group's resource query: ``TAG_FILTERS_1_0`` parsed and checked the way AWS documents it. Pure.

The query is a JSON string inside the request::

    {"ResourceTypeFilters": ["AWS::SSM::ManagedInstance"],
     "TagFilters": [{"Key": "Env", "Values": ["prod", "stage"]}, {"Key": "Team"}]}

A resource is a member when its type is one of ``ResourceTypeFilters`` (``AWS::AllSupported``,
alone, stands for every type) and it carries every tag key of ``TagFilters`` (AND), each with one
of that key's values (OR) or with any value when the key lists none. ResourceTypeFilters may be
left out, meaning ``AWS::AllSupported``; at least one tag key is required; a query names at most
20 resource types, 50 tag keys and 20 values per key. ``CLOUDFORMATION_STACK_1_0`` queries need
CloudFormation, which openssm does not have: they are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openssm import jsontext
from openssm.errors import BadRequestException

TAG_FILTERS = "TAG_FILTERS_1_0"
ALL_SUPPORTED = "AWS::AllSupported"
MAX_RESOURCE_TYPES = 20
MAX_TAG_KEYS = 50
MAX_VALUES_PER_KEY = 20
_RESOURCE_TYPE = re.compile(r"AWS::[a-zA-Z0-9]+::[a-zA-Z0-9]+")
_QUERY_MEMBERS = frozenset({"ResourceTypeFilters", "TagFilters"})
_FILTER_MEMBERS = frozenset({"Key", "Values"})
_TAG_TEXT = re.compile(r"[\w\s.:/=+\-@]*")
_MAX_KEY = 128
_MAX_VALUE = 256


@dataclass(frozen=True, slots=True)
class TagFilter:
    """A resource must carry ``key``, with one of ``values`` (any value when empty)."""

    key: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TagQuery:
    """A parsed ``TAG_FILTERS_1_0`` query."""

    resource_types: tuple[str, ...]
    tag_filters: tuple[TagFilter, ...]

    def includes_any(self, resource_types: Sequence[str]) -> bool:
        """Whether resources of any of these types can be members."""
        return ALL_SUPPORTED in self.resource_types or any(
            t in self.resource_types for t in resource_types
        )


def _bad(problem: str) -> BadRequestException:
    return BadRequestException(f"Query not valid: {problem}")


def parse(query_type: str, text: str) -> TagQuery:
    """The query of a ResourceQuery; BadRequestException naming what is wrong with it."""
    if query_type != TAG_FILTERS:
        raise BadRequestException(
            f"Query type {query_type} is not supported by openssm; use {TAG_FILTERS}."
        )
    try:
        doc = jsontext.loads(text)
    except jsontext.JsonTooDeep as exc:
        raise _bad(str(exc)) from exc
    except ValueError as exc:
        raise _bad("the query is not a JSON object.") from exc
    if not isinstance(doc, dict):
        raise _bad("the query is not a JSON object.")
    unknown = sorted(set(doc) - _QUERY_MEMBERS)
    if unknown:
        raise _bad(
            f"unknown member {unknown[0][:64]!r}; a query has ResourceTypeFilters and TagFilters."
        )
    return TagQuery(
        resource_types=_resource_types(doc.get("ResourceTypeFilters", [ALL_SUPPORTED])),
        tag_filters=_tag_filters(doc.get("TagFilters")),
    )


def _strings(value: object, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{what} must be a JSON array of strings.")
    return list(value)


def _resource_types(value: object) -> tuple[str, ...]:
    types = _strings(value, "ResourceTypeFilters")
    if not types:
        raise _bad("ResourceTypeFilters must name at least one resource type.")
    if len(types) > MAX_RESOURCE_TYPES:
        raise _bad(f"ResourceTypeFilters can name at most {MAX_RESOURCE_TYPES} resource types.")
    if ALL_SUPPORTED in types and len(types) > 1:
        raise _bad(f"{ALL_SUPPORTED} must be the only item of ResourceTypeFilters.")
    for resource_type in types:
        if resource_type != ALL_SUPPORTED and not _RESOURCE_TYPE.fullmatch(resource_type):
            raise _bad(
                f"resource type {resource_type[:64]!r} is not of the form AWS::Service::Type."
            )
    return tuple(dict.fromkeys(types))


def _tag_filters(value: object) -> tuple[TagFilter, ...]:
    if value is None:
        raise _bad("TagFilters must name at least one tag key.")
    if not isinstance(value, list) or not all(isinstance(f, dict) for f in value):
        raise _bad("TagFilters must be a JSON array of objects with Key and Values.")
    if not value:
        raise _bad("TagFilters must name at least one tag key.")
    if len(value) > MAX_TAG_KEYS:
        raise _bad(f"TagFilters can name at most {MAX_TAG_KEYS} tag keys.")
    filters: dict[str, TagFilter] = {}
    for item in value:
        found = _tag_filter(item)
        if found.key in filters:
            raise _bad(f"tag key {found.key!r} appears in TagFilters more than once.")
        filters[found.key] = found
    return tuple(filters.values())


def _tag_filter(item: Mapping[str, Any]) -> TagFilter:
    unknown = sorted(set(item) - _FILTER_MEMBERS)
    if unknown:
        raise _bad(f"unknown member {unknown[0][:64]!r} in a tag filter; it has Key and Values.")
    key = item.get("Key")
    if not isinstance(key, str) or not 1 <= len(key) <= _MAX_KEY or not _TAG_TEXT.fullmatch(key):
        raise _bad(
            f"each tag filter needs a Key of 1 to {_MAX_KEY} letters, digits, spaces and "
            "_.:/=+-@ characters."
        )
    values = _strings(item.get("Values", []), f"Values of tag key {key!r}")
    if len(values) > MAX_VALUES_PER_KEY:
        raise _bad(f"tag key {key!r} has more than {MAX_VALUES_PER_KEY} values.")
    for text in values:
        if len(text) > _MAX_VALUE or not _TAG_TEXT.fullmatch(text):
            raise _bad(
                f"a value of tag key {key!r} is not up to {_MAX_VALUE} letters, digits, spaces "
                "and _.:/=+-@ characters."
            )
    return TagFilter(key=key, values=tuple(dict.fromkeys(values)))


def resource_types_of(query_type: str, text: str) -> tuple[str, ...]:
    """The resource types of a stored query (for ListGroups' resource-type filter)."""
    return parse(query_type, text).resource_types


def canonical(query: TagQuery) -> str:
    """The query as compact JSON (what is stored beside the caller's text, for lookups)."""
    return json.dumps(
        {
            "ResourceTypeFilters": list(query.resource_types),
            "TagFilters": [{"Key": f.key, "Values": list(f.values)} for f in query.tag_filters],
        },
        separators=(",", ":"),
    )
