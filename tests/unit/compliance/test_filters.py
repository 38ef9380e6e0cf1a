"""ComplianceStringFilter parsing: keys per operation, operators per key, values checked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from openssm.errors import InvalidFilter
from openssm.server.services.compliance.filters import ITEM_KEYS, SUMMARY_KEYS, parse_filters
from openssm.server.store.compliance.repo import Condition

T = dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"Key": "ComplianceType", "Values": ["Patch", "Association"]},
            Condition("compliance_type", "EQUAL", ("Patch", "Association")),
        ),
        (
            {"Key": "Severity", "Values": ["LOW"], "Type": "NOT_EQUAL"},
            Condition("severity", "NOT_EQUAL", ("LOW",)),
        ),
        (
            {"Key": "Id", "Values": ["KB4"], "Type": "BEGIN_WITH"},
            Condition("item_id", "BEGIN_WITH", ("KB4",)),
        ),
        (
            {"Key": "ExecutionTime", "Values": [str(T.timestamp())], "Type": "LESS_THAN"},
            Condition("execution_time", "LESS_THAN", (T,)),
        ),
        (
            {"Key": "ExecutionTime", "Values": ["2024-05-01T10:00:00Z"], "Type": "GREATER_THAN"},
            Condition("execution_time", "GREATER_THAN", (T,)),
        ),
        (
            {"Key": "ExecutionTime", "Values": ["2024-05-01T10:00:00"]},
            Condition("execution_time", "EQUAL", (T,)),
        ),
    ],
)
def test_item_filters(raw: dict[str, Any], expected: Condition) -> None:
    assert parse_filters([raw], ITEM_KEYS) == [expected]


def test_overall_severity_is_a_summary_key_only() -> None:
    raw = {"Key": "OverallSeverity", "Values": ["HIGH"]}
    assert parse_filters([raw], SUMMARY_KEYS) == [Condition("overall_severity", "EQUAL", ("HIGH",))]
    with pytest.raises(InvalidFilter, match="Severity"):
        parse_filters([raw], ITEM_KEYS)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"Key": "Nope", "Values": ["x"]}, "ComplianceType"),
        ({"Values": ["x"]}, "None"),
        ({"Key": "Status", "Values": []}, "at least one"),
        ({"Key": "Status", "Values": ["GOOD"]}, "COMPLIANT"),
        ({"Key": "Title", "Values": ["a"], "Type": "GREATER_THAN"}, "only ExecutionTime"),
        ({"Key": "ExecutionTime", "Values": ["1", "2"], "Type": "LESS_THAN"}, "exactly one"),
        ({"Key": "ExecutionTime", "Values": ["1"], "Type": "BEGIN_WITH"}, "BEGIN_WITH"),
        ({"Key": "ExecutionTime", "Values": ["soon"]}, "not a time"),
    ],
)
def test_refused(raw: dict[str, Any], says: str) -> None:
    with pytest.raises(InvalidFilter, match=says):
        parse_filters([raw], ITEM_KEYS)


def test_status_prefixes_are_not_checked_against_the_enum() -> None:
    raw = {"Key": "Status", "Values": ["NON"], "Type": "BEGIN_WITH"}
    assert parse_filters([raw], ITEM_KEYS) == [Condition("status", "BEGIN_WITH", ("NON",))]
