"""State Manager's API through a real server on SQLite and PostgreSQL, with protocol-driven
agents answering the runs (issue 12): creation runs at once, versions, full-replace updates,
listings and filters, executions and their targets, per-host status, and AWS's errors.
"""

from __future__ import annotations

import uuid
from typing import Any

from types_boto3_ssm.client import SSMClient

from tests.agents import tag_instance
from tests.aws_errors import error_of
from tests.integration.commands.driver import DrivenAgent, driven_agents
from tests.support import ServerProcess, wait_until

SHELL = "AWS-RunShellScript"


def _role() -> str:
    return f"web-{uuid.uuid4().hex[:8]}"


def _create(ssm: SSMClient, role: str, **extra: Any) -> str:
    created = ssm.create_association(
        Name=SHELL,
        Targets=[{"Key": "tag:Role", "Values": [role]}],
        Parameters={"commands": ["true"]},
        **extra,
    )["AssociationDescription"]
    return created["AssociationId"]


def _tagged(ssm: SSMClient, server: ServerProcess, role: str, count: int) -> list[DrivenAgent]:
    agents = driven_agents(ssm, server.url, count)
    for agent in agents:
        tag_instance(ssm, agent.instance_id, "Role", role)
    return agents


def _host_status(ssm: SSMClient, instance_id: str, association_id: str) -> str | None:
    infos = ssm.describe_instance_associations_status(InstanceId=instance_id)
    for info in infos["InstanceAssociationStatusInfos"]:
        if info["AssociationId"] == association_id:
            return info["Status"]
    return None


def _compliance(ssm: SSMClient, instance_id: str, association_id: str) -> dict[str, Any] | None:
    items = ssm.list_compliance_items(
        ResourceIds=[instance_id],
        ResourceTypes=["ManagedInstance"],
        Filters=[{"Key": "ComplianceType", "Values": ["Association"]}],
    )["ComplianceItems"]
    found = [dict(i) for i in items if i.get("Id") == association_id]
    return found[0] if found else None


def test_an_association_runs_at_creation_and_each_host_result_is_kept(
    server: ServerProcess,
) -> None:
    ssm = server.client()
    role = _role()
    good, bad = _tagged(ssm, server, role, 2)
    association_id = _create(ssm, role, AssociationName=f"keep-{role}", ComplianceSeverity="HIGH")

    frame = good.run_next(stdout="ok\n")
    assert frame["plan"]["steps"][0]["inputs"]["runCommand"] == ["true"]
    bad.run_next(details="Failed", code=3)

    wait_until(lambda: _host_status(ssm, bad.instance_id, association_id) == "Failed", timeout_s=45)
    wait_until(
        lambda: _host_status(ssm, good.instance_id, association_id) == "Success", timeout_s=45
    )
    described = ssm.describe_association(AssociationId=association_id)["AssociationDescription"]
    overview = described["Overview"]
    assert overview["Status"] == "Failed"
    assert overview["AssociationStatusAggregatedCount"] == {"Success": 1, "Failed": 1}

    (execution,) = ssm.describe_association_executions(AssociationId=association_id)[
        "AssociationExecutions"
    ]
    wait_until(
        lambda: (
            ssm.describe_association_executions(AssociationId=association_id)[
                "AssociationExecutions"
            ][0]["Status"]
            == "Failed"
        ),
        timeout_s=45,
    )
    targets = ssm.describe_association_execution_targets(
        AssociationId=association_id, ExecutionId=execution["ExecutionId"]
    )["AssociationExecutionTargets"]
    by_host = {t["ResourceId"]: t for t in targets}
    assert by_host[good.instance_id]["Status"] == "Success"
    assert by_host[bad.instance_id]["Status"] == "Failed"
    assert by_host[bad.instance_id]["ResourceType"] == "ManagedInstance"
    command_id = by_host[good.instance_id]["OutputSource"]["OutputSourceId"]
    assert by_host[good.instance_id]["OutputSource"]["OutputSourceType"] == "RunCommand"
    command = ssm.list_commands(CommandId=command_id)["Commands"][0]
    assert command["DocumentName"] == SHELL
    assert association_id in command["Comment"]
    # AUTO compliance: one Association item per host, COMPLIANT only where the run succeeded.
    compliant = _compliance(ssm, good.instance_id, association_id)
    assert compliant is not None
    assert compliant["Status"] == "COMPLIANT"
    assert compliant["Severity"] == "HIGH"
    assert compliant["Details"] == {"DocumentName": SHELL, "DocumentVersion": "$DEFAULT"}
    failing = _compliance(ssm, bad.instance_id, association_id)
    assert failing is not None
    assert failing["Status"] == "NON_COMPLIANT"
    failed_only = ssm.describe_association_execution_targets(
        AssociationId=association_id,
        ExecutionId=execution["ExecutionId"],
        Filters=[{"Key": "Status", "Value": "Failed"}],
    )["AssociationExecutionTargets"]
    assert [t["ResourceId"] for t in failed_only] == [bad.instance_id]


