"""The console every human command prints its tables on.

On a terminal, rich fits tables to the window. Anywhere else (a pipe, a file, a CI log) the
console has no width limit, so no id, name or output is ever cut or folded: rich would
otherwise take COLUMNS, or 80, and shorten cells to fit.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

# Wide enough for any row a command prints; rich allocates nothing per column of width.
UNLIMITED_WIDTH = 1 << 16


def table_console() -> Console:
    from rich.console import Console

    terminal = sys.stdout.isatty()
    return Console(
        width=None if terminal else UNLIMITED_WIDTH, soft_wrap=not terminal, highlight=False
    )


# A separator off a terminal: at the unlimited width a rule would be 65,536 characters long.
RULE_WIDTH = 80


def print_rule(console: Console, title: str) -> None:
    """A titled separator line: across the window on a terminal, RULE_WIDTH columns elsewhere."""
    from rich.rule import Rule

    console.print(Rule(title), width=RULE_WIDTH if console.width >= UNLIMITED_WIDTH else None)


def when(value: object, *, missing: str = "") -> str:
    """A time as people read it in a table: UTC to the second (``2026-12-06 16:46:35Z``).

    botocore gives local-zone datetimes with microseconds, which cost a column 32 characters
    and say nothing more; anything that is not a datetime is shown as it is."""
    if value is None or value == "":
        return missing
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M:%SZ")
    return str(value)
