"""The audit trail over HTTP: every call recorded, read back with boto3's CloudTrail client."""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from types_boto3_cloudtrail.client import CloudTrailClient
from types_boto3_resource_groups.client import ResourceGroupsClient

from tests.agents import create_activation
from tests.canary import assert_absent, put_canary
from tests.clocked_server import ClockedServer
from tests.integration.audit.conftest import aws_client, cloudtrail
from tests.integration.commands.output_support import signed_get
from tests.support import ADMIN_KEY_ID, ADMIN_SECRET, TEST_REGION, wait_until

AttributeKey = Any


def _records(trail: CloudTrailClient, key: AttributeKey, value: str) -> list[dict[str, Any]]:
    pages = trail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}]
    )
    return [json.loads(e["CloudTrailEvent"]) for page in pages for e in page["Events"]]


def _by_request(trail: CloudTrailClient, request_id: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in _records(trail, "EventName", name) if r["requestID"] == request_id]
    return found


def test_a_send_command_is_recorded_with_who_made_it(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    ssm = audit_server.client()
    sent = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        Targets=[{"Key": "tag:Team", "Values": [uuid.uuid4().hex]}],
        Parameters={"commands": ["echo secret-ish"]},
    )
    record = _by_request(trail, sent["ResponseMetadata"]["RequestId"], "SendCommand")
    assert record["userIdentity"]["userName"] == "admin"
    assert record["userIdentity"]["accessKeyId"] == ADMIN_KEY_ID
    assert record["userIdentity"]["type"] == "IAMUser"
    assert record["eventSource"] == "ssm.amazonaws.com"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["userAgent"].startswith("Boto3/")
    assert record["readOnly"] is False
    assert record["requestParameters"]["parameters"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert record["responseElements"]["command"]["commandId"] == sent["Command"]["CommandId"]
    assert "errorCode" not in record


def test_a_denied_call_is_recorded_as_access_denied(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}],
    }
    key, secret = audit_server.new_user(policy)
    name = f"/audit/{uuid.uuid4().hex}"
    with pytest.raises(ClientError) as refused:
        audit_server.client(access_key_id=key, secret_access_key=secret).put_parameter(
            Name=name, Value="v", Type="String"
        )
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"
    # Reading the trail is cloudtrail:LookupEvents, which this user was not given.
    with pytest.raises(ClientError) as looked:
        cloudtrail(audit_server, access_key_id=key, secret_access_key=secret).lookup_events()
    assert looked.value.response["Error"]["Code"] == "AccessDeniedException"
    records = _records(trail, "AccessKeyId", key)
    by_name = {r["eventName"]: r for r in records}
    assert by_name["PutParameter"]["errorCode"] == "AccessDenied"
    assert (
        "is not authorized to perform: ssm:PutParameter"
        in (by_name["PutParameter"]["errorMessage"])
    )
    assert by_name["PutParameter"]["requestParameters"]["name"] == name
    assert by_name["LookupEvents"]["eventSource"] == "cloudtrail.amazonaws.com"
    assert by_name["LookupEvents"]["errorCode"] == "AccessDenied"


