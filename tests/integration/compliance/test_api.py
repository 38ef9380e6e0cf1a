"""PutComplianceItems and the three compliance listings through boto3, on SQLite and
PostgreSQL.

AWS rules checked (API reference, PutComplianceItems / ListComplianceItems /
ListComplianceSummaries / ListResourceComplianceSummaries): COMPLETE replaces every item of
the type for the resource, PARTIAL (Association only) merges by Id; an ItemContentHash equal
to the stored one ignores the request; a resource is NON_COMPLIANT when any item is, its
OverallSeverity the most severe non-compliant item; ListComplianceSummaries counts
resources; ComplianceStringFilter's five operators; 50 results a page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from types_boto3_ssm.client import SSMClient
from types_boto3_ssm.type_defs import ComplianceStringFilterTypeDef

from tests.aws_errors import error_of
from tests.integration.channel_client import register_hosts
from tests.integration.compliance.support import (
    compliance_events,
    custom_type,
    item,
    put,
)
from tests.support import TEST_ACCOUNT_ID, TEST_REGION, ServerProcess

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def hosts(server: ServerProcess) -> list[str]:
    return register_hosts(server, 6)


def _items(
    ssm: SSMClient, instance_id: str, *filters: ComplianceStringFilterTypeDef
) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    kwargs: dict[str, object] = {}
    while True:
        page = ssm.list_compliance_items(
            ResourceIds=[instance_id],
            ResourceTypes=["ManagedInstance"],
            Filters=list(filters),
            **kwargs,  # type: ignore[arg-type]  # NextToken only
        )
        found += [dict(i) for i in page["ComplianceItems"]]
        if "NextToken" not in page:
            return found
        kwargs = {"NextToken": page["NextToken"]}


def _ids(items: list[dict[str, object]]) -> list[object]:
    return [i["Id"] for i in items]


def _key(compliance_type: str) -> ComplianceStringFilterTypeDef:
    return {"Key": "ComplianceType", "Values": [compliance_type], "Type": "EQUAL"}


def test_custom_items_round_trip(ssm: SSMClient, hosts: list[str]) -> None:
    kind = custom_type()
    details = {"Path": "/etc/ssh/sshd_config", "Expected": "PermitRootLogin no"}
    put(
        ssm,
        hosts[0],
        kind,
        [item("ssh-root", "NON_COMPLIANT", "HIGH", Title="No root over SSH", Details=details)],
        at=NOW,
    )
    [found] = _items(ssm, hosts[0], _key(kind))
    assert found == {
        "ComplianceType": kind,
        "ResourceType": "ManagedInstance",
        "ResourceId": hosts[0],
        "Id": "ssh-root",
        "Title": "No root over SSH",
        "Status": "NON_COMPLIANT",
        "Severity": "HIGH",
        "ExecutionSummary": {
            "ExecutionTime": NOW,
            "ExecutionId": "exec-1",
            "ExecutionType": "Command",
        },
        "Details": details,
    }


def test_complete_replaces_every_item_of_the_type(ssm: SSMClient, hosts: list[str]) -> None:
    kind, other = custom_type(), custom_type()
    put(ssm, hosts[0], other, [item("kept")])
    put(ssm, hosts[0], kind, [item("a"), item("b")])
    put(ssm, hosts[0], kind, [item("c", "NON_COMPLIANT")], UploadType="COMPLETE")
    assert _ids(_items(ssm, hosts[0], _key(kind))) == ["c"]
    assert _ids(_items(ssm, hosts[0], _key(other))) == ["kept"]
    put(ssm, hosts[0], kind, [])
    assert _items(ssm, hosts[0], _key(kind)) == []


def test_partial_merges_association_items_by_id(ssm: SSMClient, hosts: list[str]) -> None:
    put(ssm, hosts[1], "Association", [item("assoc-1"), item("assoc-2")])
    put(ssm, hosts[1], "Association", [item("assoc-2", "NON_COMPLIANT")], UploadType="PARTIAL")
    found = {i["Id"]: i["Status"] for i in _items(ssm, hosts[1], _key("Association"))}
    assert found == {"assoc-1": "COMPLIANT", "assoc-2": "NON_COMPLIANT"}
    error = error_of(
        ssm.put_compliance_items,
        ResourceId=hosts[1],
        ResourceType="ManagedInstance",
        ComplianceType=custom_type(),
        ExecutionSummary={"ExecutionTime": NOW},
        Items=[item("x")],
        UploadType="PARTIAL",
    )
    assert error.code == "ValidationException"
    assert "Association" in error.message


def test_same_content_hash_is_ignored(ssm: SSMClient, hosts: list[str]) -> None:
    kind = custom_type()
    put(ssm, hosts[2], kind, [item("first")], ItemContentHash="h1")
    put(ssm, hosts[2], kind, [item("second")], ItemContentHash="h1")
    assert _ids(_items(ssm, hosts[2], _key(kind))) == ["first"]
    put(ssm, hosts[2], kind, [item("third")], ItemContentHash="h2")
    assert _ids(_items(ssm, hosts[2], _key(kind))) == ["third"]


def test_filters(ssm: SSMClient, hosts: list[str]) -> None:
    kind = custom_type()
    earlier, later = NOW - dt.timedelta(hours=2), NOW
    put(ssm, hosts[3], kind, [item("p1", "NON_COMPLIANT", "CRITICAL"), item("p2")], at=earlier)
    put(ssm, hosts[3], "Custom:Other" + kind[-6:], [item("q1", "NON_COMPLIANT", "LOW")], at=later)
    mine: ComplianceStringFilterTypeDef = {"Key": "ComplianceType", "Values": [kind[:-3]]}
    mine["Type"] = "BEGIN_WITH"
    failing: ComplianceStringFilterTypeDef = {"Key": "Status", "Values": ["NON_COMPLIANT"]}
    assert _ids(_items(ssm, hosts[3], mine)) == ["p1", "p2"]
    assert _ids(_items(ssm, hosts[3], mine, failing)) == ["p1"]
    not_critical: ComplianceStringFilterTypeDef = {
        "Key": "Severity",
        "Values": ["CRITICAL"],
        "Type": "NOT_EQUAL",
    }
    assert _ids(_items(ssm, hosts[3], failing, not_critical)) == ["q1"]
    midway = str((NOW - dt.timedelta(hours=1)).timestamp())
    before: ComplianceStringFilterTypeDef = {
        "Key": "ExecutionTime",
        "Values": [midway],
        "Type": "LESS_THAN",
    }
    after: ComplianceStringFilterTypeDef = {
        "Key": "ExecutionTime",
        "Values": [(NOW - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")],
        "Type": "GREATER_THAN",
    }
    assert _ids(_items(ssm, hosts[3], before)) == ["p1", "p2"]
    assert _ids(_items(ssm, hosts[3], after)) == ["q1"]


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"Key": "Colour", "Values": ["red"]}, "ComplianceType"),
        ({"Key": "Status", "Values": ["BROKEN"]}, "NON_COMPLIANT"),
        ({"Key": "Severity", "Values": ["HIGH"], "Type": "LESS_THAN"}, "ExecutionTime"),
        ({"Key": "ExecutionTime", "Values": ["yesterday"], "Type": "LESS_THAN"}, "ISO 8601"),
    ],
)
def test_bad_filters_are_invalid_filter(
    ssm: SSMClient, hosts: list[str], bad: ComplianceStringFilterTypeDef, says: str
) -> None:
    for call in (ssm.list_compliance_items, ssm.list_resource_compliance_summaries):
        error = error_of(call, Filters=[bad])
        assert error.code == "InvalidFilter"
        assert says in error.message


def test_items_page_by_fifty(ssm: SSMClient, hosts: list[str]) -> None:
    kind = custom_type()
    put(ssm, hosts[4], kind, [item(f"i{n:03}") for n in range(120)])
    first = ssm.list_compliance_items(ResourceIds=[hosts[4]], Filters=[_key(kind)])
    assert len(first["ComplianceItems"]) == 50
    assert _ids(_items(ssm, hosts[4], _key(kind))) == [f"i{n:03}" for n in range(120)]
    error = error_of(ssm.list_compliance_items, Filters=[], NextToken=first["NextToken"])
    assert error.code == "InvalidNextToken"


def test_resource_and_fleet_summaries(ssm: SSMClient, hosts: list[str]) -> None:
    kind = custom_type()
    put(
        ssm, hosts[0], kind, [item("a", "NON_COMPLIANT", "LOW"), item("b", "NON_COMPLIANT", "HIGH")]
    )
    put(ssm, hosts[1], kind, [item("a", severity="MEDIUM"), item("b", severity="CRITICAL")])
    put(ssm, hosts[2], kind, [item("a", "NON_COMPLIANT", "HIGH"), item("b", severity="CRITICAL")])
    found = ssm.list_resource_compliance_summaries(Filters=[_key(kind)])
    by_host = {s["ResourceId"]: s for s in found["ResourceComplianceSummaryItems"]}
    assert set(by_host) == set(hosts[:3])
    first = by_host[hosts[0]]
    assert (first["Status"], first["OverallSeverity"]) == ("NON_COMPLIANT", "HIGH")
    assert first["NonCompliantSummary"]["NonCompliantCount"] == 2
    assert first["NonCompliantSummary"]["SeveritySummary"]["HighCount"] == 1
    assert first["NonCompliantSummary"]["SeveritySummary"]["LowCount"] == 1
    assert first["CompliantSummary"]["CompliantCount"] == 0
    assert (by_host[hosts[1]]["Status"], by_host[hosts[1]]["OverallSeverity"]) == (
        "COMPLIANT",
        "CRITICAL",
    )
    # Non-compliant: the most severe NON-compliant item, not the most severe item.
    assert by_host[hosts[2]]["OverallSeverity"] == "HIGH"
    assert by_host[hosts[2]]["CompliantSummary"]["SeveritySummary"]["CriticalCount"] == 1

    [summary] = ssm.list_compliance_summaries(Filters=[_key(kind)])["ComplianceSummaryItems"]
    assert summary["ComplianceType"] == kind
    assert summary["CompliantSummary"]["CompliantCount"] == 1
    assert summary["CompliantSummary"]["SeveritySummary"]["CriticalCount"] == 1
    assert summary["NonCompliantSummary"]["NonCompliantCount"] == 2
    assert summary["NonCompliantSummary"]["SeveritySummary"]["HighCount"] == 2

    failing: ComplianceStringFilterTypeDef = {"Key": "OverallSeverity", "Values": ["HIGH"]}
    found = ssm.list_resource_compliance_summaries(Filters=[_key(kind), failing])
    assert {s["ResourceId"] for s in found["ResourceComplianceSummaryItems"]} == {
        hosts[0],
        hosts[2],
    }


def test_a_deregistered_host_is_not_reported(server: ServerProcess, ssm: SSMClient) -> None:
    [host] = register_hosts(server, 1)
    kind = custom_type()
    put(ssm, host, kind, [item("a", "NON_COMPLIANT")])
    ssm.deregister_managed_instance(InstanceId=host)
    assert ssm.list_compliance_summaries(Filters=[_key(kind)])["ComplianceSummaryItems"] == []
    assert (
        ssm.list_resource_compliance_summaries(Filters=[_key(kind)])[
            "ResourceComplianceSummaryItems"
        ]
        == []
    )
    error = error_of(ssm.list_compliance_items, ResourceIds=[host])
    assert error.code == "InvalidResourceId"


def test_a_status_change_is_an_event_and_nothing_else_is(
    server: ServerProcess, ssm: SSMClient
) -> None:
    [host] = register_hosts(server, 1)
    kind = custom_type()
    put(ssm, host, kind, [item("a", "NON_COMPLIANT", "HIGH")], at=NOW)
    put(ssm, host, kind, [item("a", "NON_COMPLIANT", "LOW")], at=NOW)
    put(ssm, host, kind, [item("a", "COMPLIANT", "LOW")], at=NOW)
    put(ssm, host, "Association", [item("assoc", "NON_COMPLIANT")], at=NOW)
    events = compliance_events(server, host)
    assert [(e["detail"]["compliance-type"], e["detail"]["compliance-status"]) for e in events] == [
        (kind, "non_compliant"),
        (kind, "compliant"),
        ("Association", "non_compliant"),
    ]
    first = events[0]
    arn = f"arn:aws:ssm:{TEST_REGION}:{TEST_ACCOUNT_ID}:managed-instance/{host}"
    assert first["resources"] == [arn]
    assert first["detail"] == {
        "last-runtime": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "compliance-status": "non_compliant",
        "resource-type": "managed-instance",
        "resource-id": host,
        "compliance-type": kind,
        "severity": "high",
    }
    assert "severity" not in events[2]["detail"]
