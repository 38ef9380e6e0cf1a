"""Run Command's resource-groups:Name and resource-groups:ResourceTypeFilters targets."""

from __future__ import annotations

import pytest

from openssm.errors import InvalidParameters
from openssm.server.services.commands.group_targets import conditions
from openssm.server.services.groups.query import TagFilter, TagQuery
from openssm.server.store.fleet.instances import NoMatch, TagIn

NODES = TagQuery(
    resource_types=("AWS::SSM::ManagedInstance",),
    tag_filters=(TagFilter("Env", ("prod", "stage")), TagFilter("Team", ())),
)
BUCKETS = TagQuery(resource_types=("AWS::S3::Bucket",), tag_filters=(TagFilter("Env", ()),))
EVERYTHING = TagQuery(resource_types=("AWS::AllSupported",), tag_filters=(TagFilter("a", ()),))
EC2 = TagQuery(resource_types=("AWS::EC2::Instance",), tag_filters=(TagFilter("a", ("1",)),))
GROUPS = {"nodes": NODES, "buckets": BUCKETS, "everything": EVERYTHING, "ec2": EC2}


def _conditions(key: str, values: list[str]) -> tuple[object, ...]:
    return conditions(key, values, GROUPS.get)


def test_a_group_becomes_its_tag_filters_anded() -> None:
    assert _conditions("resource-groups:Name", ["nodes"]) == (
        TagIn("Env", frozenset({"prod", "stage"})),
        TagIn("Team", None),
    )


def test_all_supported_and_ec2_groups_include_nodes() -> None:
    assert _conditions("resource-groups:Name", ["everything"]) == (TagIn("a", None),)
    assert _conditions("resource-groups:Name", ["ec2"]) == (TagIn("a", frozenset({"1"})),)


def test_a_group_of_other_resource_types_names_no_node() -> None:
    assert _conditions("resource-groups:Name", ["buckets"]) == (NoMatch(),)


@pytest.mark.parametrize(
    "types",
    [
        ["AWS::SSM::ManagedInstance"],
        ["AWS::S3::Bucket", "AWS::EC2::Instance"],
        ["AWS::AllSupported"],
    ],
)
def test_resource_types_that_include_nodes_add_no_condition(types: list[str]) -> None:
    assert _conditions("resource-groups:ResourceTypeFilters", types) == ()


def test_resource_types_without_a_node_type_name_no_node() -> None:
    assert _conditions("resource-groups:ResourceTypeFilters", ["AWS::S3::Bucket"]) == (NoMatch(),)


@pytest.mark.parametrize(
    ("key", "values", "words"),
    [
        ("resource-groups:Name", ["missing"], "does not exist"),
        ("resource-groups:Name", ["nodes", "ec2"], "exactly one"),
        ("resource-groups:ResourceTypeFilters", [f"AWS::S{i}::T" for i in range(6)], "at most 5"),
        ("resource-groups:ResourceTypeFilters", ["Instances"], "not a resource type"),
        ("resource-groups:Owner", ["x"], "not supported"),
    ],
)
def test_targets_run_command_cannot_use_are_invalid_parameters(
    key: str, values: list[str], words: str
) -> None:
    with pytest.raises(InvalidParameters, match=words):
        _conditions(key, values)