def test_a_host_tagged_later_gets_the_association_without_anyone_running_it(
    server: ServerProcess,
) -> None:
    ssm = server.client()
    role = _role()
    (first,) = _tagged(ssm, server, role, 1)
    association_id = _create(ssm, role)
    first.run_next()
    (later,) = driven_agents(ssm, server.url, 1)
    assert later.receives_nothing("invocation", within_s=1.5)

    tag_instance(ssm, later.instance_id, "Role", role)
    frame = later.run_next()
    assert frame["plan"]["steps"][0]["inputs"]["runCommand"] == ["true"]
    wait_until(
        lambda: _host_status(ssm, later.instance_id, association_id) == "Success", timeout_s=45
    )
    # Untagged: it leaves the targets, and its state with them.
    ssm.remove_tags_from_resource(
        ResourceType="ManagedInstance", ResourceId=later.instance_id, TagKeys=["Role"]
    )
    wait_until(lambda: _host_status(ssm, later.instance_id, association_id) is None, timeout_s=45)
    assert _compliance(ssm, later.instance_id, association_id) is None
    assert _compliance(ssm, first.instance_id, association_id) is not None


def test_update_replaces_the_whole_association_as_a_new_version(server: ServerProcess) -> None:
    ssm = server.client()
    role = _role()
    association_id = _create(
        ssm,
        role,
        AssociationName=f"v1-{role}",
        ScheduleExpression="rate(30 minutes)",
        ComplianceSeverity="HIGH",
        MaxConcurrency="2",
    )
    updated = ssm.update_association(
        AssociationId=association_id,
        Parameters={"commands": ["echo v2"]},
        AssociationVersion="1",
    )["AssociationDescription"]
    assert updated["AssociationVersion"] == "2"
    assert updated["Name"] == SHELL
    assert updated["Targets"] == [{"Key": "tag:Role", "Values": [role]}]
    assert updated["Parameters"] == {"commands": ["echo v2"]}
    # Left out of the update: cleared (severity back to its default).
    assert "ScheduleExpression" not in updated
    assert "AssociationName" not in updated
    assert "MaxConcurrency" not in updated
    assert updated["ComplianceSeverity"] == "UNSPECIFIED"

    stale = error_of(ssm.update_association, AssociationId=association_id, AssociationVersion="1")
    assert stale.code == "InvalidAssociationVersion"
    versions = ssm.list_association_versions(AssociationId=association_id)["AssociationVersions"]
    assert [v["AssociationVersion"] for v in versions] == ["1", "2"]
    assert versions[0]["ScheduleExpression"] == "rate(30 minutes)"
    first = ssm.describe_association(AssociationId=association_id, AssociationVersion="1")
    assert first["AssociationDescription"]["AssociationName"] == f"v1-{role}"


def test_list_associations_filters_and_pages(server: ServerProcess) -> None:
    ssm = server.client()
    role = _role()
    ids = {_create(ssm, role, AssociationName=f"{role}-{n}") for n in range(3)}
    named = ssm.list_associations(
        AssociationFilterList=[{"key": "AssociationName", "value": f"{role}-1"}]
    )["Associations"]
    assert [a["AssociationName"] for a in named] == [f"{role}-1"]
    assert named[0]["Overview"]["Status"] == "Pending"
    seen: list[str] = []
    token: str | None = None
    while True:
        page = (
            ssm.list_associations(MaxResults=1, NextToken=token)
            if token
            else ssm.list_associations(MaxResults=1)
        )
        seen.extend(a["AssociationId"] for a in page["Associations"])
        token = page.get("NextToken")
        if not token:
            break
    assert ids <= set(seen)
    assert len(seen) == len(set(seen))
    bad_key = error_of(
        ssm.list_associations, AssociationFilterList=[{"key": "Colour", "value": "x"}]
    )
    assert bad_key.code in {"ValidationException", "InvalidFilterKey"}


def test_delete_removes_the_association_and_its_compliance(server: ServerProcess) -> None:
    ssm = server.client()
    role = _role()
    (host,) = _tagged(ssm, server, role, 1)
    association_id = _create(ssm, role)
    host.run_next()
    wait_until(lambda: _compliance(ssm, host.instance_id, association_id) is not None, timeout_s=45)
    ssm.delete_association(AssociationId=association_id)
    assert _compliance(ssm, host.instance_id, association_id) is None
    gone = error_of(ssm.describe_association, AssociationId=association_id)
    assert gone.code == "AssociationDoesNotExist"
    again = error_of(ssm.delete_association, AssociationId=association_id)
    assert again.code == "AssociationDoesNotExist"


