"""LookupEvents' questions as CloudTrail takes them: one attribute, a sane time range."""

from __future__ import annotations

import datetime as dt

import pytest

from openssm.errors import InvalidLookupAttributesException, InvalidTimeRangeException
from openssm.server.context import RequestContext
from openssm.server.services.audit.lookup import question

CTX = RequestContext(
    account_id="123456789012",
    region="eu-west-1",
    principal_arn="arn:aws:iam::123456789012:user/a",
    request_id="r",
    now=dt.datetime(2026, 12, 6, tzinfo=dt.UTC),
)


def _attr(key: str, value: str) -> dict[str, object]:
    return {"LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}]}


@pytest.mark.parametrize(
    ("key", "column"),
    [
        ("EventId", "event_id"),
        ("EventName", "event_name"),
        ("Username", "user_name"),
        ("AccessKeyId", "access_key_id"),
        ("EventSource", "event_source"),
    ],
)
def test_each_attribute_is_one_column(key: str, column: str) -> None:
    asked = question(CTX, _attr(key, "x"))
    assert (asked.column, asked.value, asked.region) == (column, "x", "eu-west-1")


def test_read_only_is_a_boolean_and_nothing_else() -> None:
    assert question(CTX, _attr("ReadOnly", "TRUE")).value is True
    assert question(CTX, _attr("ReadOnly", "false")).value is False
    with pytest.raises(InvalidLookupAttributesException):
        question(CTX, _attr("ReadOnly", "maybe"))


def test_a_parameter_name_finds_its_arn_form_too() -> None:
    assert question(CTX, _attr("ResourceName", "/prod/db")).resource_names == (
        "/prod/db",
        "prod/db",
    )
    assert question(CTX, _attr("ResourceType", "AWS::SSM::Parameter")).resource_type == (
        "AWS::SSM::Parameter"
    )


def test_cloudtrail_takes_one_attribute_at_a_time() -> None:
    body = {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "a"}] * 2}
    with pytest.raises(InvalidLookupAttributesException):
        question(CTX, body)


def test_a_start_after_the_end_is_refused() -> None:
    with pytest.raises(InvalidTimeRangeException):
        question(CTX, {"StartTime": 200, "EndTime": 100})
    asked = question(CTX, {"StartTime": 100, "EndTime": 200})
    assert asked.start == dt.datetime.fromtimestamp(100, dt.UTC)


def test_an_arn_looks_up_its_short_name_and_type() -> None:
    asked = question(CTX, _attr("ResourceName", "arn:aws:ssm:eu-west-1:1:parameter/prod/db"))
    assert (asked.resource_names, asked.resource_type) == (("prod/db",), "AWS::SSM::Parameter")
