"""Parameter policies: parsing and due times ("Assigning parameter policies", User Guide)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from openssm.errors import (
    ApiError,
    IncompatiblePolicyException,
    InvalidPolicyAttributeException,
    InvalidPolicyTypeException,
    PoliciesLimitExceededException,
    ValidationException,
)
from openssm.server.services.parameters import policies as pol
from openssm.server.services.parameters.policies import PolicyType

NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.UTC)


def expiration(timestamp: str = "2030-02-01T00:00:00.000Z") -> dict[str, Any]:
    return {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": timestamp}}


def notify_before(amount: object = "15", unit: object = "Days") -> dict[str, Any]:
    return {
        "Type": "ExpirationNotification",
        "Version": "1.0",
        "Attributes": {"Before": amount, "Unit": unit},
    }


def no_change(amount: object = "20", unit: object = "Hours") -> dict[str, Any]:
    return {
        "Type": "NoChangeNotification",
        "Version": "1.0",
        "Attributes": {"After": amount, "Unit": unit},
    }


def parse(items: list[dict[str, Any]]) -> list[pol.Policy]:
    return pol.parse_policies(json.dumps(items), now=NOW)


def test_parse_policies_reads_all_three_types() -> None:
    parsed = parse([expiration(), notify_before(), no_change()])
    assert [p.type for p in parsed] == list(PolicyType)
    assert parsed[0].expires_at == dt.datetime(2030, 2, 1, tzinfo=dt.UTC)
    assert parsed[1].period == dt.timedelta(days=15)
    assert parsed[2].period == dt.timedelta(hours=20)
    assert json.loads(parsed[0].text) == expiration()


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2030-02-01T00:00:00.000Z", dt.datetime(2030, 2, 1, tzinfo=dt.UTC)),
        ("2030-02-01T00:00:00Z", dt.datetime(2030, 2, 1, tzinfo=dt.UTC)),
        ("2030-02-01T02:00:00+02:00", dt.datetime(2030, 2, 1, tzinfo=dt.UTC)),
    ],
)
def test_expiration_takes_iso_instant_or_offset_date_time(
    timestamp: str, expected: dt.datetime
) -> None:
    """Timestamp: ISO_INSTANT or ISO_OFFSET_DATE_TIME."""
    (parsed,) = parse([expiration(timestamp)])
    assert parsed.expires_at == expected


@pytest.mark.parametrize("text", ["[]", "[{}]", "[{}, {}]"])
def test_empty_policies_clear_the_set(text: str) -> None:
    """A PutParameter with an empty policy (`[{}]`) removes the policies."""
    assert pol.parse_policies(text, now=NOW) == []
    assert pol.policies_text([]) is None


@pytest.mark.parametrize(
    ("items", "error"),
    [
        ([{"Type": "Rotation", "Version": "1.0", "Attributes": {}}], InvalidPolicyTypeException),
        ([{"Version": "1.0", "Attributes": {}}], InvalidPolicyTypeException),
        ([expiration("tomorrow")], InvalidPolicyAttributeException),
        ([expiration("2030-02-01T00:00:00")], InvalidPolicyAttributeException),  # no zone
        ([expiration("2029-12-31T00:00:00Z")], InvalidPolicyAttributeException),  # past
        ([expiration(), notify_before("0")], InvalidPolicyAttributeException),
        ([expiration(), notify_before("x")], InvalidPolicyAttributeException),
        ([expiration(), notify_before(unit="Weeks")], InvalidPolicyAttributeException),
        ([no_change(True)], InvalidPolicyAttributeException),
        ([{**expiration(), "Version": "2.0"}], InvalidPolicyAttributeException),
        ([{**expiration(), "Extra": 1}], InvalidPolicyAttributeException),
        ([{"Type": "Expiration", "Attributes": {"Timestamp": "x", "Y": 1}}],
         InvalidPolicyAttributeException),
        ([expiration(), expiration("2030-03-01T00:00:00Z")], IncompatiblePolicyException),
        ([no_change(), no_change()], IncompatiblePolicyException),
        ([notify_before()], IncompatiblePolicyException),  # nothing to count back from
        ([no_change()] * 11, PoliciesLimitExceededException),
    ],
)  # fmt: skip
def test_parse_policies_refuses_with_the_policy_errors(
    items: list[dict[str, Any]], error: type[ApiError]
) -> None:
    """Unknown type, bad attribute, conflicting set, more than 10 policies."""
    with pytest.raises(error):
        parse(items)


@pytest.mark.parametrize("text", ["not json", '{"Type": "Expiration"}', '["x"]'])
def test_parse_policies_needs_a_json_array_of_objects(text: str) -> None:
    with pytest.raises(ValidationException):
        pol.parse_policies(text, now=NOW)


def test_first_due_times() -> None:
    """Expiration at its timestamp; ExpirationNotification that long before it;
    NoChangeNotification that long after the last change."""
    exp, before, after = parse([expiration(), notify_before(), no_change()])
    expires_at = pol.expiration_of([exp, before, after])
    assert expires_at == dt.datetime(2030, 2, 1, tzinfo=dt.UTC)
    assert pol.first_due(exp, expires_at=expires_at, modified_at=NOW) == expires_at
    assert pol.first_due(before, expires_at=expires_at, modified_at=NOW) == dt.datetime(
        2030, 1, 17, tzinfo=dt.UTC
    )
    assert pol.first_due(after, expires_at=expires_at, modified_at=NOW) == NOW + dt.timedelta(
        hours=20
    )


@pytest.mark.parametrize(
    ("now_offset_h", "next_offset_h"),
    [(0, 20), (5, 20), (20, 40), (65, 80)],
)
def test_next_no_change_due_fires_once_per_period(now_offset_h: int, next_offset_h: int) -> None:
    """After a notification the next one is a whole period later; a server that missed
    periods sends one catch-up event, not one per missed period."""
    due_at = NOW
    period = dt.timedelta(hours=20)
    now = NOW + dt.timedelta(hours=now_offset_h)
    assert pol.next_no_change_due(due_at, period, now) == NOW + dt.timedelta(hours=next_offset_h)


def test_load_policies_round_trips_the_stored_text() -> None:
    parsed = parse([expiration(), no_change()])
    stored = pol.policies_text(parsed)
    assert stored is not None
    assert pol.load_policies(stored) == parsed
    assert pol.load_policies(None) == []


def test_a_stored_period_beyond_the_cap_still_loads_and_is_due_never() -> None:
    """A set stored before MAX_PERIOD_DAYS existed must not break overwrites or the scheduler."""
    text = json.dumps([
        {"Type": "NoChangeNotification", "Version": "1.0",
         "Attributes": {"After": "3000000", "Unit": "Days"}}
    ])  # fmt: skip
    (policy,) = pol.load_policies(text)
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    due = pol.first_due(policy, expires_at=None, modified_at=now)
    assert due == dt.datetime.max.replace(tzinfo=dt.UTC)
    assert policy.period is not None
    assert pol.next_no_change_due(now, policy.period, now) == due
    with pytest.raises(InvalidPolicyAttributeException):
        pol.parse_policies(text, now=now)
