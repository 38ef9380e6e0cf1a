"""AWS Resource Groups through boto3's resource-groups client against the server's one URL,
on SQLite and PostgreSQL: groups, their tag queries, listing with filters and pages, tags, and
AWS's error names and statuses (issue 10)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from types_boto3_resource_groups.client import ResourceGroupsClient

from tests.aws_errors import error_of
from tests.integration.groups.support import groups_client, tag_query
from tests.support import TEST_ACCOUNT_ID, ServerProcess


def _name(prefix: str = "g") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _arn(name: str, region: str = "us-east-1") -> str:
    return f"arn:aws:resource-groups:{region}:{TEST_ACCOUNT_ID}:group/{name}"


def test_a_group_is_created_read_and_deleted(server: ServerProcess) -> None:
    rg = groups_client(server)
    name = _name()
    query = tag_query({"Env": ["prod", "stage"], "Team": []})
    created = rg.create_group(
        Name=name,
        Description="web tier",
        ResourceQuery=query,
        Tags={"cost-center": "42"},
        Criticality=2,
        Owner="ops",
        DisplayName="Web",
    )
    group = created["Group"]
    assert group["GroupArn"] == _arn(name)
    assert (group["Name"], group["Description"]) == (name, "web tier")
    assert (group["Criticality"], group["Owner"], group["DisplayName"]) == (2, "ops", "Web")
    assert created["ResourceQuery"] == query
    assert created["Tags"] == {"cost-center": "42"}

    assert rg.get_group(Group=name)["Group"] == group
    assert rg.get_group(Group=_arn(name))["Group"] == group
    assert rg.get_group(GroupName=name)["Group"] == group
    got = rg.get_group_query(Group=name)["GroupQuery"]
    assert got == {"GroupName": name, "ResourceQuery": query}
    assert rg.get_tags(Arn=_arn(name))["Tags"] == {"cost-center": "42"}

    assert rg.delete_group(Group=name)["Group"] == group
    missing = error_of(rg.get_group, Group=name)
    assert (missing.code, missing.status) == ("NotFoundException", 404)
    assert name in missing.message
    assert error_of(rg.delete_group, Group=name).code == "NotFoundException"
    # Its tags went with it: a group made again under the name starts bare.
    rg.create_group(Name=name, ResourceQuery=query)
    assert rg.get_tags(Arn=_arn(name))["Tags"] == {}


def test_a_group_and_its_query_are_updated(server: ServerProcess) -> None:
    rg = groups_client(server)
    name = _name()
    rg.create_group(Name=name, Description="before", ResourceQuery=tag_query({"Env": ["a"]}))
    updated = rg.update_group(Group=name, Description="after", Criticality=9)["Group"]
    assert (updated["Description"], updated["Criticality"]) == ("after", 9)
    assert rg.update_group(Group=name, Owner="me")["Group"]["Description"] == "after"

    new_query = tag_query({"Env": ["b"]}, ["AWS::AllSupported"])
    answer = rg.update_group_query(Group=name, ResourceQuery=new_query)["GroupQuery"]
    assert answer == {"GroupName": name, "ResourceQuery": new_query}
    bad = {"Type": "TAG_FILTERS_1_0", "Query": json.dumps({"TagFilters": []})}
    refused = error_of(rg.update_group_query, Group=name, ResourceQuery=bad)
    assert (refused.code, refused.status) == ("BadRequestException", 400)
    assert rg.get_group_query(Group=name)["GroupQuery"]["ResourceQuery"] == new_query
    assert error_of(rg.update_group, Group=_name("none"), Description="x").code == (
        "NotFoundException"
    )


def _own_groups(rg: ResourceGroupsClient, owner: str, **filters: list[str]) -> list[str]:
    wanted = [{"Name": "owner", "Values": [owner]}]
    wanted += [{"Name": k.replace("_", "-"), "Values": v} for k, v in filters.items()]
    names: list[str] = []
    for page in rg.get_paginator("list_groups").paginate(
        Filters=wanted,  # type: ignore[arg-type]  # filter names built from keywords
        PaginationConfig={"PageSize": 2},
    ):
        assert len(page["GroupIdentifiers"]) <= 2
        assert [g["Name"] for g in page["Groups"]] == [
            g["GroupName"] for g in page["GroupIdentifiers"]
        ]
        names += [g["GroupName"] for g in page["GroupIdentifiers"]]
    return names


def test_list_groups_filters_and_pages(server: ServerProcess) -> None:
    rg = groups_client(server)
    owner = uuid.uuid4().hex
    base = _name("list")
    kinds = {
        f"{base}-a": ["AWS::SSM::ManagedInstance"],
        f"{base}-b": ["AWS::EC2::Instance", "AWS::S3::Bucket"],
        f"{base}-c": ["AWS::AllSupported"],
        f"{base}-d": ["AWS::SSM::ManagedInstance"],
        f"{base}-e": ["AWS::S3::Bucket"],
    }
    for i, (name, types) in enumerate(kinds.items()):
        rg.create_group(
            Name=name,
            ResourceQuery=tag_query({"k": []}, types),
            Owner=owner,
            DisplayName=f"shown-{i % 2}",
            Criticality=i + 1,
        )
    assert _own_groups(rg, owner) == sorted(kinds)
    assert _own_groups(rg, owner, resource_type=["AWS::EC2::Instance"]) == [f"{base}-b"]
    assert _own_groups(rg, owner, resource_type=["AWS::SSM::ManagedInstance"]) == [
        f"{base}-a",
        f"{base}-d",
    ]
    assert _own_groups(rg, owner, resource_type=["AWS::AllSupported"]) == [f"{base}-c"]
    assert _own_groups(rg, owner, criticality=["1", "5"]) == [f"{base}-a", f"{base}-e"]
    assert _own_groups(rg, owner, display_name=["shown-1"]) == [f"{base}-b", f"{base}-d"]
    assert _own_groups(rg, owner, configuration_type=["AWS::EC2::CapacityReservationPool"]) == []

    first = rg.list_groups(Filters=[{"Name": "owner", "Values": [owner]}], MaxResults=3)
    assert len(first["GroupIdentifiers"]) == 3
    token = first["NextToken"]
    # A token is bound to the listing that made it.
    other = error_of(
        rg.list_groups, Filters=[{"Name": "owner", "Values": ["someone"]}], NextToken=token
    )
    assert (other.code, other.status) == ("BadRequestException", 400)
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    assert error_of(rg.list_groups, NextToken=tampered).code == "BadRequestException"
    assert (
        error_of(rg.list_groups, Filters=[{"Name": "resource-type", "Values": ["EC2"]}]).code
        == "BadRequestException"
    )


def test_tags_on_a_group(server: ServerProcess) -> None:
    rg = groups_client(server)
    name = _name()
    arn = _arn(name)
    rg.create_group(Name=name, ResourceQuery=tag_query({"k": []}), Tags={"a": "1"})
    tagged = rg.tag(Arn=arn, Tags={"b": "2", "a": "one"})
    assert (tagged["Arn"], tagged["Tags"]) == (arn, {"b": "2", "a": "one"})
    assert rg.get_tags(Arn=arn)["Tags"] == {"a": "one", "b": "2"}
    assert rg.untag(Arn=arn, Keys=["a", "absent"])["Keys"] == ["a", "absent"]
    assert rg.get_tags(Arn=arn)["Tags"] == {"b": "2"}

    reserved = error_of(rg.tag, Arn=arn, Tags={"AWS:x": "1"})
    assert (reserved.code, reserved.status) == ("BadRequestException", 400)
    assert error_of(rg.untag, Arn=arn, Keys=["aws:x"]).code == "BadRequestException"
    too_many = error_of(rg.tag, Arn=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert too_many.code == "BadRequestException"
    assert "50" in too_many.message
    assert rg.get_tags(Arn=arn)["Tags"] == {"b": "2"}

    assert error_of(rg.get_tags, Arn=_arn(_name("none"))).code == "NotFoundException"
    elsewhere = arn.replace(TEST_ACCOUNT_ID, "210987654321")
    assert error_of(rg.get_tags, Arn=elsewhere).code == "NotFoundException"


def test_bad_groups_are_refused_by_name_and_nothing_is_stored(server: ServerProcess) -> None:
    rg = groups_client(server)
    lax = groups_client(server, validate=False)
    query = tag_query({"k": []})
    name = _name()
    cases: list[tuple[Callable[..., object], dict[str, Any], str]] = [
        (rg.create_group, {"Name": "aws-" + name, "ResourceQuery": query}, "reserved"),
        (rg.create_group, {"Name": "AwS" + name, "ResourceQuery": query}, "reserved"),
        (rg.create_group, {"Name": name}, "ResourceQuery"),
        (
            rg.create_group,
            {
                "Name": name,
                "Configuration": [{"Type": "AWS::EC2::CapacityReservationPool"}],
            },
            "configuration",
        ),
        (
            rg.create_group,
            {"Name": name, "ResourceQuery": {"Type": "CLOUDFORMATION_STACK_1_0", "Query": "{}"}},
            "TAG_FILTERS_1_0",
        ),
        (rg.create_group, {"Name": name, "ResourceQuery": query, "Tags": {"aws:k": "v"}}, "aws:"),
        (lax.create_group, {"Name": "no spaces", "ResourceQuery": query}, "name"),
        (
            lax.create_group,
            {"Name": name, "ResourceQuery": query, "Criticality": 11},
            "criticality",
        ),
        (rg.get_group, {}, "Group"),
    ]
    for call, kwargs, words in cases:
        refused = error_of(call, **kwargs)
        assert (refused.code, refused.status) == ("BadRequestException", 400), kwargs
        assert words.lower() in refused.message.lower(), (kwargs, refused.message)
    assert error_of(rg.get_group, Group=name).code == "NotFoundException"

    rg.create_group(Name=name, ResourceQuery=query)
    again = error_of(rg.create_group, Name=name, ResourceQuery=query)
    assert (again.code, again.message.count("already exists")) == ("BadRequestException", 1)


def test_groups_belong_to_their_region(server: ServerProcess) -> None:
    east = groups_client(server)
    west = groups_client(server, region="us-west-2")
    name = _name()
    east.create_group(Name=name, ResourceQuery=tag_query({"k": ["east"]}))
    assert error_of(west.get_group, Group=name).code == "NotFoundException"
    assert error_of(west.get_group, Group=_arn(name)).code == "NotFoundException"
    west.create_group(Name=name, ResourceQuery=tag_query({"k": ["west"]}))
    assert west.get_group(Group=name)["Group"]["GroupArn"] == _arn(name, "us-west-2")
    east_query = json.loads(
        east.get_group_query(Group=name)["GroupQuery"]["ResourceQuery"]["Query"]
    )
    assert east_query["TagFilters"] == [{"Key": "k", "Values": ["east"]}]


def test_operations_openssm_lacks_are_named(server: ServerProcess) -> None:
    rg = groups_client(server)
    refused = error_of(rg.list_tag_sync_tasks)
    assert (refused.code, refused.status) == ("UnsupportedOperationException", 400)
    assert "ListTagSyncTasks" in refused.message
