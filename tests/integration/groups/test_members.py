"""ListGroupResources and SearchResources through boto3's resource-groups client against a real
server on SQLite and PostgreSQL: the tagged nodes, documents, parameters, associations and groups
a tag query names, AWS's shapes (Resources and the deprecated ResourceIdentifiers, QueryErrors),
its filter rules and errors, and pages that botocore's paginators walk (issue 10)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from types_boto3_resource_groups.client import ResourceGroupsClient

from tests.aws_errors import error_of
from tests.integration.channel_client import register_hosts
from tests.integration.groups.support import groups_client, tag_query
from tests.support import TEST_ACCOUNT_ID, ServerProcess

ALL = ("AWS::AllSupported",)
NODE = "AWS::SSM::ManagedInstance"
SSM_ARN = f"arn:aws:ssm:us-east-1:{TEST_ACCOUNT_ID}:"


@dataclass(frozen=True)
class Tagged:
    """Resources of every kind, tagged with a key of their own so other tests' don't show."""

    key: str
    nodes: list[str]
    parameter: str
    document: str
    group: str


def _tagged(server: ServerProcess) -> Tagged:
    ssm = server.client()
    key = f"m-{uuid.uuid4().hex[:10]}"
    nodes = register_hosts(server, 3)
    for node, value in zip(nodes, ("prod", "prod", "stage"), strict=True):
        ssm.add_tags_to_resource(
            ResourceType="ManagedInstance", ResourceId=node, Tags=[{"Key": key, "Value": value}]
        )
    parameter = f"/{key}/db/url"
    ssm.put_parameter(
        Name=parameter, Value="x", Type="String", Tags=[{"Key": key, "Value": "prod"}]
    )
    document = f"doc-{key}"
    ssm.create_document(
        Name=document,
        Content='{"schemaVersion":"2.2","mainSteps":[{"action":"aws:runShellScript",'
        '"name":"s","inputs":{"runCommand":["true"]}}]}',
        DocumentType="Command",
        Tags=[{"Key": key, "Value": "prod"}],
    )
    group = f"grp-{key}"
    groups_client(server).create_group(
        Name=group, ResourceQuery=tag_query({key: ["prod"]}, ALL), Tags={key: "prod"}
    )
    return Tagged(key, nodes, parameter, document, group)


def _search(
    rg: ResourceGroupsClient, tags: dict[str, Sequence[str]], types: tuple[str, ...]
) -> set[tuple[str, str]]:
    answer = rg.search_resources(ResourceQuery=tag_query(tags, types))
    assert answer["QueryErrors"] == []
    return {(r["ResourceType"], r["ResourceArn"]) for r in answer["ResourceIdentifiers"]}


def _node(instance_id: str) -> tuple[str, str]:
    return NODE, f"{SSM_ARN}managed-instance/{instance_id}"


def test_search_finds_every_kind_of_tagged_resource(server: ServerProcess) -> None:
    rg = groups_client(server)
    t = _tagged(server)
    prod = {
        _node(t.nodes[0]),
        _node(t.nodes[1]),
        ("AWS::SSM::Parameter", f"{SSM_ARN}parameter{t.parameter}"),
        ("AWS::SSM::Document", f"{SSM_ARN}document/{t.document}"),
        (
            "AWS::ResourceGroups::Group",
            f"arn:aws:resource-groups:us-east-1:{TEST_ACCOUNT_ID}:group/{t.group}",
        ),
    }
    assert _search(rg, {t.key: ["prod"]}, ALL) == prod
    # Values are ORed, a key alone takes any value, keys are ANDed.
    assert _search(rg, {t.key: ["prod", "stage"]}, (NODE,)) == {_node(n) for n in t.nodes}
    assert _search(rg, {t.key: []}, (NODE,)) == {_node(n) for n in t.nodes}
    assert _search(rg, {t.key: ["prod"], "absent-" + t.key: []}, ALL) == set()
    # A node answers to AWS::EC2::Instance too, listed once as what it is.
    both = _search(rg, {t.key: ["stage"]}, (NODE, "AWS::EC2::Instance"))
    assert both == {_node(t.nodes[2])}
    assert _search(rg, {t.key: ["prod"]}, ("AWS::SSM::Document",)) == {
        ("AWS::SSM::Document", f"{SSM_ARN}document/{t.document}")
    }

    bucket = rg.search_resources(
        ResourceQuery=tag_query({t.key: ["prod"]}, ("AWS::S3::Bucket", "AWS::SSM::Parameter"))
    )
    assert [r["ResourceType"] for r in bucket["ResourceIdentifiers"]] == ["AWS::SSM::Parameter"]
    assert [e["ErrorCode"] for e in bucket["QueryErrors"]] == ["RESOURCE_TYPE_NOT_SUPPORTED"]
    assert "AWS::S3::Bucket" in bucket["QueryErrors"][0]["Message"]

    # Deregistered, a node is no longer anybody's member.
    server.client().deregister_managed_instance(InstanceId=t.nodes[2])
    assert _search(rg, {t.key: ["stage"]}, (NODE,)) == set()


def test_a_group_lists_its_members_now(server: ServerProcess) -> None:
    rg = groups_client(server)
    ssm = server.client()
    t = _tagged(server)
    name = f"nodes-{t.key}"
    rg.create_group(Name=name, ResourceQuery=tag_query({t.key: ["prod"]}, (NODE,)))
    listed = rg.list_group_resources(Group=name)
    assert {i["ResourceArn"] for i in listed["ResourceIdentifiers"]} == {
        _node(n)[1] for n in t.nodes[:2]
    }
    assert listed["Resources"] == [{"Identifier": i} for i in listed["ResourceIdentifiers"]]
    assert (listed["QueryErrors"], "NextToken" in listed) == ([], False)
    arn = f"arn:aws:resource-groups:us-east-1:{TEST_ACCOUNT_ID}:group/{name}"
    assert (
        rg.list_group_resources(Group=arn)["ResourceIdentifiers"] == listed["ResourceIdentifiers"]
    )

    # Membership is the query applied now: a node tagged later is a member at once.
    ssm.add_tags_to_resource(
        ResourceType="ManagedInstance",
        ResourceId=t.nodes[2],
        Tags=[{"Key": t.key, "Value": "prod"}],
    )
    assert len(rg.list_group_resources(GroupName=name)["Resources"]) == 3

    # A resource-type filter narrows an AWS::AllSupported group to its types ...
    docs = rg.list_group_resources(
        Group=t.group, Filters=[{"Name": "resource-type", "Values": ["AWS::SSM::Document"]}]
    )
    assert [r["Identifier"]["ResourceType"] for r in docs["Resources"]] == ["AWS::SSM::Document"]
    # ... and names only types the group's query names, else AWS's BadRequestException.
    refused = error_of(
        rg.list_group_resources,
        Group=name,
        Filters=[{"Name": "resource-type", "Values": ["AWS::SSM::Document"]}],
    )
    assert (refused.code, refused.status) == ("BadRequestException", 400)
    assert "not valid" in refused.message
    assert "AWS::SSM::Document" in refused.message

    missing = error_of(rg.list_group_resources, Group=f"none-{t.key}")
    assert (missing.code, missing.status) == ("NotFoundException", 404)


def test_members_come_a_page_at_a_time(server: ServerProcess) -> None:
    rg = groups_client(server)
    t = _tagged(server)
    query = tag_query({t.key: []}, ALL)
    first = rg.search_resources(ResourceQuery=query, MaxResults=2)
    assert len(first["ResourceIdentifiers"]) == 2
    assert first["NextToken"]
    pages = list(
        rg.get_paginator("search_resources").paginate(
            ResourceQuery=query, PaginationConfig={"PageSize": 2}
        )
    )
    arns = [r["ResourceArn"] for p in pages for r in p["ResourceIdentifiers"]]
    assert len(pages) == 3
    assert len(arns) == len(set(arns)) == 6

    rg.create_group(Name=f"all-{t.key}", ResourceQuery=query)
    walked = rg.get_paginator("list_group_resources").paginate(
        Group=f"all-{t.key}", PaginationConfig={"PageSize": 4}
    )
    assert sorted(r["Identifier"]["ResourceArn"] for p in walked for r in p["Resources"]) == sorted(
        arns
    )

    # A token is good only for the listing that issued it.
    other = tag_query({t.key: ["prod"]}, ALL)
    cases: list[tuple[Callable[..., object], dict[str, Any]]] = [
        (rg.search_resources, {"ResourceQuery": other, "NextToken": first["NextToken"]}),
        (rg.search_resources, {"ResourceQuery": query, "NextToken": "bm90IGEgdG9rZW4="}),
        (rg.list_group_resources, {"Group": f"all-{t.key}", "NextToken": first["NextToken"]}),
    ]
    for call, kwargs in cases:
        refused = error_of(call, **kwargs)
        assert (refused.code, refused.status) == ("BadRequestException", 400), kwargs


def test_bad_queries_are_refused_by_name(server: ServerProcess) -> None:
    rg = groups_client(server)
    cloudformation = {"Type": "CLOUDFORMATION_STACK_1_0", "Query": "{}"}
    for query in (cloudformation, {"Type": "TAG_FILTERS_1_0", "Query": "{not json"}):
        refused = error_of(rg.search_resources, ResourceQuery=query)
        assert (refused.code, refused.status) == ("BadRequestException", 400), query


def test_listing_a_groups_members_takes_its_own_permission(sqlite_server: ServerProcess) -> None:
    """SECURITY.md #3: the same ForbiddenException for a group that exists and one that
    does not; SearchResources is authorized on no resource, as in IAM."""
    prefix = f"lgr-{uuid.uuid4().hex[:8]}"
    admin = groups_client(sqlite_server)
    admin.create_group(Name=f"{prefix}-db", ResourceQuery=tag_query({"k": []}))
    key, secret = sqlite_server.new_user(
        {"Statement": [{"Effect": "Allow", "Action": "resource-groups:Get*", "Resource": "*"}]}
    )
    user = groups_client(sqlite_server, access_key_id=key, secret_access_key=secret)
    denied = error_of(user.list_group_resources, Group=f"{prefix}-db")
    assert (denied.code, denied.status) == ("ForbiddenException", 403)
    assert "resource-groups:ListGroupResources" in denied.message
    missing = error_of(user.list_group_resources, Group=f"{prefix}-dbx")
    assert missing.message == denied.message.replace(f"{prefix}-db", f"{prefix}-dbx")
    searched = error_of(user.search_resources, ResourceQuery=tag_query({"k": []}))
    assert "resource-groups:SearchResources" in searched.message