def test_a_refused_signature_is_recorded_without_an_identity(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    wrong = audit_server.client(secret_access_key="not-the-secret-" + "x" * 24)
    with pytest.raises(ClientError) as refused:
        wrong.describe_parameters()
    code = refused.value.response["Error"]["Code"]
    unknown_key = "AKIA" + uuid.uuid4().hex[:16].upper()
    with pytest.raises(ClientError):
        audit_server.client(access_key_id=unknown_key).describe_parameters()
    (record,) = _records(trail, "AccessKeyId", unknown_key)
    assert record["userIdentity"] == {
        "type": "Unknown",
        "accountId": "123456789012",
        "accessKeyId": unknown_key,
    }
    assert record["errorCode"] == "UnrecognizedClientException"
    assert record["eventName"] == "DescribeParameters"
    refusals = [
        r
        for r in _records(trail, "EventName", "DescribeParameters")
        if r.get("errorCode") == code and r["userIdentity"].get("accessKeyId") == ADMIN_KEY_ID
    ]
    assert refusals
    assert refusals[0]["userIdentity"]["type"] == "Unknown"


def test_no_secret_reaches_a_record_an_event_or_the_database(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    """SECURITY.md #14 and #21: neither a SecureString nor an activation code is recorded."""
    ssm = audit_server.client()
    name, canary = put_canary(ssm, f"audit{uuid.uuid4().hex[:6]}")
    ssm.put_parameter(Name=name, Value=canary + "-2", Type="SecureString", Overwrite=True)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == canary + "-2"
    with pytest.raises(ClientError):
        ssm.put_parameter(Name=name, Value=canary, Type="SecureString", AllowedPattern=r"^\d+$")
    activation_id, code = create_activation(ssm)
    records = _records(trail, "ResourceName", name)
    assert {r["eventName"] for r in records} >= {"PutParameter", "GetParameter"}
    (created,) = [
        r
        for r in _records(trail, "EventName", "CreateActivation")
        if r["responseElements"]["activationId"] == activation_id
    ]
    assert created["responseElements"]["activationCode"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    db = audit_server.data_dir / "openssm.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        stored = conn.execute("SELECT record FROM audit_events").fetchall()
        events = conn.execute("SELECT detail FROM outbox_events").fetchall()
    for secret in (canary, code):
        assert_absent(secret, json.dumps(stored).encode(), "audit records")
        assert_absent(secret, json.dumps(events).encode(), "outbox events")
        for path in sorted(audit_server.data_dir.glob("openssm.db*")):
            assert_absent(secret, path.read_bytes(), path.name)


def test_writes_become_cloudtrail_events_for_rules_and_reads_do_not(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    ssm = audit_server.client()
    name = f"/audit/{uuid.uuid4().hex}"
    put = ssm.put_parameter(Name=name, Value="v", Type="String")["ResponseMetadata"]["RequestId"]
    got = ssm.get_parameter(Name=name)["ResponseMetadata"]["RequestId"]
    _records(trail, "ResourceName", name)  # the lookup writes what waits first
    db = audit_server.data_dir / "openssm.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "SELECT source, resources, detail FROM outbox_events WHERE detail_type = ?",
            ("AWS API Call via CloudTrail",),
        ).fetchall()
    details = {
        json.loads(detail)["requestID"]: (source, resources) for source, resources, detail in rows
    }
    assert got not in details
    source, resources = details[put]
    assert source == "aws.ssm"
    assert json.loads(resources) == [f"arn:aws:ssm:{TEST_REGION}:123456789012:parameter{name}"]


def test_lookups_page_newest_first_and_filter_by_resource(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    ssm = audit_server.client()
    name = f"/audit/{uuid.uuid4().hex}"
    ssm.put_parameter(Name=name, Value="1", Type="String")
    ssm.put_parameter(Name=name, Value="2", Type="String", Overwrite=True)
    ssm.delete_parameter(Name=name)
    attribute: list[Any] = [{"AttributeKey": "ResourceName", "AttributeValue": name}]
    first = trail.lookup_events(LookupAttributes=attribute, MaxResults=2)
    second = trail.lookup_events(
        LookupAttributes=attribute, MaxResults=2, NextToken=first["NextToken"]
    )
    names = [e["EventName"] for e in first["Events"] + second["Events"]]
    assert names == ["DeleteParameter", "PutParameter", "PutParameter"]
    assert "NextToken" not in second
    assert first["Events"][0]["Resources"] == [
        {
            "ResourceType": "AWS::SSM::Parameter",
            "ResourceName": f"arn:aws:ssm:{TEST_REGION}:123456789012:parameter{name}",
        }
    ]
    with pytest.raises(ClientError) as bad:
        trail.lookup_events(LookupAttributes=attribute, NextToken=first["NextToken"] + "x")
    assert bad.value.response["Error"]["Code"] == "InvalidNextTokenException"
    with pytest.raises(ClientError) as two:
        trail.lookup_events(LookupAttributes=attribute * 2)
    assert two.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    reads = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "true"}], MaxResults=5
    )["Events"]
    assert reads
    assert all(e["ReadOnly"] == "true" for e in reads)


def test_resource_groups_calls_are_recorded_too(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    groups: ResourceGroupsClient = aws_client(audit_server, "resource-groups")
    name = f"g{uuid.uuid4().hex[:10]}"
    query = {"ResourceTypeFilters": ["AWS::AllSupported"], "TagFilters": [{"Key": "Env"}]}
    groups.create_group(
        Name=name,
        ResourceQuery={"Type": "TAG_FILTERS_1_0", "Query": json.dumps(query)},
    )
    (record,) = _records(trail, "ResourceName", name)
    assert record["eventSource"] == "resource-groups.amazonaws.com"
    assert record["eventName"] == "CreateGroup"
    assert record["requestParameters"]["name"] == name


def test_reading_a_commands_whole_output_is_recorded_like_other_reads(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    """GET /output/... (StandardOutputUrl, ``openssm output --full``) is authorized as
    ssm:GetCommandInvocation and recorded as that call, with the path it read."""
    command_id, instance_id = str(uuid.uuid4()), "mi-0123456789abcdef0"
    path = f"/output/{command_id}/{instance_id}/awsrunShellScript/0.awsrunShellScript/stdout"
    status, _ = signed_get(audit_server.url + path)
    assert status == 404  # no such command: still a call, and recorded
    key, secret = audit_server.new_user(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "ssm:ListCommands", "Resource": "*"}],
        }
    )
    assert signed_get(audit_server.url + path, key_id=key, secret=secret)[0] == 400

    def reads() -> list[dict[str, Any]]:
        records = _records(trail, "EventName", "GetCommandInvocation")
        return [r for r in records if r.get("additionalEventData", {}).get("outputPath") == path]

    wait_until(lambda: len(reads()) == 2, timeout_s=10)
    denied, allowed = reads()  # newest first
    assert allowed["userIdentity"]["userName"] == "admin"
    assert allowed["eventSource"] == "ssm.amazonaws.com"
    assert allowed["requestParameters"] == {"commandId": command_id, "instanceId": instance_id}
    assert allowed["readOnly"] is True
    assert allowed["errorCode"] == "InvocationDoesNotExist"
    assert denied["userIdentity"]["accessKeyId"] == key
    assert denied["errorCode"] == "AccessDenied"


