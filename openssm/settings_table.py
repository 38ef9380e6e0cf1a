"""A settings class is a table: each field is one setting, declared in one line with ``setting()``.

A row gives the setting's name (the field), type (the field's annotation and the parser that
reads its text), default, OPENSSM_* environment variable, command-line flag (where it has one),
help and validator. ``load`` builds the settings object from flags over environment over
defaults and reports every bad value at once, in one ConfigError; openssm.cli.flags turns the
rows that have a flag into command-line options.

The rows are dataclass fields rather than a separate list so that a new setting is one line,
typed where it is used (``settings.port`` is an ``int`` to mypy), and cannot drift from the
object built from it.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from openssm.errors import ConfigError

T = TypeVar("T")
S = TypeVar("S")

_ROW = "openssm.setting"


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One setting as the table declares it."""

    env: str
    flag: str | None
    help: str
    parse: Callable[[str], Any]
    check: Callable[[Any], str | None] | None
    # A secret's value is never echoed back in an error.
    secret: bool
    # Filled in from the field by rows().
    name: str = ""
    default: Any = None


@dataclass(frozen=True, slots=True)
class Computed(Generic[T]):
    """A default computed when a settings object is made (a directory that depends on the user)."""

    make: Callable[[], T]


@dataclass(frozen=True, slots=True)
class Rule:
    """A check across settings, skipped when one of `names` already had a bad value."""

    names: tuple[str, ...]
    problem: Callable[[Any], str | None]


def setting(
    default: T | Computed[T],
    *,
    env: str,
    parse: Callable[[str], T],
    help: str,
    flag: str | None = None,
    check: Callable[[T], str | None] | None = None,
    secret: bool = False,
) -> T:
    """A dataclass field that is one row of a settings table."""
    row = Row(env=env, flag=flag, help=help, parse=parse, check=check, secret=secret)
    if isinstance(default, Computed):
        return dataclasses.field(default_factory=default.make, metadata={_ROW: row})
    return dataclasses.field(default=default, metadata={_ROW: row}, repr=not secret)


def rows(settings_class: type[Any]) -> tuple[Row, ...]:
    """The table of a settings class, in declaration order."""
    table = []
    for field in dataclasses.fields(settings_class):
        if _ROW not in field.metadata:
            raise TypeError(f"{settings_class.__name__}.{field.name} is not declared by setting()")
        default = field.default
        if field.default_factory is not dataclasses.MISSING:
            default = Computed(field.default_factory)
        table.append(dataclasses.replace(field.metadata[_ROW], name=field.name, default=default))
    return tuple(table)


def load(
    settings_class: type[S],
    *,
    flags: Mapping[str, str | None],
    env: Mapping[str, str],
    rules: Iterable[Rule] = (),
) -> S:
    """The settings from flags over environment over defaults; ConfigError lists every problem.

    An empty value (``OPENSSM_DATABASE_URL=`` in an environment file) counts as not set.
    """
    table = rows(settings_class)
    unknown = set(flags) - {row.name for row in table}
    if unknown:
        raise TypeError(f"{settings_class.__name__} has no settings {sorted(unknown)}")
    problems: list[str] = []
    values: dict[str, Any] = {}
    bad: set[str] = set()
    for row in table:
        given = _given(row, flags, env)
        if given is None:
            continue
        source, raw = given
        try:
            value = row.parse(raw)
        except ValueError as exc:
            problem: str | None = str(exc)
        else:
            problem = row.check(value) if row.check else None
            values[row.name] = value
        if problem is not None:
            bad.add(row.name)
            problems.append(f"{source}: {problem}")
    # A bad value leaves its default in place, so the rules below read a whole object.
    settings = settings_class(**{name: v for name, v in values.items() if name not in bad})
    checked = (rule.problem(settings) for rule in rules if bad.isdisjoint(rule.names))
    problems.extend(problem for problem in checked if problem is not None)
    if problems:
        raise ConfigError(*problems)
    return settings


def _given(
    row: Row, flags: Mapping[str, str | None], env: Mapping[str, str]
) -> tuple[str, str] | None:
    """(where the value came from, as a user would name it; its text), or None when unset."""
    flag_value = flags.get(row.name)
    if flag_value:
        where = row.flag or row.name
        return (where if row.secret else f"{where} {flag_value!r}"), flag_value
    env_value = env.get(row.env)
    if env_value:
        return (row.env if row.secret else f"{row.env}={env_value!r}"), env_value
    return None


# --- types: each reads a setting's text or raises ValueError saying what is wrong --------------


def text(raw: str) -> str:
    return raw.strip()


def integer(raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("not a whole number") from None


def number(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def path(raw: str) -> Path:
    return Path(raw.strip()).expanduser().absolute()


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def switch(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise ValueError("must be 1 or 0 (or true/false, yes/no, on/off)")


def names(raw: str) -> tuple[str, ...]:
    """A comma-separated list; blanks dropped."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        word = raw.strip().lower()
        if word not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return word

    return parse


# --- validators: each returns what is wrong with a parsed value, or None ------------------------


def between(low: float, high: float, *, above_low: bool = False) -> Callable[[float], str | None]:
    """low <= value <= high (low < value with `above_low`)."""

    def check(value: float) -> str | None:
        if (value > low if above_low else value >= low) and value <= high:
            return None
        if above_low:
            return f"must be more than {low:g} and at most {high:g}"
        return f"must be between {low:g} and {high:g}"

    return check


def matches(pattern: str, what: str) -> Callable[[str | None], str | None]:
    """The whole text matches `pattern`; `what` says it in words ("12 digits")."""
    compiled = re.compile(pattern)

    def check(value: str | None) -> str | None:
        return None if value is None or compiled.fullmatch(value) else f"must be {what}"

    return check


def readable_file(value: Path | None) -> str | None:
    if value is None or value.is_file():
        return None
    return "no such file" if not value.exists() else "not a regular file"


def each(check: Callable[[str], str | None]) -> Callable[[tuple[str, ...]], str | None]:
    def check_all(values: tuple[str, ...]) -> str | None:
        for value in values:
            if (problem := check(value)) is not None:
                return f"{value!r} {problem}"
        return None

    return check_all
