"""DescribeInstanceInformation filters → store conditions (AWS API reference rules):
the two filter styles exclude each other, keys and values are checked, tag filters map to
tag conditions, and ResourceType takes one value."""

from __future__ import annotations

from typing import Any

import pytest

from openssm.errors import (
    InvalidFilterKey,
    InvalidInstanceInformationFilterValue,
    ValidationException,
)
from openssm.server.services.fleet.filters import filter_conditions
from openssm.server.store.fleet.instances import ColumnIn, NoMatch, PingStatusIn, TagIn, TagKeyIn


def _string(key: str, *values: str) -> list[dict[str, Any]]:
    return [{"Key": key, "Values": list(values)}]


@pytest.mark.parametrize(
    ("key", "values", "expected"),
    [
        ("InstanceIds", ["mi-1"], ColumnIn("instance_id", frozenset({"mi-1"}))),
        ("SourceIds", ["mi-1"], ColumnIn("instance_id", frozenset({"mi-1"}))),
        ("AgentVersion", ["1.0.0"], ColumnIn("agent_version", frozenset({"1.0.0"}))),
        ("PlatformTypes", ["Linux"], ColumnIn("platform_type", frozenset({"Linux"}))),
        ("PlatformType", ["Linux"], ColumnIn("platform_type", frozenset({"Linux"}))),
        ("ActivationIds", ["a"], ColumnIn("activation_id", frozenset({"a"}))),
        ("IamRole", ["r"], ColumnIn("iam_role", frozenset({"r"}))),
        ("PingStatus", ["Online"], PingStatusIn(frozenset({"Online"}))),
        ("ResourceType", ["EC2Instance"], NoMatch()),
        ("SourceTypes", ["AWS::IoT::Thing"], NoMatch()),
        ("AssociationStatus", ["Success"], NoMatch()),
        ("tag-key", ["env"], TagKeyIn(frozenset({"env"}))),
        ("tag:env", ["prod", "dev"], TagIn("env", frozenset({"prod", "dev"}))),
    ],
)
def test_string_filter_conditions(key: str, values: list[str], expected: object) -> None:
    conditions, _ = filter_conditions(None, _string(key, *values))
    assert conditions == [expected]


def test_filters_that_hold_for_every_managed_instance_add_no_condition() -> None:
    conditions, _ = filter_conditions(None, _string("ResourceType", "ManagedInstance"))
    assert conditions == []
    conditions, _ = filter_conditions(None, _string("SourceTypes", "AWS::SSM::ManagedInstance"))
    assert conditions == []


def test_named_instance_ids_are_collected_from_both_styles() -> None:
    _, named = filter_conditions([{"key": "InstanceIds", "valueSet": ["mi-1", "mi-2"]}], None)
    assert named == {"mi-1", "mi-2"}
    _, named = filter_conditions(None, _string("InstanceIds", "mi-3"))
    assert named == {"mi-3"}


def test_both_filter_styles_at_once_are_refused() -> None:
    with pytest.raises(ValidationException):
        filter_conditions(
            [{"key": "PingStatus", "valueSet": ["Online"]}], _string("PingStatus", "Online")
        )


@pytest.mark.parametrize("key", ["Color", "tag:", "Tag:env", "platformtypes"])
def test_unknown_keys_are_refused(key: str) -> None:
    with pytest.raises(InvalidFilterKey):
        filter_conditions(None, _string(key, "x"))


@pytest.mark.parametrize(
    ("key", "values"),
    [
        ("PingStatus", ["Sleeping"]),
        ("PlatformTypes", ["linux"]),
        ("ResourceType", ["Document"]),
        ("ResourceType", ["ManagedInstance", "EC2Instance"]),
        ("AssociationStatus", ["Done"]),
        ("SourceTypes", ["AWS::S3::Bucket"]),
    ],
)
def test_invalid_values_are_refused(key: str, values: list[str]) -> None:
    with pytest.raises(InvalidInstanceInformationFilterValue):
        filter_conditions(None, _string(key, *values))
