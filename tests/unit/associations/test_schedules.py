"""Schedule expressions as State Manager takes them, and when they next come due (pure).

Each case cites the rule it checks: AWS's cron dialect (six fields, or seven with a seconds
field of 0; ``?`` in one of the day fields; ``L``, ``W``, ``#``; 1 = Sunday; the year field),
its rate form (singular unit for 1, at least 30 minutes and under 31 days for associations),
and the wall-clock rules across daylight-saving changes that maintenance windows will need.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from openssm.server.services import schedules
from openssm.server.services.associations import spec
from openssm.server.services.associations.errors import InvalidSchedule

UTC = dt.UTC
NEW_YORK = ZoneInfo("America/New_York")


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # Month ends: L is the last day, whatever the month's length.
        ("cron(0 2 L * ? *)", _utc(2024, 2, 10), _utc(2024, 2, 29, 2)),  # leap year
        ("cron(0 2 L * ? *)", _utc(2023, 2, 10), _utc(2023, 2, 28, 2)),
        ("cron(0 2 L * ? *)", _utc(2024, 4, 30, 3), _utc(2024, 5, 31, 2)),
        # The 31st runs only in months that have one.
        ("cron(0 0 31 * ? *)", _utc(2024, 4, 1), _utc(2024, 5, 31)),
        # 29 February: the next leap year.
        ("cron(0 12 29 2 ? *)", _utc(2025, 3, 1), _utc(2028, 2, 29, 12)),
        # W: the weekday nearest the 15th (15 June 2024 is a Saturday → Friday 14th).
        ("cron(0 9 15W * ? *)", _utc(2024, 6, 1), _utc(2024, 6, 14, 9)),
        # #: the third Thursday (1 = Sunday, so THU = 5).
        ("cron(0 2 ? * THU#3 *)", _utc(2024, 2, 1), _utc(2024, 2, 15, 2)),
        ("cron(0 2 ? * 5#3 *)", _utc(2024, 2, 1), _utc(2024, 2, 15, 2)),
        # 6L: the last Friday of the month.
        ("cron(15 10 ? * 6L *)", _utc(2024, 2, 1), _utc(2024, 2, 23, 10, 15)),
        # 1 is Sunday in AWS's numbering (2024-06-02 is a Sunday).
        ("cron(0 8 ? * 1 *)", _utc(2024, 6, 1), _utc(2024, 6, 2, 8)),
        # State Manager's seven-field form: a seconds field of 0 first.
        ("cron(0 0/30 * 1/1 * ? *)", _utc(2024, 6, 1, 0, 10), _utc(2024, 6, 1, 0, 30)),
        # Strictly after: a run at exactly `after` is the previous one.
        ("cron(0 2 * * ? *)", _utc(2024, 6, 1, 2), _utc(2024, 6, 2, 2)),
        # The year field bounds the schedule.
        ("cron(0 12 1 1 ? 2030)", _utc(2024, 3, 1), _utc(2030, 1, 1, 12)),
        ("rate(30 minutes)", _utc(2024, 6, 1, 10), _utc(2024, 6, 1, 10, 30)),
        ("rate(1 day)", _utc(2024, 2, 28, 10), _utc(2024, 2, 29, 10)),
    ],
)
def test_next_run_in_utc(expression: str, after: dt.datetime, expected: dt.datetime) -> None:
    assert schedules.next_run(expression, after) == expected


def test_a_year_in_the_past_has_no_next_run() -> None:
    assert schedules.next_run("cron(0 12 1 1 ? 2020)", _utc(2024, 1, 1)) is None


def test_a_fall_back_hour_runs_once() -> None:
    """01:30 happens twice on 3 November 2024 in New York: the run is at the first."""
    first = schedules.next_run(
        "cron(30 1 * * ? *)", dt.datetime(2024, 11, 3, 0, 59, tzinfo=NEW_YORK), NEW_YORK
    )
    assert first == _utc(2024, 11, 3, 5, 30)  # 01:30 EDT
    following = schedules.next_run("cron(30 1 * * ? *)", first, NEW_YORK)
    assert following is not None
    assert following.astimezone(NEW_YORK).date() == dt.date(2024, 11, 4)


def test_an_hourly_schedule_does_not_repeat_the_fall_back_hour() -> None:
    after = dt.datetime(2024, 11, 3, 0, 30, tzinfo=NEW_YORK)
    runs = []
    for _ in range(3):
        found = schedules.next_run("cron(0 * * * ? *)", after, NEW_YORK)
        assert found is not None
        runs.append(found.astimezone(NEW_YORK).strftime("%H:%M %Z"))
        after = found
    assert runs == ["01:00 EDT", "02:00 EST", "03:00 EST"]


def test_a_time_skipped_by_spring_forward_runs_after_the_change() -> None:
    found = schedules.next_run(
        "cron(30 2 * * ? *)", dt.datetime(2024, 3, 10, tzinfo=NEW_YORK), NEW_YORK
    )
    assert found is not None
    assert found.astimezone(NEW_YORK).strftime("%d %H:%M %Z") == "10 03:30 EDT"


def test_a_zone_shifts_the_wall_clock_schedule() -> None:
    found = schedules.next_run("cron(0 9 * * ? *)", _utc(2024, 7, 1), NEW_YORK)
    assert found == _utc(2024, 7, 1, 13)  # 09:00 EDT


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("cron(0 2 * * * *)", "question mark"),  # both day fields given
        ("cron(0 2 * *)", "has 4 fields"),
        ("cron(1 0 2 * ? * *)", "seconds field must be 0"),
        ("cron(61 2 * * ? *)", "minute"),
        ("cron(0 2 ? * MON#6 *)", "day-of-week"),
        ("rate(1 hours)", "singular"),
        ("rate(5 minute)", "plural"),
        ("rate(0 minutes)", "at least 1"),
        ("rate(five minutes)", "whole number"),
        ("at(2024-01-01T00:00:00)", "use cron"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression: str, words: str) -> None:
    with pytest.raises(schedules.ScheduleError, match=words):
        schedules.parse(expression)


@pytest.mark.parametrize(
    ("expression", "ok"),
    [
        ("rate(30 minutes)", True),
        ("rate(29 minutes)", False),  # State Manager's shortest rate
        ("rate(30 days)", True),
        ("rate(31 days)", False),  # under 31 days
        ("cron(0/30 * * * ? *)", True),
        ("cron(0,10 * * * ? *)", False),  # runs 10 minutes apart
        ("cron(0 2 ? * SUN *)", True),
    ],
)
def test_associations_take_runs_at_least_30_minutes_apart(expression: str, ok: bool) -> None:
    if ok:
        spec.parse_schedule(expression)
    else:
        with pytest.raises(InvalidSchedule, match=r"at least|less than|apart"):
            spec.parse_schedule(expression)


@pytest.mark.parametrize(
    ("expression", "offset", "after", "expected"),
    [
        # AWS's example: the second Thursday, offset 3 days, runs on the Sunday after it
        # (the second Thursday of February 2024 is the 8th).
        ("cron(0 0 ? * THU#2 *)", 3, _utc(2024, 2, 1), _utc(2024, 2, 11)),
        # A match already past still runs on its offset day...
        ("cron(0 0 ? * THU#2 *)", 3, _utc(2024, 2, 9), _utc(2024, 2, 11)),
        # ...and once that day has come, the next match's does.
        ("cron(0 0 ? * THU#2 *)", 3, _utc(2024, 2, 11), _utc(2024, 3, 17)),
        # The offset crosses a month end, and a leap day.
        ("cron(0 2 L * ? *)", 1, _utc(2024, 2, 10), _utc(2024, 3, 1, 2)),
        ("cron(0 2 27 2 ? *)", 2, _utc(2024, 1, 1), _utc(2024, 2, 29, 2)),
        ("cron(0 2 27 2 ? *)", 2, _utc(2023, 1, 1), _utc(2023, 3, 1, 2)),
        # The six days AWS allows at most.
        ("cron(0 12 1 * ? *)", 6, _utc(2024, 6, 1, 13), _utc(2024, 6, 7, 12)),
    ],
)
def test_a_schedule_offset_runs_days_after_the_match(
    expression: str, offset: int, after: dt.datetime, expected: dt.datetime
) -> None:
    assert schedules.next_run(expression, after, offset_days=offset) == expected


def test_an_offset_keeps_the_wall_clock_time_across_a_daylight_saving_change() -> None:
    # Saturday 9 March 2024 09:00 EST; two days on is past the spring-forward of the 10th.
    found = schedules.next_run("cron(0 9 ? * SAT *)", _utc(2024, 3, 5), NEW_YORK, offset_days=2)
    assert found is not None
    assert found.astimezone(NEW_YORK).strftime("%a %d %H:%M %Z") == "Mon 11 09:00 EDT"
