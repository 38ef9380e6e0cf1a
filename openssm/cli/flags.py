"""Command-line options generated from a settings table (openssm.settings_table).

Each row with a flag becomes one option whose value is kept as text: the table's own parser
reads it, so a bad ``--port`` is reported with the other bad settings, like a bad OPENSSM_PORT.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection
from typing import Any

from openssm.settings_table import Computed, Row, rows


def _default_text(row: Row) -> str:
    if isinstance(row.default, Computed) or row.default in (None, (), ""):
        return ""
    return f"; default {row.default}"


def flag_rows(
    settings_class: type[Any], *, only: Collection[str] = (), skip: Collection[str] = ()
) -> tuple[Row, ...]:
    """The rows of `settings_class` that have a flag, narrowed to `only` and without `skip`."""
    return tuple(
        row
        for row in rows(settings_class)
        if row.flag and (not only or row.name in only) and row.name not in skip
    )


def add_setting_flags(
    parser: argparse.ArgumentParser,
    settings_class: type[Any],
    *,
    only: Collection[str] = (),
    skip: Collection[str] = (),
    prefix: str = "",
) -> None:
    """One option per row with a flag; `prefix` (``agent-``) sets another command's settings."""
    for row in flag_rows(settings_class, only=only, skip=skip):
        assert row.flag is not None
        parser.add_argument(
            "--" + prefix + row.flag.removeprefix("--"),
            dest=prefix.replace("-", "_") + row.name,
            metavar=row.name.upper(),
            help=f"{row.help} (env {row.env}{_default_text(row)})",
        )


def given_settings(
    args: argparse.Namespace,
    settings_class: type[Any],
    *,
    only: Collection[str] = (),
    skip: Collection[str] = (),
    prefix: str = "",
) -> dict[str, str | None]:
    """The flags of `settings_class` given in `args`, by setting name, for its loader."""
    given: dict[str, str | None] = {}
    for row in flag_rows(settings_class, only=only, skip=skip):
        value = getattr(args, prefix.replace("-", "_") + row.name, None)
        if value is not None:
            given[row.name] = str(value)
    return given
