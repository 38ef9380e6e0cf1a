"""Filters of DescribeParameters and GetParametersByPath (``ParameterStringFilter``
documentation: keys, options and values each operation accepts, and what they select)."""

from __future__ import annotations

from typing import Any

import pytest

from openssm.errors import (
    ApiError,
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    ValidationException,
)
from openssm.server.services.parameters import filters as pf
from openssm.server.services.parameters.filters import Condition, Subject


def subject(key: str = "/app/db/host", **kw: Any) -> Subject:
    base: dict[str, Any] = {
        "key": key, "type": "String", "key_id": None, "tier": "Standard", "data_type": "text",
    }  # fmt: skip
    base.update(kw)
    return Subject(**base)


def f(key: str, *values: str, option: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"Key": key}
    if values:
        item["Values"] = list(values)
    if option:
        item["Option"] = option
    return item


def test_both_filter_kinds_together_are_refused() -> None:
    with pytest.raises(ValidationException) as caught:
        pf.describe_conditions([f("Type", "String")], [{"Key": "Type", "Values": ["String"]}])
    assert caught.value.message == pf.BOTH_FILTERS_MESSAGE


@pytest.mark.parametrize(
    ("filters", "error"),
    [
        ([f("Label", "prod")], InvalidFilterKey),  # Label is for GetParametersByPath only
        ([f("Name", "x", option="Recursive")], InvalidFilterOption),
        ([f("Type", "String", option="Contains")], InvalidFilterOption),  # Contains: Name only
        ([f("Path", "/a", option="Equals")], InvalidFilterOption),
        ([f("tag:env", "x", option="Contains")], InvalidFilterOption),
        ([f("Type", "Strings")], InvalidFilterValue),
        ([f("Tier", "Premium")], InvalidFilterValue),
        ([f("DataType", "TEXT")], InvalidFilterValue),
        ([f("Path", "relative")], InvalidFilterValue),
        ([f("Name")], InvalidFilterValue),  # values are required except for tag:
    ],
)
def test_describe_conditions_refuse_bad_keys_options_values(
    filters: list[dict[str, Any]], error: type[ApiError]
) -> None:
    with pytest.raises(error):
        pf.describe_conditions(filters, None)


@pytest.mark.parametrize(
    "filters",
    [[f("tag:env", "x")], [f("Name", "x")], [f("Path", "/")], [f("Tier", "Standard")],
     [f("DataType", "text")]],
)  # fmt: skip
def test_by_path_conditions_refuse_describe_only_keys(filters: list[dict[str, Any]]) -> None:
    """Not for GetParametersByPath: tag, DataType, Name, Path and Tier."""
    with pytest.raises(InvalidFilterKey):
        pf.by_path_conditions(filters)


def test_by_path_label_allows_only_equals() -> None:
    with pytest.raises(InvalidFilterOption):
        pf.by_path_conditions([f("Label", "prod", option="BeginsWith")])


def test_defaults_and_normalized_values() -> None:
    """Option defaults to Equals (OneLevel for Path); Name/Path values become keys."""
    assert pf.describe_conditions([f("Name", "a"), f("Path", "/x/")], None) == [
        Condition("Name", "Equals", ("/a",)),
        Condition("Path", "OneLevel", ("/x",)),
    ]
    assert pf.describe_conditions(None, [{"Key": "Name", "Values": ["pre"]}]) == [
        Condition("Name", "BeginsWith", ("/pre",))
    ]


@pytest.mark.parametrize(
    ("filters", "item", "selected"),
    [
        ([f("Name", "/app/db/host")], subject(), True),
        ([f("Name", "app/db/host")], subject(), True),  # "x" and "/x" name the same parameter
        ([f("Name", "/app/db", option="BeginsWith")], subject(), True),
        ([f("Name", "db/ho", option="Contains")], subject(), True),
        ([f("Name", "nope", option="Contains")], subject(), False),
        ([f("Path", "/app")], subject(), False),  # OneLevel: direct children only
        ([f("Path", "/app/db")], subject(), True),
        ([f("Path", "/app", option="Recursive")], subject(), True),
        ([f("Path", "/", option="Recursive")], subject(), True),
        ([f("Path", "/")], subject("/top"), True),
        ([f("Path", "/app/d", option="Recursive")], subject(), False),  # levels, not prefixes
        ([f("Type", "SecureString")], subject(type="SecureString"), True),
        ([f("Type", "Secure", option="BeginsWith")], subject(type="SecureString"), True),
        ([f("KeyId", "alias/aws/ssm")], subject(), False),  # String has no key
        ([f("KeyId", "alias/aws/ssm")], subject(key_id="alias/aws/ssm"), True),
        ([f("Tier", "Advanced")], subject(tier="Advanced"), True),
        ([f("DataType", "aws:ec2:image")], subject(), False),
        ([f("tag:env", "prod")], subject(tags={"env": "prod"}), True),
        ([f("tag:env", "pr", option="BeginsWith")], subject(tags={"env": "prod"}), True),
        ([f("tag:env")], subject(tags={"env": ""}), True),  # no values: the key is enough
        ([f("tag:env", "prod")], subject(tags={"other": "prod"}), False),
        ([f("Type", "String"), f("Tier", "Advanced")], subject(), False),  # all must hold
    ],
)
def test_describe_filters_select_parameters(
    filters: list[dict[str, Any]], item: Subject, selected: bool
) -> None:
    conditions = pf.describe_conditions(filters, None)
    assert pf.matches_all(conditions, item) is selected


def test_by_path_label_filter_selects_labelled_parameters() -> None:
    conditions = pf.by_path_conditions([f("Label", "prod", "qa")])
    assert pf.needs_labels(conditions)
    assert pf.label_values(conditions) == {"prod", "qa"}
    assert pf.matches_all(conditions, subject(labels=frozenset({"qa"})))
    assert not pf.matches_all(conditions, subject(labels=frozenset({"dev"})))


@pytest.mark.parametrize(
    ("key", "path", "recursive", "inside"),
    [
        ("/a/b", "/a", False, True),
        ("/a/b/c", "/a", False, False),
        ("/a/b/c", "/a", True, True),
        ("/a", "/a", True, False),  # a level is not inside itself
        ("/ab", "/a", True, False),
        ("/x", "/", False, True),
        ("/x/y", "/", False, False),
    ],
)
def test_within(key: str, path: str, recursive: bool, inside: bool) -> None:
    assert pf.within(key, path, recursive=recursive) is inside
