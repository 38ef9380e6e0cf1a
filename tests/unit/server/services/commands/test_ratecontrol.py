"""MaxConcurrency / MaxErrors arithmetic (SendCommand; shared/ssm-api.md §2.3 "Rate control")."""

from __future__ import annotations

import pytest

from openssm.server.services.commands.ratecontrol import (
    Decision,
    Limit,
    Progress,
    concurrency_for,
    decide,
    errors_allowed,
    parse_limit,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50", Limit(50, False)),
        ("0", Limit(0, False)),
        ("10%", Limit(10, True)),
        ("100%", Limit(100, True)),
        ("0%", Limit(0, True)),
    ],
)
def test_parse_limit_reads_numbers_and_percentages(text: str, expected: Limit) -> None:
    assert parse_limit(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["", "-1", "01", "1.5", "101%", "%", "ten", "5 %"])
def test_parse_limit_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="is "):
        parse_limit(text)


@pytest.mark.parametrize(
    ("limit", "targets", "expected"),
    [
        ("50", 10, 50),  # an absolute limit is the limit, whatever the target count
        ("10%", 5, 1),  # a percentage rounds up and never drops below one target
        ("10%", 50, 5),
        ("15%", 10, 2),
        ("100%", 7, 7),
        ("1%", 10_000, 100),
        ("10%", 0, 0),
    ],
)
def test_concurrency_for(limit: str, targets: int, expected: int) -> None:
    assert concurrency_for(parse_limit(limit), targets) == expected


@pytest.mark.parametrize(
    ("limit", "targets", "expected"),
    [
        ("3", 10, 3),
        ("0", 10, 0),
        ("10%", 50, 5),  # AWS: 10% of 50 stops at the 6th error
        ("15%", 10, 1),  # a percentage rounds down: never more errors than asked for
        ("9%", 10, 0),
        ("100%", 4, 4),
    ],
)
def test_errors_allowed(limit: str, targets: int, expected: int) -> None:
    assert errors_allowed(parse_limit(limit), targets) == expected


@pytest.mark.parametrize(
    ("progress", "concurrency", "errors", "expected"),
    [
        # No ramp-up: everything MaxConcurrency allows starts at once.
        (Progress(waiting=100, running=0, error_count=0), 50, 0, Decision(50, False)),
        (Progress(waiting=100, running=48, error_count=0), 50, 0, Decision(2, False)),
        (Progress(waiting=3, running=0, error_count=0), 50, 0, Decision(3, False)),
        (Progress(waiting=10, running=50, error_count=0), 50, 0, Decision(0, False)),
        # MaxErrors 3: the 4th error stops it; MaxErrors 0: the first does.
        (Progress(waiting=10, running=2, error_count=3), 5, 3, Decision(3, False)),
        (Progress(waiting=10, running=2, error_count=4), 5, 3, Decision(0, True)),
        (Progress(waiting=10, running=0, error_count=1), 5, 0, Decision(0, True)),
        # Past the limit with nothing waiting: nothing left to terminate.
        (Progress(waiting=0, running=2, error_count=9), 5, 0, Decision(0, False)),
        # More running than allowed (the limit was reached by a concurrent start): none more.
        (Progress(waiting=10, running=7, error_count=0), 5, 0, Decision(0, False)),
    ],
)
def test_decide(progress: Progress, concurrency: int, errors: int, expected: Decision) -> None:
    assert decide(progress, concurrency=concurrency, errors=errors) == expected
