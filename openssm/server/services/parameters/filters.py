"""Filters of DescribeParameters and GetParametersByPath: validation and evaluation. Pure.

Owns which filter keys and options each operation accepts (``ParameterStringFilter``
documentation) and what a filter means for one parameter. The store may use the conditions to
narrow a scan, but whatever it returns is checked again here, so both always agree.

- DescribeParameters ``ParameterFilters``: ``Name`` (Equals, BeginsWith, Contains), ``Path``
  (OneLevel, Recursive), ``Type``, ``KeyId``, ``Tier``, ``DataType``, ``tag:<key>`` (Equals,
  BeginsWith); ``Label`` is not allowed. Legacy ``Filters`` (``Name`` as BeginsWith, ``Type``
  and ``KeyId`` as Equals) cannot be combined with ``ParameterFilters``.
- GetParametersByPath ``ParameterFilters``: ``Type``, ``KeyId`` (Equals, BeginsWith) and
  ``Label`` (Equals only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from openssm.errors import (
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    ValidationException,
)
from openssm.server.services.parameters.names import key_of

EQUALS = "Equals"
BEGINS_WITH = "BeginsWith"
CONTAINS = "Contains"
ONE_LEVEL = "OneLevel"
RECURSIVE = "Recursive"

_TYPES = ("String", "StringList", "SecureString")
_TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
_DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
_ALLOWED_VALUES: Mapping[str, tuple[str, ...]] = {
    "Type": _TYPES,
    "Tier": _TIERS,
    "DataType": _DATA_TYPES,
}
_DESCRIBE_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "Name": (EQUALS, BEGINS_WITH, CONTAINS),
    "Path": (RECURSIVE, ONE_LEVEL),
    "Type": (EQUALS, BEGINS_WITH),
    "KeyId": (EQUALS, BEGINS_WITH),
    "Tier": (EQUALS, BEGINS_WITH),
    "DataType": (EQUALS, BEGINS_WITH),
}
_BY_PATH_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "Type": (EQUALS, BEGINS_WITH),
    "KeyId": (EQUALS, BEGINS_WITH),
    "Label": (EQUALS,),
}
_TAG_OPTIONS = (EQUALS, BEGINS_WITH)
BOTH_FILTERS_MESSAGE = "You can use either Filters or ParameterFilters in a single request."


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter, normalized: Name and Path values are keys (leading ``/``)."""

    key: str
    option: str
    values: tuple[str, ...]

    @property
    def tag_key(self) -> str | None:
        return self.key[4:] if self.key.startswith("tag:") else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """What a filter can look at in one parameter (its current version, unless labelled)."""

    key: str
    type: str
    key_id: str | None
    tier: str
    data_type: str
    labels: Set[str] = field(default_factory=frozenset)
    tags: Mapping[str, str] = field(default_factory=dict)


def describe_conditions(
    parameter_filters: Sequence[Mapping[str, Any]] | None,
    legacy_filters: Sequence[Mapping[str, Any]] | None,
) -> list[Condition]:
    """Validate DescribeParameters' filters into conditions (all of which must hold)."""
    if parameter_filters and legacy_filters:
        raise ValidationException(BOTH_FILTERS_MESSAGE)
    if legacy_filters:
        return [_legacy(f) for f in legacy_filters]
    return [_condition(f, _DESCRIBE_OPTIONS, allow_tags=True) for f in parameter_filters or ()]


def by_path_conditions(parameter_filters: Sequence[Mapping[str, Any]] | None) -> list[Condition]:
    """Validate GetParametersByPath's filters into conditions (all of which must hold)."""
    return [_condition(f, _BY_PATH_OPTIONS, allow_tags=False) for f in parameter_filters or ()]


def _legacy(item: Mapping[str, Any]) -> Condition:
    key: str = item["Key"]
    values = tuple(item["Values"])
    if key == "Name":
        _check_values(key, BEGINS_WITH, values)
        return Condition(key, BEGINS_WITH, tuple(key_of(v) for v in values))
    _check_values(key, EQUALS, values)
    return Condition(key, EQUALS, values)


