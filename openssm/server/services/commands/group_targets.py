"""Run Command's resource-group targets, as fleet conditions.

- ``resource-groups:Name`` (exactly one group name): the managed nodes that are members of the
  group, that is its tag query applied to the nodes' tags (every tag key of the query, each
  with one of its values, or any value when the key lists none). A group whose
  ResourceTypeFilters hold no node type has no nodes among its members.
- ``resource-groups:ResourceTypeFilters`` (1 to 5 types ``AWS::Service::Type``): the nodes if
  one of the types is a node type, else none. With ``resource-groups:Name`` it narrows the
  group's members to those types; alone it names every node, as a maintenance window's
  target of a resource type names every resource of it in the region.

Node types: an openssm managed node is ``AWS::SSM::ManagedInstance`` and also answers to
``AWS::EC2::Instance`` (a host running EC2 and registered here is a node like any other, its
tags are the node's tags); ``AWS::AllSupported`` includes both. Every other type (S3 buckets,
databases …) names resources openssm does not hold, so it matches no node.

These keys are ANDed with the command's other target keys, like every key. Pure:
``conditions`` takes a lookup of group queries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from openssm.errors import InvalidParameters
from openssm.server.services.groups.members import NODE_TYPES
from openssm.server.services.groups.query import ALL_SUPPORTED, TagQuery
from openssm.server.store.fleet import instances as fleet_rows

KEY_PREFIX = "resource-groups:"
NAME_KEY = "resource-groups:Name"
TYPES_KEY = "resource-groups:ResourceTypeFilters"
MAX_TYPES = 5
_RESOURCE_TYPE = re.compile(r"AWS::[a-zA-Z0-9]+::[a-zA-Z0-9]+")

# A group's query by name, or None when the caller's account and region have no such group.
GroupQueries = Callable[[str], TagQuery | None]


def conditions(
    key: str, values: Sequence[str], groups: GroupQueries
) -> tuple[fleet_rows.Condition, ...]:
    """The fleet conditions of one ``resource-groups:`` target; InvalidParameters for a
    target SendCommand cannot use."""
    if key == NAME_KEY:
        return _group(values, groups)
    if key == TYPES_KEY:
        return _types(values)
    raise InvalidParameters(f"Target key {key!r} is not supported. Use {NAME_KEY} or {TYPES_KEY}.")


def _group(values: Sequence[str], groups: GroupQueries) -> tuple[fleet_rows.Condition, ...]:
    if len(values) != 1:
        raise InvalidParameters(f"Target {NAME_KEY} takes exactly one resource group name.")
    (name,) = values
    query = groups(name)
    if query is None:
        raise InvalidParameters(
            f"Resource group {name!r} does not exist in this account and region."
        )
    if not query.includes_any(NODE_TYPES):
        return (fleet_rows.NoMatch(),)
    return tuple(
        fleet_rows.TagIn(f.key, frozenset(f.values) if f.values else None)
        for f in query.tag_filters
    )


def _types(values: Sequence[str]) -> tuple[fleet_rows.Condition, ...]:
    if len(values) > MAX_TYPES:
        raise InvalidParameters(f"Target {TYPES_KEY} takes at most {MAX_TYPES} resource types.")
    for value in values:
        if value != ALL_SUPPORTED and not _RESOURCE_TYPE.fullmatch(value):
            raise InvalidParameters(
                f"Target {TYPES_KEY}: {value[:64]!r} is not a resource type "
                "(AWS::Service::Type, such as AWS::SSM::ManagedInstance)."
            )
    if ALL_SUPPORTED in values or any(t in values for t in NODE_TYPES):
        return ()
    return (fleet_rows.NoMatch(),)
