"""Schedule expressions as AWS writes them, and when they next come due: pure, no I/O.

``cron(…)`` is AWS's dialect (EventBridge's six fields: minutes, hours, day of month, month,
day of week, year; State Manager's seven-field form puts a seconds field first, which must be
0), with ``?``, ``L``, ``W``, ``#``, names of months and days, and 1 = Sunday. aws-croniter
does the calendar arithmetic; it works in UTC only, so a zone is handled here: the expression
is evaluated on the zone's wall clock and the wall time found is then placed in the zone
with zoneinfo. A wall time that a spring-forward skips runs at the same distance after the
change (02:30 becomes 03:30); a wall time that a fall-back repeats runs once, at its first
occurrence. ``rate(n unit)`` counts from the previous run.

Associations run in UTC; maintenance windows will pass their ScheduleTimezone.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aws_croniter import AwsCroniter
from aws_croniter.exceptions import AwsCroniterExpressionError

from openssm.errors import OpenSSMError

UTC = dt.UTC
_CRON = re.compile(r"^cron\((?P<body>.*)\)$", re.DOTALL)
_RATE = re.compile(r"^rate\((?P<value>[0-9]+) (?P<unit>minutes?|hours?|days?)\)$")
_UNIT = {
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
}
# How many coming runs the shortest-interval check looks at: enough to see every gap of a
# minute or hour list (``0,10 * …``) and the wrap of a day.
_GAP_SAMPLES = 60
# A fall-back hour can turn one wall time into a time already past: at most this many
# candidates are tried before a schedule is taken to have no next run.
_MAX_TRIES = 8


class ScheduleError(OpenSSMError, ValueError):
    """The expression is not one AWS accepts; the message says why."""


@dataclass(frozen=True, slots=True)
class Cron:
    expression: str
    # The six EventBridge fields, as aws-croniter takes them.
    fields: str

    def croniter(self) -> AwsCroniter:
        return AwsCroniter(self.fields)


@dataclass(frozen=True, slots=True)
class Rate:
    expression: str
    interval: dt.timedelta


Schedule = Cron | Rate


def parse(expression: str) -> Schedule:
    """``cron(…)`` or ``rate(…)``; ScheduleError naming what is wrong otherwise."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate is not None:
        return _rate(text, int(rate["value"]), rate["unit"])
    if text.startswith("rate("):
        raise ScheduleError(
            f"{expression!r} is not a valid rate expression: write rate(<value> <unit>) with "
            "a whole number and minute(s), hour(s) or day(s), e.g. rate(30 minutes)."
        )
    cron = _CRON.match(text)
    if cron is None:
        raise ScheduleError(
            f"{expression!r} is not a schedule expression: use cron(…) or rate(…), "
            "e.g. cron(0 2 ? * SUN *) or rate(1 day)."
        )
    return _cron(text, cron["body"].split())


def _rate(text: str, value: int, unit: str) -> Rate:
    singular = unit.rstrip("s")
    if value < 1:
        raise ScheduleError(f"{text!r}: the value of a rate must be at least 1.")
    if (value == 1) != (unit == singular):
        raise ScheduleError(
            f"{text!r}: the unit is singular for 1 and plural otherwise "
            f"(rate(1 {singular}), rate({max(value, 2)} {singular}s))."
        )
    return Rate(text, value * _UNIT[singular])


def _cron(text: str, fields: list[str]) -> Cron:
    if len(fields) == 7:
        seconds, *fields = fields
        if seconds != "0":
            raise ScheduleError(
                f"{text!r}: the seconds field must be 0 (runs start on the minute)."
            )
    if len(fields) != 6:
        raise ScheduleError(
            f"{text!r} has {len(fields)} fields: a cron expression has six (minutes hours "
            "day-of-month month day-of-week year), e.g. cron(0 2 ? * SUN *)."
        )
    cron = Cron(text, " ".join(fields))
    try:
        cron.croniter()
    except (AwsCroniterExpressionError, ValueError, IndexError) as exc:
        raise ScheduleError(f"{text!r} is not a valid cron expression: {exc}") from None
    return cron


def check_shortest_interval(
    schedule: Schedule, shortest: dt.timedelta, longest: dt.timedelta
) -> None:
    """ScheduleError when runs would come closer together than ``shortest`` (for a rate, also
    when they would be ``longest`` or further apart)."""
    if isinstance(schedule, Rate):
        if schedule.interval < shortest:
            raise ScheduleError(
                f"{schedule.expression!r}: a rate must be at least {_describe(shortest)}."
            )
        if schedule.interval >= longest:
            raise ScheduleError(
                f"{schedule.expression!r}: a rate must be less than {_describe(longest)}."
            )
        return
    runs = schedule.croniter().get_next(dt.datetime(2024, 1, 1, tzinfo=UTC), n=_GAP_SAMPLES)
    found = [r for r in runs if r is not None]
    for earlier, later in itertools.pairwise(found):
        if later - earlier < shortest:
            raise ScheduleError(
                f"{schedule.expression!r} runs every {_describe(later - earlier)} at times; "
                f"runs must be at least {_describe(shortest)} apart."
            )


def _describe(interval: dt.timedelta) -> str:
    minutes = int(interval.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day(s)"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour(s)"
    return f"{minutes} minute(s)"


def next_run(
    schedule: Schedule | str,
    after: dt.datetime,
    tz: ZoneInfo | dt.timezone = UTC,
    *,
    offset_days: int = 0,
) -> dt.datetime | None:
    """The first run strictly after ``after`` (an aware time), in UTC; None when the
    expression has no run left (a year field in the past). A rate counts from ``after``.

    ``offset_days`` (a cron's ScheduleOffset) runs that many days after each match, on the
    zone's wall clock: the run due next is the one of the first match after ``after`` less
    the offset, so a match already past still runs when its offset day comes."""
    if isinstance(schedule, str):
        schedule = parse(schedule)
    if after.tzinfo is None:
        raise ValueError("next_run needs an aware time")
    if isinstance(schedule, Rate):
        return (after + schedule.interval).astimezone(UTC)
    if offset_days:
        offset = dt.timedelta(days=offset_days)
        # Aware arithmetic within one zone is wall-clock arithmetic.
        match = next_run(schedule, after.astimezone(tz) - offset, tz)
        return None if match is None else (match.astimezone(tz) + offset).astimezone(UTC)
    croniter = schedule.croniter()
    # The zone's wall clock, labelled UTC so that aws-croniter does wall-clock arithmetic.
    wall = after.astimezone(tz).replace(tzinfo=UTC, fold=0)
    for _ in range(_MAX_TRIES):
        found: dt.datetime | None = croniter.get_next(wall)[0]
        if found is None:
            return None
        # fold=0: a repeated wall time is its first occurrence; a skipped one moves forward.
        placed: dt.datetime = found.replace(tzinfo=tz, fold=0).astimezone(UTC)
        if placed > after:
            return placed
        wall = found
    return None
