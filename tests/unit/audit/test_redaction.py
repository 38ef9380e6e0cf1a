"""What a record keeps of a call's input and output: CloudTrail's names, never a secret."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from openssm.server.api.model import load_service_model
from openssm.server.services.audit.calls import ApiCall, Identity
from openssm.server.services.audit.records import build_record, resource_of, storable, to_row
from openssm.server.services.audit.redaction import HIDDEN, Redactor
from tests.canary import assert_absent

NOW = dt.datetime(2026, 12, 6, 11, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def ssm() -> Redactor:
    return Redactor(load_service_model("ssm"))


def _call(name: str, parameters: dict[str, object], response: dict[str, object]) -> ApiCall:
    return ApiCall(
        event_source="ssm.amazonaws.com",
        event_name=name,
        request_id="r-1",
        event_time=NOW,
        source_ip="127.0.0.1",
        user_agent="test",
        account_id="123456789012",
        region="us-east-1",
        identity=Identity.user(account_id="123456789012", user_name="alice", access_key_id="AK"),
        parameters=parameters,
        response=response,
    )


def test_put_parameter_keeps_names_in_camel_case_and_hides_the_value(ssm: Redactor) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    body = {"Name": "/prod/db", "Value": canary, "Type": "SecureString", "Overwrite": True}
    assert ssm.request("PutParameter", body) == {
        "name": "/prod/db",
        "value": HIDDEN,
        "type": "SecureString",
        "overwrite": True,
    }


def test_send_command_parameters_are_hidden_as_cloudtrail_hides_them(ssm: Redactor) -> None:
    body = {
        "DocumentName": "AWS-RunShellScript",
        "Parameters": {"commands": ["echo s3cret"]},
        "Targets": [{"Key": "tag:Env", "Values": ["prod"]}],
    }
    assert ssm.request("SendCommand", body) == {
        "documentName": "AWS-RunShellScript",
        "parameters": HIDDEN,
        "targets": [{"key": "tag:Env", "values": ["prod"]}],
    }


def test_an_activation_code_never_reaches_the_response_elements(ssm: Redactor) -> None:
    canary = f"canary-{uuid.uuid4().hex}"
    out = ssm.response("CreateActivation", {"ActivationId": "a-1", "ActivationCode": canary})
    assert out == {"activationId": "a-1", "activationCode": HIDDEN}


def test_tag_values_stay_readable(ssm: Redactor) -> None:
    body = {"ResourceType": "Parameter", "ResourceId": "/a", "Tags": [{"Key": "k", "Value": "v"}]}
    assert ssm.request("AddTagsToResource", body) == {
        "resourceType": "Parameter",
        "resourceId": "/a",
        "tags": [{"key": "k", "value": "v"}],
    }


def test_a_member_the_model_does_not_know_is_left_out(ssm: Redactor) -> None:
    assert ssm.request("GetParameter", {"Name": "/a", "Sneaky": "x"}) == {"name": "/a"}


def test_responses_are_cut_to_a_few_levels_and_items(ssm: Redactor) -> None:
    command = {"CommandId": "c-1", "InstanceIds": [f"mi-{i:017x}" for i in range(50)]}
    out = ssm.response("SendCommand", {"Command": command})
    assert out is not None
    assert out["command"]["commandId"] == "c-1"
    assert len(out["command"]["instanceIds"]) == 20


def test_the_record_of_a_secure_put_holds_no_trace_of_its_value(ssm: Redactor) -> None:
    """SECURITY.md #14: a canary SecureString never reaches a record, in any encoding."""
    canary = f"canary-{uuid.uuid4().hex}"
    call = _call(
        "PutParameter",
        {"Name": "/c", "Value": canary, "Type": "SecureString"},
        {"Version": 1, "Tier": "Standard"},
    )
    record = build_record(call, {"ssm.amazonaws.com": ssm})
    row = to_row(record, call)
    assert_absent(canary, row.record.encode(), "the audit record")
    assert record["responseElements"] == {"version": 1, "tier": "Standard"}


def test_reads_keep_no_response_and_errors_keep_their_code(ssm: Redactor) -> None:
    call = _call("GetParameter", {"Name": "/c", "WithDecryption": True}, {"Parameter": {}})
    call.failed_with("AccessDenied", "User: … is not authorized")
    record = build_record(call, {"ssm.amazonaws.com": ssm})
    assert record["responseElements"] is None
    assert record["readOnly"] is True
    assert (record["errorCode"], record["eventType"]) == ("AccessDenied", "AwsApiCall")


def test_a_record_has_every_cloudtrail_field(ssm: Redactor) -> None:
    call = _call("DeleteParameter", {"Name": "/c"}, {})
    call.resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/c", "*"]
    record = json.loads(to_row(build_record(call, {"ssm.amazonaws.com": ssm}), call).record)
    for field in (
        "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
        "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "requestID",
        "eventID", "readOnly", "eventType", "managementEvent", "recipientAccountId",
    ):  # fmt: skip
        assert field in record
    assert record["userIdentity"] == {
        "type": "IAMUser",
        "principalId": "alice",
        "arn": "arn:aws:iam::123456789012:user/alice",
        "accountId": "123456789012",
        "accessKeyId": "AK",
        "userName": "alice",
    }
    assert record["eventTime"] == "2026-12-06T11:00:00Z"
    assert record["resources"] == [
        {
            "accountId": "123456789012",
            "type": "AWS::SSM::Parameter",
            "ARN": "arn:aws:ssm:us-east-1:123456789012:parameter/c",
        }
    ]


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:ssm:us-east-1:1:parameter/a/b", ("AWS::SSM::Parameter", "a/b")),
        ("arn:aws:ssm:us-east-1:1:managed-instance/mi-1", ("AWS::SSM::ManagedInstance", "mi-1")),
        ("arn:aws:ssm:us-east-1:1:document/AWS-Run", ("AWS::SSM::Document", "AWS-Run")),
        ("arn:aws:resource-groups:us-east-1:1:group/g", ("AWS::ResourceGroups::Group", "g")),
        ("*", None),
    ],
)  # fmt: skip
def test_resource_types_and_names_come_from_the_arn(
    arn: str, expected: tuple[str, str] | None
) -> None:
    assert resource_of(arn) == expected


def test_hostile_text_is_stored_as_both_databases_can_keep_it(ssm: Redactor) -> None:
    """A NUL or a lone surrogate in a request (a parameter name, say) must not fail the batch
    it is written in: PostgreSQL refuses NUL in text, and UTF-8 has no surrogates."""
    call = _call("GetParameter", {"Name": "/a\x00b\ud800c"}, {})
    call.resources = ["arn:aws:ssm:us-east-1:123456789012:parameter/a\x00b\ud800c"]
    row = to_row(build_record(call, {"ssm.amazonaws.com": ssm}), call)
    row.record.encode("utf-8")
    assert "\x00" not in row.record
    assert json.loads(row.record)["requestParameters"]["name"] == "/a\x00b\ud800c"
    (resource,) = row.resources
    assert resource.name == "a\ufffdb?c"
    assert storable("plain", 3) == "pla"