def _condition(
    item: Mapping[str, Any], options: Mapping[str, tuple[str, ...]], *, allow_tags: bool
) -> Condition:
    key: str = item["Key"]
    is_tag = key.startswith("tag:")
    allowed: tuple[str, ...]
    if is_tag and allow_tags:
        allowed = _TAG_OPTIONS
    elif key in options:
        allowed = options[key]
    else:
        raise InvalidFilterKey(f"The following filter key is not valid: {key}")
    option: str = item.get("Option") or (ONE_LEVEL if key == "Path" else EQUALS)
    if option not in allowed:
        raise InvalidFilterOption(
            f"The following filter option is not valid: {option}. "
            f"Valid options include: [{', '.join(allowed)}]."
        )
    values = tuple(item.get("Values") or ())
    if not values and not is_tag:
        raise InvalidFilterValue(
            f"The following filter values are missing : null for filterKey: {key}"
        )
    _check_values(key, option, values)
    if key == "Name":
        values = tuple(key_of(v) for v in values) if option != CONTAINS else values
    elif key == "Path":
        values = tuple(_path_value(v) for v in values)
    return Condition(key, option, values)


def _check_values(key: str, option: str, values: Iterable[str]) -> None:
    allowed = _ALLOWED_VALUES.get(key)
    for value in values:
        if "\x00" in value:
            # Nothing stored holds a NUL, and PostgreSQL can't compare one: refused, not a 500.
            raise InvalidFilterValue(
                f"The following filter value is not valid for filterKey {key}: it contains "
                "the NUL character (U+0000)."
            )
        if allowed is not None and option == EQUALS and value not in allowed:
            raise InvalidFilterValue(
                f"The following filter value is not valid: {value}. "
                f"Valid values include: [{', '.join(allowed)}]."
            )


def _path_value(value: str) -> str:
    if not value.startswith("/"):
        raise InvalidFilterValue(
            f"The following filter value is not valid: {value}. A Path must begin with /."
        )
    return value.rstrip("/") or "/"


def within(key: str, path: str, *, recursive: bool) -> bool:
    """Whether a parameter key sits under a path key: its direct child or any descendant."""
    prefix = path if path == "/" else path + "/"
    if not key.startswith(prefix) or key == prefix:
        return False
    return recursive or "/" not in key[len(prefix) :]


def _text_matches(option: str, actual: str | None, values: Sequence[str]) -> bool:
    if actual is None:
        return False
    if option == EQUALS:
        return actual in values
    if option == BEGINS_WITH:
        return any(actual.startswith(v) for v in values)
    return any(v in actual for v in values)


def matches(condition: Condition, subject: Subject) -> bool:
    """Whether one parameter satisfies one condition."""
    key, option, values = condition.key, condition.option, condition.values
    if key == "Path":
        return any(within(subject.key, v, recursive=option == RECURSIVE) for v in values)
    if key == "Label":
        return any(v in subject.labels for v in values)
    tag = condition.tag_key
    if tag is not None:
        if tag not in subject.tags:
            return False
        return not values or _text_matches(option, subject.tags[tag], values)
    actual = {
        "Name": subject.key,
        "Type": subject.type,
        "KeyId": subject.key_id,
        "Tier": subject.tier,
        "DataType": subject.data_type,
    }[key]
    return _text_matches(option, actual, values)


def matches_all(conditions: Iterable[Condition], subject: Subject) -> bool:
    return all(matches(c, subject) for c in conditions)


def needs_tags(conditions: Iterable[Condition]) -> bool:
    return any(c.tag_key is not None for c in conditions)


def needs_labels(conditions: Iterable[Condition]) -> bool:
    return any(c.key == "Label" for c in conditions)


def label_values(conditions: Iterable[Condition]) -> set[str]:
    return {v for c in conditions if c.key == "Label" for v in c.values}