def _tail(server: ClockedServer, key: str, secret: str, pattern: str) -> int:
    """Open the live event stream signed by this key; its HTTP status (the stream is left
    at once)."""
    url = f"{server.url}/events/v1/tail?pattern={urllib.parse.quote(pattern, safe='')}"
    request = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret), "events", TEST_REGION).add_auth(request)
    signed = urllib.request.Request(url, headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(signed, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code


def test_opening_the_live_event_stream_is_recorded(
    audit_server: ClockedServer, trail: CloudTrailClient
) -> None:
    pattern = json.dumps({"source": [f"tail-{uuid.uuid4().hex}"]})
    assert _tail(audit_server, ADMIN_KEY_ID, ADMIN_SECRET, pattern) == 200
    key, secret = audit_server.new_user(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "events:ListRules", "Resource": "*"}],
        }
    )
    assert _tail(audit_server, key, secret, pattern) == 400

    def tails() -> list[dict[str, Any]]:
        records = _records(trail, "EventName", "TailEvents")
        return [r for r in records if r.get("additionalEventData") == {"pattern": pattern}]

    wait_until(lambda: len(tails()) == 2, timeout_s=10)
    denied, allowed = tails()  # newest first
    assert allowed["eventSource"] == "events.amazonaws.com"
    assert allowed["userIdentity"]["userName"] == "admin"
    assert allowed["readOnly"] is True
    assert "errorCode" not in allowed
    assert denied["userIdentity"]["accessKeyId"] == key
    assert denied["errorCode"] == "AccessDenied"
