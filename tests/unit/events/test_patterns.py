"""EventBridge pattern matching, operator by operator (EventBridge User Guide, "Event patterns"
and "Content filtering in event patterns")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openssm.server.events.patterns import PatternError, parse_pattern

EVENT: dict[str, Any] = {
    "version": "0",
    "source": "aws.ssm",
    "detail-type": "EC2 Command Status-change Notification",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/mi-0123456789abcdef0"],
    "detail": {
        "command-id": "4b2a9a35-2b1d-4b4e-9c0a-1c2d3e4f5a6b",
        "document-name": "AWS-RunShellScript",
        "status": "Failed",
        "count": 5,
        "ratio": 0.5,
        "flag": True,
        "nothing": None,
        "tags": ["prod", "web"],
        "nested": {"zone": "eu-west-1a", "items": [{"name": "a"}, {"name": "b"}]},
    },
}


def matches(pattern: dict[str, Any], event: dict[str, Any] = EVENT) -> bool:
    return parse_pattern(json.dumps(pattern)).matches(event)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.ssm"]}, True),
        ({"source": ["aws.ec2"]}, False),
        ({"source": ["aws.ec2", "aws.ssm"]}, True),
        ({"detail": {"status": ["Failed"]}}, True),
        ({"detail": {"status": ["failed"]}}, False),  # exact match is case-sensitive
        ({"detail": {"count": [5]}}, True),
        ({"detail": {"count": [5.0]}}, True),  # numbers compare as numbers
        ({"detail": {"count": ["5"]}}, False),  # a string never equals a number
        ({"detail": {"flag": [True]}}, True),
        ({"detail": {"flag": [1]}}, False),
        ({"detail": {"nothing": [None]}}, True),
        ({"detail": {"missing": [None]}}, False),
    ],
)
def test_exact_values(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern) is expected


def test_every_field_of_a_pattern_must_match() -> None:
    assert matches({"source": ["aws.ssm"], "detail": {"status": ["Failed"]}})
    assert not matches({"source": ["aws.ssm"], "detail": {"status": ["Success"]}})


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        ({"prefix": "AWS-"}, True),
        ({"prefix": "aws-"}, False),
        ({"prefix": ""}, True),
        ({"suffix": "Script"}, True),
        ({"suffix": "script"}, False),
        ({"equals-ignore-case": "aws-runshellscript"}, True),
    ],
)
def test_string_operators(matcher: dict[str, str], expected: bool) -> None:
    assert matches({"detail": {"document-name": [matcher]}}) is expected


def test_string_operators_never_match_numbers() -> None:
    assert not matches({"detail": {"count": [{"prefix": "5"}]}})


@pytest.mark.parametrize(
    ("anything_but", "expected"),
    [
        ("Success", True),
        ("Failed", False),
        (["Success", "Cancelled"], True),
        (["Success", "Failed"], False),
        ({"prefix": "Fail"}, False),
        ({"prefix": "Succ"}, True),
        ({"suffix": "led"}, False),
    ],
)
def test_anything_but(anything_but: object, expected: bool) -> None:
    assert matches({"detail": {"status": [{"anything-but": anything_but}]}}) is expected


def test_anything_but_numbers_and_missing_fields() -> None:
    assert matches({"detail": {"count": [{"anything-but": [1, 2]}]}})
    assert not matches({"detail": {"count": [{"anything-but": 5}]}})
    # A missing field is not "anything but": only exists:false matches absence.
    assert not matches({"detail": {"missing": [{"anything-but": "x"}]}})


@pytest.mark.parametrize(
    ("numeric", "expected"),
    [
        ([">", 0], True),
        ([">", 5], False),
        ([">=", 5], True),
        (["<", 5], False),
        (["<=", 5], True),
        (["=", 5], True),
        ([">", 0, "<", 10], True),
        ([">", 5, "<=", 10], False),
        ([">=", 5, "<", 5.5], True),
    ],
)
def test_numeric_ranges(numeric: list[object], expected: bool) -> None:
    assert matches({"detail": {"count": [{"numeric": numeric}]}}) is expected


def test_numeric_matches_floats_and_never_strings() -> None:
    assert matches({"detail": {"ratio": [{"numeric": [">", 0.25, "<", 0.75]}]}})
    assert not matches({"detail": {"status": [{"numeric": [">", 0]}]}})


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"detail": {"status": [{"exists": True}]}}, True),
        ({"detail": {"status": [{"exists": False}]}}, False),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"missing": [{"exists": True}]}}, False),
        # exists applies to leaves: a field holding an object is not matched by it.
        ({"detail": {"nested": [{"exists": True}]}}, False),
        ({"detail": {"nothing": [{"exists": True}]}}, True),
    ],
)
def test_exists(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern) is expected


def test_nested_objects() -> None:
    assert matches({"detail": {"nested": {"zone": [{"prefix": "eu-"}]}}})
    assert not matches({"detail": {"nested": {"zone": [{"prefix": "us-"}]}}})
    # A pattern object needs an object in the event.
    assert not matches({"detail": {"status": {"inner": ["x"]}}})
    assert not matches({"nope": {"inner": ["x"]}})


def test_arrays_in_the_event_match_when_any_element_does() -> None:
    assert matches({"detail": {"tags": ["web"]}})
    assert not matches({"detail": {"tags": ["db"]}})
    assert matches({"resources": [{"suffix": "mi-0123456789abcdef0"}]})
    assert matches({"detail": {"nested": {"items": {"name": ["b"]}}}})
    assert not matches({"detail": {"nested": {"items": {"name": ["c"]}}}})
    assert not matches({"detail": {"tags": [{"exists": True}]}}, {"detail": {"tags": []}})


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        "{}",
        '{"source": "aws.ssm"}',
        '{"source": []}',
        '{"detail": {}}',
        '{"source": [{"prefix": 1}]}',
        '{"source": [{"regex": "x"}]}',
        '{"source": [{"prefix": "a", "suffix": "b"}]}',
        '{"n": [{"numeric": [">"]}]}',
        '{"n": [{"numeric": ["!", 1]}]}',
        '{"n": [{"numeric": [">", "1"]}]}',
        '{"n": [{"numeric": [">", 1, ">", 2]}]}',
        '{"n": [{"exists": "yes"}]}',
        '{"n": [{"anything-but": {"wildcard": "x"}}]}',
        '{"n": [{"anything-but": []}]}',
        '{"n": [[1]]}',
        '{"source": ["' + "x" * 5000 + '"]}',
    ],
)
def test_invalid_patterns_are_refused(text: str) -> None:
    with pytest.raises(PatternError):
        parse_pattern(text)


def test_the_issue_example_pattern() -> None:
    pattern = parse_pattern(
        '{"source":["aws.ssm"],"detail-type":["EC2 Command Status-change Notification"],'
        '"detail":{"status":["Failed"]}}'
    )
    assert pattern.matches(EVENT)
    assert not pattern.matches({**EVENT, "detail": {**EVENT["detail"], "status": "Success"}})
