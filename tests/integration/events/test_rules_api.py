"""Event rules and targets through boto3's EventBridge client on the server's URL (AWS JSON 1.1,
``AWSEvents.*``, signed for ``events``): what AWS answers, what openssm refuses, and that a
target's secret and the server's files stay out of a caller's reach (SECURITY.md #17, #18)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.aws_errors import error_of
from tests.integration.events.support import PARAMETER_CHANGES, events_client
from tests.support import TEST_ACCOUNT_ID, ServerProcess


def _name() -> str:
    return "r-" + uuid.uuid4().hex[:10]


def _refused_target(server: ServerProcess, arn: str) -> str:
    """PutTargets with this Arn must be a ValidationException; its message."""
    events = events_client(server)
    name = _name()
    events.put_rule(Name=name, EventPattern=json.dumps(PARAMETER_CHANGES))
    error = error_of(events.put_targets, Rule=name, Targets=[{"Id": "a", "Arn": arn}])
    assert error.code == "ValidationException"
    return error.message


def test_rules_are_put_described_listed_and_deleted(server: ServerProcess) -> None:
    events = events_client(server)
    name = _name()
    arn = events.put_rule(
        Name=name, EventPattern=json.dumps(PARAMETER_CHANGES), Description="params"
    )["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:{TEST_ACCOUNT_ID}:rule/{name}"
    described = events.describe_rule(Name=name)
    assert (described["State"], described["Description"]) == ("ENABLED", "params")
    assert json.loads(described["EventPattern"]) == PARAMETER_CHANGES
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    events.enable_rule(Name=name)
    listed = events.list_rules(NamePrefix=name)["Rules"]
    assert [r["Name"] for r in listed] == [name]
    events.delete_rule(Name=name)
    assert error_of(events.describe_rule, Name=name).code == "ResourceNotFoundException"
    events.delete_rule(Name=name)  # as on AWS, deleting a missing rule is no error


def test_list_rules_pages(server: ServerProcess) -> None:
    events = events_client(server)
    prefix = _name()
    for i in range(3):
        events.put_rule(Name=f"{prefix}-{i}", EventPattern=json.dumps(PARAMETER_CHANGES))
    first = events.list_rules(NamePrefix=prefix, Limit=2)
    assert [r["Name"] for r in first["Rules"]] == [f"{prefix}-0", f"{prefix}-1"]
    rest = events.list_rules(NamePrefix=prefix, Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == [f"{prefix}-2"]
    assert "NextToken" not in rest
    bad = error_of(events.list_rules, NamePrefix=prefix, NextToken="garbage")
    assert bad.code == "ValidationException"


@pytest.mark.parametrize(
    "pattern",
    ["not json", "{}", '{"source": "aws.ssm"}', '{"source": [{"regex": "x"}]}'],
)
def test_a_bad_pattern_is_an_invalid_event_pattern(server: ServerProcess, pattern: str) -> None:
    error = error_of(events_client(server).put_rule, Name=_name(), EventPattern=pattern)
    assert error.code == "InvalidEventPatternException"
    assert "Event pattern is not valid" in error.message


def test_what_openssm_cannot_do_is_refused_by_name(server: ServerProcess) -> None:
    events = events_client(server)
    schedule = error_of(events.put_rule, Name=_name(), ScheduleExpression="rate(5 minutes)")
    assert (schedule.code, "ScheduleExpression" in schedule.message) == (
        "ValidationException",
        True,
    )
    bus = error_of(events.put_rule, Name=_name(), EventPattern="{}", EventBusName="custom")
    assert bus.code == "ResourceNotFoundException"
    missing = error_of(events.put_targets, Rule=_name(), Targets=[{"Id": "a", "Arn": "file:x"}])
    assert missing.code == "ResourceNotFoundException"


def test_targets_are_put_listed_and_removed_and_a_secret_is_never_shown(
    server: ServerProcess,
) -> None:
    events = events_client(server)
    name = _name()
    events.put_rule(Name=name, EventPattern=json.dumps(PARAMETER_CHANGES))
    bus = f"arn:aws:events:us-east-1:{TEST_ACCOUNT_ID}:event-bus/elsewhere"
    topic = f"arn:aws:sns:us-east-1:{TEST_ACCOUNT_ID}:alerts"
    events.put_targets(
        Rule=name,
        Targets=[
            {
                "Id": "hook",
                "Arn": "https://hooks.example.com/x",
                "HttpParameters": {"HeaderParameters": {"X-Openssm-Secret": "canary-secret"}},
                "RetryPolicy": {"MaximumRetryAttempts": 3},
            },
            {"Id": "file", "Arn": "file:events.jsonl"},
            {"Id": "bus", "Arn": bus},
            {"Id": "topic", "Arn": topic},
        ],
    )
    listed = {t["Id"]: t for t in events.list_targets_by_rule(Rule=name)["Targets"]}
    assert listed["hook"] == {
        "Id": "hook",
        "Arn": "https://hooks.example.com/x",
        "RetryPolicy": {"MaximumRetryAttempts": 3},
    }
    assert (listed["file"]["Arn"], listed["bus"]["Arn"], listed["topic"]["Arn"]) == (
        "file:events.jsonl",
        bus,
        topic,
    )
    assert "canary-secret" not in json.dumps(listed)
    # A rule with targets is not deleted (AWS's answer); remove them first.
    assert error_of(events.delete_rule, Name=name).code == "ValidationException"
    removed = events.remove_targets(Rule=name, Ids=["hook", "file", "bus", "topic", "nope"])
    assert removed["FailedEntryCount"] == 1
    assert removed["FailedEntries"][0]["TargetId"] == "nope"
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []
    events.delete_rule(Name=name)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
        "http://[fd00:ec2::254]/hook",
    ],
)
def test_a_webhook_to_a_link_local_or_metadata_address_is_refused(
    server: ServerProcess, url: str
) -> None:
    """SECURITY.md #17: the server's configuration alone may allow these."""
    assert "link-local" in _refused_target(server, url)


@pytest.mark.parametrize(
    "arn",
    [
        "file:../escape.jsonl",
        "file:/etc/passwd",
        "file:sub/dir.jsonl",
        "file:%2e%2e%2fescape",
        "file:.hidden",
        "file:",
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
        "arn:aws:lambda:us-east-1:123456789012:function:f",
    ],
)
def test_a_target_cannot_name_a_server_path_or_an_unsupported_destination(
    server: ServerProcess, arn: str
) -> None:
    """SECURITY.md #18: a file target names a file in the server's own events directory."""
    _refused_target(server, arn)


def test_rules_follow_events_permissions(server: ServerProcess) -> None:
    name = _name()
    key, secret = server.new_user(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "events:DescribeRule", "Resource": "*"},
                {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
            ],
        }
    )
    user = events_client(server, access_key_id=key, secret_access_key=secret)
    denied = error_of(user.put_rule, Name=name, EventPattern=json.dumps(PARAMETER_CHANGES))
    assert denied.code == "AccessDeniedException"
    assert "events:PutRule" in denied.message
    assert error_of(user.describe_rule, Name=name).code == "ResourceNotFoundException"
