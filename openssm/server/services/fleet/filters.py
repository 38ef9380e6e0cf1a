"""DescribeInstanceInformation's two filter styles, turned into store conditions. Pure.

AWS's rules (API reference): InstanceInformationFilterList (legacy, keys from a fixed enum) and
Filters (string keys, plus ``tag:<key>`` and ``tag-key``) cannot be used together; a key AWS
does not know is InvalidFilterKey; a value outside a key's set is
InvalidInstanceInformationFilterValue, e.g. "ResourceType filter may contain only one value.".
Filters are ANDed. Tag filters may be combined with the others here (AWS's documentation
says they cannot; combining is the more useful reading and breaks no caller).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openssm.errors import (
    InvalidFilterKey,
    InvalidInstanceInformationFilterValue,
    ValidationException,
)
from openssm.server.store.fleet.instances import (
    ColumnIn,
    Condition,
    NoMatch,
    PingStatusIn,
    TagIn,
    TagKeyIn,
)

RESOURCE_TYPE = "ManagedInstance"
SOURCE_TYPE = "AWS::SSM::ManagedInstance"
PING_STATUSES = ("ConnectionLost", "Inactive", "Online")
PLATFORM_TYPES = ("Linux", "MacOS", "Windows")
RESOURCE_TYPES = ("EC2Instance", "ManagedInstance")
ASSOCIATION_STATUSES = ("Failed", "Pending", "Success")
SOURCE_TYPES = ("AWS::EC2::Instance", "AWS::IoT::Thing", SOURCE_TYPE)
_COLUMN_KEYS = {
    "InstanceIds": "instance_id",
    "SourceIds": "instance_id",
    "AgentVersion": "agent_version",
    "ActivationIds": "activation_id",
    "IamRole": "iam_role",
}
LEGACY_KEYS = (
    "InstanceIds",
    "AgentVersion",
    "PingStatus",
    "PlatformTypes",
    "ActivationIds",
    "IamRole",
    "ResourceType",
    "AssociationStatus",
)
STRING_KEYS = (
    *LEGACY_KEYS,
    "PlatformType",
    "SourceIds",
    "SourceTypes",
    "tag-key",
    "tag:<key>",
)


def _check_values(key: str, values: Sequence[str], allowed: Sequence[str]) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise InvalidInstanceInformationFilterValue(
            f"{key} filter is invalid, valid values are {', '.join(allowed)}"
        )


def _condition(key: str, values: Sequence[str]) -> Condition | None:
    """The store condition for one filter; None when it holds for every managed instance."""
    if key in _COLUMN_KEYS:
        return ColumnIn(_COLUMN_KEYS[key], frozenset(values))
    if key == "PingStatus":
        _check_values(key, values, PING_STATUSES)
        return PingStatusIn(frozenset(values))
    if key in ("PlatformTypes", "PlatformType"):
        _check_values(key, values, PLATFORM_TYPES)
        return ColumnIn("platform_type", frozenset(values))
    if key == "ResourceType":
        if len(values) > 1:
            raise InvalidInstanceInformationFilterValue(
                "ResourceType filter may contain only one value."
            )
        _check_values(key, values, RESOURCE_TYPES)
        return None if values[0] == RESOURCE_TYPE else NoMatch()
    if key == "SourceTypes":
        _check_values(key, values, SOURCE_TYPES)
        return None if SOURCE_TYPE in values else NoMatch()
    if key == "AssociationStatus":
        _check_values(key, values, ASSOCIATION_STATUSES)
        # No instance has an association status until State Manager gives it one.
        return NoMatch()
    if key == "tag-key":
        return TagKeyIn(frozenset(values))
    if key.startswith("tag:") and len(key) > len("tag:"):
        return TagIn(key[len("tag:") :], frozenset(values))
    raise InvalidFilterKey(
        f"The filter key {key!r} is not valid. Valid keys are: {', '.join(STRING_KEYS)}."
    )


def filter_conditions(
    legacy: Sequence[Mapping[str, Any]] | None, string: Sequence[Mapping[str, Any]] | None
) -> tuple[list[Condition], set[str]]:
    """Conditions of either filter style, and the instance ids a filter names explicitly."""
    if legacy and string:
        raise ValidationException(
            "InstanceInformationFilterList and Filters cannot be used in the same request; "
            "use Filters."
        )
    pairs: list[tuple[str, list[str]]] = []
    for item in legacy or ():
        if item["key"] not in LEGACY_KEYS:
            raise InvalidFilterKey(f"The filter key {item['key']!r} is not valid.")
        pairs.append((item["key"], list(item["valueSet"])))
    pairs.extend((item["Key"], list(item["Values"])) for item in string or ())
    conditions: list[Condition] = []
    named: set[str] = set()
    for key, values in pairs:
        if key == "InstanceIds":
            named.update(values)
        condition = _condition(key, values)
        if condition is not None:
            conditions.append(condition)
    return conditions, named
