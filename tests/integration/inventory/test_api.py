"""The inventory API through boto3, on SQLite and PostgreSQL, with hosts that have no agent
(their data is put by API callers, as AWS allows for custom types).

AWS rules checked (API reference for PutInventory, GetInventory, ListInventoryEntries,
GetInventorySchema, DeleteInventory, DescribeInventoryDeletions; user guide "Aggregating
inventory data"): each put replaces the host's data of the type; a ContentHash equal to the
stored one changes nothing; custom type names begin with ``Custom:`` and a capital; an
attribute keeps its case across puts; AWS:InstanceInformation is the server's; aggregators
count instances per value (nested ones per combination from one entry); groups count
matching and not matching instances; DisableSchema ignores puts of the disabled version.
"""

from __future__ import annotations

from typing import Any

import pytest
from types_boto3_ssm.client import SSMClient

from tests.aws_errors import error_of
from tests.integration.channel_client import register_hosts
from tests.integration.inventory.support import custom_type, inventory_events, item
from tests.support import ServerProcess

APP = "AWS:Application"


@pytest.fixture(scope="module")
def hosts(server: ServerProcess) -> list[str]:
    return register_hosts(server, 3)


def _apps(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [
        {"Name": n, "Version": v, "Publisher": "Debian", "Architecture": "x86_64"} for n, v in pairs
    ]


def _entities(ssm: SSMClient, **kwargs: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        page = ssm.get_inventory(**kwargs)
        found += [dict(e) for e in page["Entities"]]
        if "NextToken" not in page:
            return found
        kwargs["NextToken"] = page["NextToken"]


def test_custom_inventory_round_trip(server: ServerProcess, hosts: list[str]) -> None:
    ssm = server.client()
    rack = custom_type()
    content = [{"Location": "CMH-RACK1", "Zone": "b"}]
    ssm.put_inventory(InstanceId=hosts[0], Items=[item(rack, content, ContentHash="h1")])
    listed = ssm.list_inventory_entries(InstanceId=hosts[0], TypeName=rack)
    assert listed["Entries"] == content
    assert listed["SchemaVersion"] == "1.0"
    assert listed["CaptureTime"] == "2026-12-06T10:00:00Z"
    [schema] = ssm.get_inventory_schema(TypeName=rack)["Schemas"]
    assert [a["Name"] for a in schema["Attributes"]] == ["Location", "Zone"]
    found = _entities(
        ssm,
        Filters=[{"Key": f"{rack}.Location", "Values": ["CMH-RACK1"], "Type": "Equal"}],
        ResultAttributes=[{"TypeName": rack}],
    )
    assert [e["Id"] for e in found] == [hosts[0]]
    assert found[0]["Data"][rack]["Content"] == content
    assert found[0]["Data"][rack]["ContentHash"] == "h1"
    [event] = inventory_events(server, rack)
    assert event["detail"]["action"] == "put"
    assert event["resources"] == [f"arn:aws:ssm:us-east-1:123456789012:managed-instance/{hosts[0]}"]


def test_a_put_with_the_stored_content_hash_changes_nothing(
    server: ServerProcess, hosts: list[str]
) -> None:
    ssm = server.client()
    kind = custom_type()
    ssm.put_inventory(InstanceId=hosts[1], Items=[item(kind, [{"A": "1"}], ContentHash="same")])
    ssm.put_inventory(InstanceId=hosts[1], Items=[item(kind, [{"A": "2"}], ContentHash="same")])
    assert ssm.list_inventory_entries(InstanceId=hosts[1], TypeName=kind)["Entries"] == [{"A": "1"}]
    ssm.put_inventory(InstanceId=hosts[1], Items=[item(kind, [{"A": "3"}], ContentHash="new")])
    assert ssm.list_inventory_entries(InstanceId=hosts[1], TypeName=kind)["Entries"] == [{"A": "3"}]
    assert len(inventory_events(server, kind)) == 2


def test_get_inventory_shows_instance_information_from_the_fleet(
    server: ServerProcess, hosts: list[str]
) -> None:
    ssm = server.client()
    found = _entities(
        ssm, Filters=[{"Key": "AWS:InstanceInformation.InstanceId", "Values": [hosts[2]]}]
    )
    assert [e["Id"] for e in found] == [hosts[2]]
    info = found[0]["Data"]["AWS:InstanceInformation"]["Content"][0]
    assert info["InstanceId"] == hosts[2]
    assert info["ResourceType"] == "ManagedInstance"
    assert info["InstanceStatus"] == "ConnectionLost"  # no agent ever connected


def test_aggregators_count_instances_per_name_and_version(
    server: ServerProcess, hosts: list[str]
) -> None:
    ssm = server.client()
    name = "openssl-" + custom_type()[8:]
    ssm.put_inventory(
        InstanceId=hosts[0], Items=[item(APP, _apps((name, "3.0.11"), ("bash", "5")))]
    )
    ssm.put_inventory(InstanceId=hosts[1], Items=[item(APP, _apps((name, "3.0.11")))])
    ssm.put_inventory(InstanceId=hosts[2], Items=[item(APP, _apps((name, "3.0.15")))])
    by_version = ssm.get_inventory(
        Filters=[{"Key": "AWS:Application.Name", "Values": [name], "Type": "Equal"}],
        Aggregators=[{"Expression": "AWS:Application.Version"}],
    )["Entities"]
    assert by_version[0]["Data"][APP]["Content"] == [
        {"Count": "2", "Version": "3.0.11"},
        {"Count": "1", "Version": "3.0.15"},
    ]
    nested = ssm.get_inventory(
        Filters=[{"Key": "AWS:Application.Name", "Values": [name[:12]], "Type": "BeginWith"}],
        Aggregators=[
            {
                "Expression": "AWS:Application.Name",
                "Aggregators": [{"Expression": "AWS:Application.Version"}],
            }
        ],
    )["Entities"]
    assert {"Count": "2", "Name": name, "Version": "3.0.11"} in nested[0]["Data"][APP]["Content"]
    hosts_with = _entities(
        ssm,
        Filters=[
            {"Key": "AWS:Application.Version", "Values": ["3.0.12"], "Type": "LessThan"},
            {"Key": "AWS:Application.Name", "Values": [name]},
        ],
    )
    assert sorted(e["Id"] for e in hosts_with) == sorted(hosts[:2])
    groups = ssm.get_inventory(
        Filters=[{"Key": "AWS:InstanceInformation.InstanceId", "Values": hosts}],
        Aggregators=[
            {
                "Groups": [
                    {
                        "Name": "WithoutBash",
                        "Filters": [
                            {"Key": "AWS:Application.Name", "Values": ["bash"], "Type": "NotEqual"}
                        ],
                    }
                ]
            }
        ],
    )["Entities"]
    assert groups[0]["Data"]["WithoutBash"]["Content"] == [
        {"notMatchingCount": "1"},
        {"matchingCount": "2"},
    ]


def _counts(ssm: SSMClient, filters: list[Any], aggregator: Any) -> list[Any]:
    [entity] = ssm.get_inventory(Filters=filters, Aggregators=[aggregator])["Entities"]
    return _in_order(entity["Data"][APP]["Content"])


def _in_order(counts: list[Any]) -> list[Any]:
    return sorted(counts, key=lambda c: sorted(c.items()))


def test_values_too_long_to_index_are_found_and_counted_once(
    server: ServerProcess, hosts: list[str]
) -> None:
    """Name and Version are answered from indexed columns (the database counts them), and a
    value too long for its column from the entry's JSON: both parts together count each
    instance once per value, whatever the prefixes' overlap."""
    ssm = server.client()
    name = "pkg-" + custom_type()[8:]
    long_name, long_version = name + "x" * 300, "9." + "9" * 300
    ssm.put_inventory(
        InstanceId=hosts[0], Items=[item(APP, _apps((name, "1.0"), (long_name, "1.0")))]
    )
    ssm.put_inventory(InstanceId=hosts[1], Items=[item(APP, _apps((name, long_version)))])
    ssm.put_inventory(InstanceId=hosts[2], Items=[item(APP, _apps((name, "1.0")))])
    prefixes = {"Key": "AWS:Application.Name", "Values": [name[:10], name], "Type": "BeginWith"}
    by_name = {"Expression": "AWS:Application.Name"}
    assert _counts(ssm, [prefixes], by_name) == _in_order(
        [{"Count": "1", "Name": long_name}, {"Count": "3", "Name": name}]
    )
    by_version = {"Expression": "AWS:Application.Version"}
    assert _counts(ssm, [prefixes], by_version) == _in_order(
        [{"Count": "1", "Version": long_version}, {"Count": "2", "Version": "1.0"}]
    )
    nested = {**by_name, "Aggregators": [by_version]}
    assert _counts(ssm, [prefixes], nested) == _in_order(
        [
            {"Count": "1", "Name": long_name, "Version": "1.0"},
            {"Count": "1", "Name": name, "Version": long_version},
            {"Count": "2", "Name": name, "Version": "1.0"},
        ]
    )
    for kind, value in (("Equal", long_name), ("BeginWith", name + "xxx")):
        found = _entities(
            ssm, Filters=[{"Key": "AWS:Application.Name", "Values": [value], "Type": kind}]
        )
        assert [e["Id"] for e in found] == [hosts[0]], kind
    without = _entities(
        ssm,
        Filters=[
            {"Key": "AWS:InstanceInformation.InstanceId", "Values": hosts},
            {"Key": "AWS:Application.Name", "Values": [long_name], "Type": "NotEqual"},
        ],
    )
    assert sorted(e["Id"] for e in without) == sorted(hosts[1:])


def test_list_inventory_entries_filters_and_pages(server: ServerProcess, hosts: list[str]) -> None:
    ssm = server.client()
    kind = custom_type()
    rows = [{"N": f"{i:03d}", "Even": str(i % 2 == 0)} for i in range(120)]
    ssm.put_inventory(InstanceId=hosts[2], Items=[item(kind, rows)])
    seen: list[dict[str, str]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = ssm.list_inventory_entries(
            InstanceId=hosts[2],
            TypeName=kind,
            Filters=[{"Key": "Even", "Values": ["True"], "Type": "Equal"}],
            MaxResults=25,
            **kwargs,
        )
        seen += page["Entries"]
        if "NextToken" not in page:
            break
        kwargs = {"NextToken": page["NextToken"]}
    assert seen == rows[::2]


def test_schema_deletion(server: ServerProcess, hosts: list[str]) -> None:
    ssm = server.client()
    kind = custom_type()
    for host in hosts[:2]:
        ssm.put_inventory(InstanceId=host, Items=[item(kind, [{"K": "v"}])])
    dry = ssm.delete_inventory(TypeName=kind, SchemaDeleteOption="DisableSchema", DryRun=True)
    assert dry["DeletionSummary"]["TotalCount"] == 2
    assert ssm.list_inventory_entries(InstanceId=hosts[0], TypeName=kind)["Entries"] == [{"K": "v"}]
    deleted = ssm.delete_inventory(TypeName=kind, SchemaDeleteOption="DisableSchema")
    assert deleted["DeletionSummary"]["SummaryItems"] == [
        {"Version": "1.0", "Count": 2, "RemainingCount": 0}
    ]
    assert ssm.list_inventory_entries(InstanceId=hosts[0], TypeName=kind)["Entries"] == []
    ssm.put_inventory(InstanceId=hosts[0], Items=[item(kind, [{"K": "ignored"}])])
    assert ssm.list_inventory_entries(InstanceId=hosts[0], TypeName=kind)["Entries"] == []
    newer = item(kind, [{"K": "back"}], SchemaVersion="1.1")
    ssm.put_inventory(InstanceId=hosts[0], Items=[newer])
    assert ssm.list_inventory_entries(InstanceId=hosts[0], TypeName=kind)["Entries"] == [
        {"K": "back"}
    ]
    [described] = ssm.describe_inventory_deletions(DeletionId=deleted["DeletionId"])[
        "InventoryDeletions"
    ]
    assert described["LastStatus"] == "Complete"
    assert described["TypeName"] == kind
    ssm.delete_inventory(TypeName=kind, SchemaDeleteOption="DeleteSchema")
    assert error_of(ssm.get_inventory_schema, TypeName=kind).code == "InvalidTypeNameException"
    actions = [e["detail"]["action"] for e in inventory_events(server, kind)]
    assert actions.count("delete") == 3  # two hosts, then the one that put 1.1


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ([item("AWS:InstanceInformation", [])], "InvalidTypeNameException"),
        ([item("AWS:Unknown", [])], "InvalidTypeNameException"),
        ([item("Custom:lowercase", [])], "InvalidTypeNameException"),
        ([item("Custom:A", [], Context={"k": "v"})], "UnsupportedInventoryItemContextException"),
        ([item(APP, [], SchemaVersion="9.9")], "UnsupportedInventorySchemaVersionException"),
        ([item("Custom:Dup", []), item("Custom:Dup", [])], "InvalidItemContentException"),
    ],
)
def test_put_inventory_refuses_what_aws_refuses(
    server: ServerProcess, hosts: list[str], items: list[Any], code: str
) -> None:
    assert error_of(server.client().put_inventory, InstanceId=hosts[0], Items=items).code == code


def test_an_attribute_keeps_its_case_across_puts(server: ServerProcess, hosts: list[str]) -> None:
    ssm = server.client()
    kind = custom_type()
    ssm.put_inventory(InstanceId=hosts[0], Items=[item(kind, [{"Owner": "a"}])])
    error = error_of(ssm.put_inventory, InstanceId=hosts[0], Items=[item(kind, [{"owner": "b"}])])
    assert error.code == "ItemContentMismatchException"


def test_put_inventory_for_an_unknown_instance(server: ServerProcess) -> None:
    error = error_of(
        server.client().put_inventory,
        InstanceId="mi-0123456789abcdef0",
        Items=[item("Custom:Rack", [{"A": "b"}])],
    )
    assert error.code == "InvalidInstanceId"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"Filters": [{"Key": "Custom:NeverPut.X", "Values": ["a"]}]}, "InvalidTypeNameException"),
        ({"Filters": [{"Key": "AWS:Application", "Values": ["a"]}]}, "InvalidFilter"),
        ({"Filters": [{"Key": "AWS:Application.Colour", "Values": ["a"]}]}, "InvalidFilter"),
        ({"Aggregators": [{"Expression": "AWS:Application.Colour"}]}, "InvalidAggregatorException"),
        (
            {"ResultAttributes": [{"TypeName": "Custom:NeverPut"}]},
            "InvalidResultAttributeException",
        ),
        ({"NextToken": "forged"}, "InvalidNextToken"),
    ],
)
def test_get_inventory_refuses_bad_queries(
    server: ServerProcess, kwargs: dict[str, Any], code: str
) -> None:
    assert error_of(server.client().get_inventory, **kwargs).code == code


def test_describe_inventory_deletions_of_an_unknown_id(server: ServerProcess) -> None:
    error = error_of(
        server.client().describe_inventory_deletions,
        DeletionId="00000000-0000-4000-8000-000000000000",
    )
    assert error.code == "InvalidDeletionIdException"