def test_bad_associations_get_aws_errors(server: ServerProcess) -> None:
    ssm = server.client()
    base: dict[str, Any] = {
        "Name": SHELL,
        "Targets": [{"Key": "tag:Role", "Values": ["x"]}],
        "Parameters": {"commands": ["true"]},
    }
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"ScheduleExpression": "rate(10 minutes)"}, "InvalidSchedule", "at least 30 minute"),
        ({"ScheduleExpression": "rate(1 hours)"}, "InvalidSchedule", "singular"),
        ({"ScheduleExpression": "cron(0 2 * * * *)"}, "InvalidSchedule", "question mark"),
        ({"ScheduleExpression": "cron(0,10 * * * ? *)"}, "InvalidSchedule", "30 minute"),
        (
            {"ScheduleExpression": "rate(1 day)", "ApplyOnlyAtCronInterval": True},
            "InvalidSchedule",
            "cron",
        ),
        ({"Name": "No-Such-Document"}, "InvalidDocument", ""),
        ({"Targets": [{"Key": "colour", "Values": ["x"]}]}, "InvalidTarget", "colour"),
        ({"Parameters": {"nope": ["x"]}}, "InvalidParameters", "nope"),
        ({"CalendarNames": ["cal"]}, "InvalidParameters", "Change Calendar"),
        (
            {"Targets": [], "TargetMaps": [{"InstanceId": ["i-0123456789abcdef0"]}]},
            "InvalidTargetMaps",
            "Automation runbook",
        ),
        (
            {"ScheduleExpression": "rate(1 day)", "ScheduleOffset": 2},
            "InvalidSchedule",
            "cron",
        ),
        (
            {"ScheduleExpression": "cron(0 2 ? * SUN *)", "ScheduleOffset": 2},
            "InvalidSchedule",
            "ApplyOnlyAtCronInterval",
        ),
        (
            {"ScheduleExpression": "cron(0 2 ? * SUN *)", "Duration": 2},
            "ValidationException",
            "ApplyOnlyAtCronInterval",
        ),
    ]
    for change, code, words in cases:
        refused = error_of(ssm.create_association, **{**base, **change})
        assert (refused.code, refused.status) == (code, 400), (change, refused)
        assert words in refused.message, (change, refused)
    unknown = str(uuid.uuid4())
    assert error_of(ssm.start_associations_once, AssociationIds=[unknown]).code == (
        "AssociationDoesNotExist"
    )
    assert (
        error_of(ssm.describe_association_executions, AssociationId=unknown).code
        == "AssociationDoesNotExist"
    )


def test_a_batch_creates_the_good_entries_and_reports_the_bad(server: ServerProcess) -> None:
    ssm = server.client()
    role = _role()
    answer = ssm.create_association_batch(
        Entries=[
            {
                "Name": SHELL,
                "Targets": [{"Key": "tag:Role", "Values": [role]}],
                "Parameters": {"commands": ["true"]},
                "AssociationName": f"batch-{role}",
            },
            {
                "Name": SHELL,
                "Targets": [{"Key": "tag:Role", "Values": [role]}],
                "ScheduleExpression": "rate(5 minutes)",
            },
        ]
    )
    assert [s["AssociationName"] for s in answer["Successful"]] == [f"batch-{role}"]
    (failed,) = answer["Failed"]
    assert failed["Fault"] == "Client"
    assert "30 minute" in failed["Message"]
    assert failed["Entry"]["ScheduleExpression"] == "rate(5 minutes)"


def test_a_partial_upload_writes_only_a_manual_associations_compliance(
    server: ServerProcess,
) -> None:
    """PutComplianceItems UploadType PARTIAL needs SyncCompliance MANUAL (AWS): an AUTO
    association's Association item is State Manager's to write."""
    ssm = server.client()
    role = _role()
    (host,) = _tagged(ssm, server, role, 1)
    automatic = _create(ssm, f"none-{role}")
    manual = _create(ssm, f"none-{role}", SyncCompliance="MANUAL")

    def partial(association_id: str) -> dict[str, Any]:
        return {
            "ResourceId": host.instance_id,
            "ResourceType": "ManagedInstance",
            "ComplianceType": "Association",
            "ExecutionSummary": {"ExecutionTime": "2026-03-01T12:00:00Z"},
            "Items": [{"Id": association_id, "Severity": "HIGH", "Status": "NON_COMPLIANT"}],
            "UploadType": "PARTIAL",
        }

    refused = error_of(ssm.put_compliance_items, **partial(automatic))
    assert (refused.code, refused.status) == ("ValidationException", 400)
    assert automatic in refused.message
    assert "SyncCompliance MANUAL" in refused.message
    assert _compliance(ssm, host.instance_id, automatic) is None

    ssm.put_compliance_items(**partial(manual))
    written = _compliance(ssm, host.instance_id, manual)
    assert written is not None
    assert written["Status"] == "NON_COMPLIANT"
