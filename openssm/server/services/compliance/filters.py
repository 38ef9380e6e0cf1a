"""ComplianceStringFilter lists, checked and turned into column conditions. Pure.

Each filter names a key (ComplianceType, Status, Severity, ExecutionTime, …), a Type and
1 to 20 values:
- EQUAL matches any of the values, NOT_EQUAL none of them, BEGIN_WITH any as a prefix;
- LESS_THAN and GREATER_THAN compare ExecutionTime (the only ordered key) with one time,
  given as epoch seconds or ISO 8601 (``2024-05-01T10:00:00Z``), strictly.
Filters are ANDed. A key the operation does not know, an operator the key does not take, or
a status or severity that does not exist is InvalidFilter, naming what would be valid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from openssm.errors import InvalidFilter
from openssm.server.services.compliance.rollup import SEVERITIES, STATUSES
from openssm.server.store.compliance.repo import (
    BEGIN_WITH,
    EQUAL,
    GREATER_THAN,
    LESS_THAN,
    Condition,
)

_ORDERED = (LESS_THAN, GREATER_THAN)
EXECUTION_TIME = "execution_time"

# Filter keys shared by items and summaries → the column they compare.
_COMMON_KEYS = {
    "ComplianceType": "compliance_type",
    "Status": "status",
    "ResourceId": "resource_id",
    "ResourceType": "resource_type",
    "ExecutionId": "execution_id",
    "ExecutionType": "execution_type",
    "ExecutionTime": EXECUTION_TIME,
}
ITEM_KEYS: Mapping[str, str] = {
    **_COMMON_KEYS,
    "Severity": "severity",
    "Id": "item_id",
    "Title": "title",
}
SUMMARY_KEYS: Mapping[str, str] = {**_COMMON_KEYS, "OverallSeverity": "overall_severity"}
_ENUMS = {"status": STATUSES, "severity": SEVERITIES, "overall_severity": SEVERITIES}


def parse_filters(
    raw: Sequence[Mapping[str, Any]] | None, keys: Mapping[str, str]
) -> list[Condition]:
    """The operation's filters as Conditions; InvalidFilter for anything they can't mean."""
    return [_condition(f, keys) for f in raw or ()]


def _condition(raw: Mapping[str, Any], keys: Mapping[str, str]) -> Condition:
    key = raw.get("Key")
    column = keys.get(key) if isinstance(key, str) else None
    if column is None:
        raise InvalidFilter(
            f"The filter key {key!r} is not valid here; use one of: " + ", ".join(sorted(keys))
        )
    values = list(raw.get("Values") or ())
    if not values:
        raise InvalidFilter(f"The filter {key} needs at least one value.")
    operator = raw.get("Type") or EQUAL
    if operator in _ORDERED:
        if column != EXECUTION_TIME:
            raise InvalidFilter(
                f"The filter {key} can't use {operator}: only ExecutionTime is ordered."
            )
        if len(values) != 1:
            raise InvalidFilter(f"The filter {key} with {operator} takes exactly one value.")
    if column == EXECUTION_TIME:
        if operator == BEGIN_WITH:
            raise InvalidFilter("The filter ExecutionTime can't use BEGIN_WITH.")
        return Condition(column, operator, tuple(_time(str(key), str(v)) for v in values))
    allowed = _ENUMS.get(column)
    if allowed is not None and operator != BEGIN_WITH:
        wrong = [v for v in values if v not in allowed]
        if wrong:
            raise InvalidFilter(
                f"The filter {key} has the value {wrong[0]!r}; valid values: " + ", ".join(allowed)
            )
    return Condition(column, operator, tuple(str(v) for v in values))


def _time(key: str, value: str) -> dt.datetime:
    text = value.strip()
    try:
        return dt.datetime.fromtimestamp(float(text), dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilter(
            f"The filter {key} has the value {value!r}, which is not a time: use epoch "
            "seconds or ISO 8601 such as 2024-05-01T10:00:00Z."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
