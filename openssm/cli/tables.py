"""The console every human command prints its tables on.

On a terminal, rich fits tables to the window. Anywhere else (a pipe, a file, a CI log) the
console has no width limit, so no id, name or output is ever cut or folded: rich would
otherwise take COLUMNS, or 80, and shorten cells to fit.
"""

from __future__ import annotations

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
