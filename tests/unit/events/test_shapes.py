"""Event envelopes, Run Command's notification messages and which notifications a
NotificationConfig asks for (AWS: "Monitoring Systems Manager status changes using Amazon SNS
notifications" and the EventBridge event examples)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from openssm.server.events import shapes

AT = dt.datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=dt.UTC)
FACTS = shapes.CommandFacts(
    command_id="c0ffee00-0000-4000-8000-000000000001",
    document_name="AWS-RunShellScript",
    requested_at=AT,
    expires_at=AT + dt.timedelta(hours=1),
    parameters={"commands": ["uptime"]},
    instance_ids=["mi-0123456789abcdef0"],
    output_s3_bucket="bucket",
    output_s3_prefix="prefix",
    notification_config={},
)


def test_the_envelope_has_eventbridges_fields_and_a_stable_id() -> None:
    event = shapes.StoredEvent(
        outbox_id=7,
        account_id="123456789012",
        region="eu-west-1",
        created_at=AT,
        source="aws.ssm",
        detail_type="Parameter Store Change",
        resources=["arn:aws:ssm:eu-west-1:123456789012:parameter/a"],
        detail={"name": "/a", "operation": "Create", "type": "String"},
    )
    envelope = shapes.envelope(event)
    assert list(envelope) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert (envelope["version"], envelope["time"]) == ("0", "2026-03-04T05:06:07Z")
    assert envelope["id"] == shapes.envelope(event)["id"]
    other = shapes.envelope(dataclasses.replace(event, outbox_id=8))
    assert other["id"] != envelope["id"]


def test_events_of_one_resource_share_an_ordering_key() -> None:
    def key(detail: dict[str, str], resources: list[str]) -> str:
        return shapes.ordering_key(
            shapes.StoredEvent(
                outbox_id=1,
                account_id="1",
                region="r",
                created_at=AT,
                source="aws.ssm",
                detail_type="x",
                resources=resources,
                detail=detail,
            )
        )

    assert key({"command-id": "c"}, ["arn:a", "arn:b"]) == "c"
    assert key({"command-id": "c", "instance-id": "mi-1"}, ["arn:a"]) == "c/mi-1"
    assert key({"name": "/a"}, ["arn:p"]) == "arn:p"
    assert key({}, []) == "event/1"


def test_command_and_invocation_details_are_aws_fields() -> None:
    assert shapes.command_detail(FACTS, "Failed") == {
        "command-id": FACTS.command_id,
        "document-name": "AWS-RunShellScript",
        "expire-after": "2026-03-04T06:06:07.891Z",
        "parameters": {"commands": ["uptime"]},
        "requested-date-time": "2026-03-04T05:06:07.891Z",
        "status": "Failed",
    }
    assert shapes.invocation_detail(FACTS, "mi-0123456789abcdef0", "Success") == {
        "command-id": FACTS.command_id,
        "document-name": "AWS-RunShellScript",
        "instance-id": "mi-0123456789abcdef0",
        "requested-date-time": "2026-03-04T05:06:07.891Z",
        "status": "Success",
    }


def test_notification_messages_are_aws_fields() -> None:
    message = shapes.command_message(FACTS, "Success", AT)
    assert message == {
        "commandId": FACTS.command_id,
        "documentName": "AWS-RunShellScript",
        "eventTime": "2026-03-04T05:06:07.891Z",
        "expiresAfter": "2026-03-04T06:06:07.891Z",
        "outputS3BucketName": "bucket",
        "outputS3KeyPrefix": "prefix",
        "requestedDateTime": "2026-03-04T05:06:07.891Z",
        "status": "Success",
        "instanceIds": ["mi-0123456789abcdef0"],
    }
    by_tags = dataclasses.replace(FACTS, instance_ids=[])
    assert "instanceIds" not in shapes.command_message(by_tags, "Success", AT)
    assert set(shapes.invocation_message(FACTS, "mi-1", "Failed", AT)) == {
        "commandId",
        "documentName",
        "eventTime",
        "instanceId",
        "requestedDateTime",
        "status",
    }


ARN = "arn:aws:sns:us-east-1:123456789012:t"


@pytest.mark.parametrize(
    ("config", "kind", "status", "wanted"),
    [
        ({"NotificationArn": ARN}, "Command", "Success", True),  # type Command, events All
        ({"NotificationArn": ARN}, "Invocation", "Success", False),
        ({"NotificationArn": ARN, "NotificationType": "Invocation"}, "Invocation", "Failed", True),
        ({"NotificationArn": ARN, "NotificationEvents": ["All"]}, "Command", "Pending", False),
        ({"NotificationArn": ARN, "NotificationEvents": ["All"]}, "Command", "Cancelling", False),
        ({"NotificationArn": ARN, "NotificationEvents": ["Failed"]}, "Command", "Success", False),
        ({"NotificationArn": ARN, "NotificationEvents": ["TimedOut"]}, "Command", "TimedOut", True),
        (
            {"NotificationArn": ARN, "NotificationEvents": ["InProgress"]},
            "Command",
            "InProgress",
            True,
        ),
        ({"NotificationEvents": ["All"]}, "Command", "Success", False),  # no topic
        ({}, "Command", "Failed", False),
    ],
)
def test_which_notifications_a_config_asks_for(
    config: dict[str, object], kind: str, status: str, wanted: bool
) -> None:
    assert shapes.notification_wanted(config, kind, status) is wanted
