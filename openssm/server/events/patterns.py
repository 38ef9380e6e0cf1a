"""EventBridge event patterns: checking one, and matching events against it. Pure.

A pattern is a JSON object whose keys name fields of the event. A key maps either to an
object (the pattern for that nested object) or to an array of matchers, any of which may
match. An event field holding an array matches when any of its elements does. The matchers
are EventBridge's commonly used ones: exact values (strings, numbers, booleans, null),
``{"prefix": …}``, ``{"suffix": …}``, ``{"equals-ignore-case": …}``, ``{"anything-but": …}``
(a value, a list of values, or a ``prefix``/``suffix`` object), ``{"numeric": [op, n, …]}``
and ``{"exists": true|false}``. ``exists`` applies to leaves: ``{"exists": true}`` does not
match a field holding an object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openssm import jsontext
from openssm.errors import OpenSSMError

MAX_PATTERN_CHARS = 4096
_NUMERIC_OPS = frozenset({"=", "<", "<=", ">", ">="})
_STRING_MATCHERS = frozenset({"prefix", "suffix", "equals-ignore-case"})
_MISSING = object()


class PatternError(OpenSSMError, ValueError):
    """The pattern is not one EventBridge accepts; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class EventPattern:
    """A checked pattern; ``matches`` takes the event as a decoded JSON object."""

    tree: Mapping[str, Any]

    def matches(self, event: Mapping[str, Any]) -> bool:
        return _match_object(self.tree, event)


def parse_pattern(text: str) -> EventPattern:
    """The pattern in ``text``, checked; PatternError when it is not a valid pattern."""
    if len(text) > MAX_PATTERN_CHARS:
        raise PatternError(f"Event pattern is longer than {MAX_PATTERN_CHARS} characters.")
    try:
        tree = jsontext.loads(text)
    except ValueError as exc:
        raise PatternError(f"Event pattern is not valid JSON: {exc}") from None
    if not isinstance(tree, dict) or not tree:
        raise PatternError("Event pattern must be a non-empty JSON object.")
    _check_object(tree, "")
    return EventPattern(tree)


def _check_object(tree: Mapping[str, Any], path: str) -> None:
    for key, value in tree.items():
        where = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            if not value:
                raise PatternError(f"{where}: an object in a pattern must not be empty.")
            _check_object(value, where)
        elif isinstance(value, list):
            if not value:
                raise PatternError(f"{where}: the array of matchers must not be empty.")
            for matcher in value:
                _check_matcher(matcher, where)
        else:
            raise PatternError(f"{where}: match expressions must be in an array or an object.")


def _check_matcher(matcher: object, where: str) -> None:
    if matcher is None or isinstance(matcher, str | int | float | bool):
        return
    if not isinstance(matcher, dict) or len(matcher) != 1:
        raise PatternError(f"{where}: a matcher is a value or an object with one operator.")
    ((op, arg),) = matcher.items()
    if op in _STRING_MATCHERS:
        if not isinstance(arg, str):
            raise PatternError(f"{where}: {op} takes a string.")
    elif op == "exists":
        if not isinstance(arg, bool):
            raise PatternError(f"{where}: exists takes true or false.")
    elif op == "numeric":
        _check_numeric(arg, where)
    elif op == "anything-but":
        _check_anything_but(arg, where)
    else:
        raise PatternError(f"{where}: unsupported operator {op!r}.")


def _check_numeric(arg: object, where: str) -> None:
    if not isinstance(arg, list) or not arg or len(arg) % 2 or len(arg) > 4:
        raise PatternError(f"{where}: numeric takes one or two [operator, number] pairs.")
    for op, number in zip(arg[::2], arg[1::2], strict=True):
        if op not in _NUMERIC_OPS or not _is_number(number):
            raise PatternError(
                f"{where}: numeric takes operators {sorted(_NUMERIC_OPS)} and numbers."
            )
    if len(arg) == 4 and ("=" in arg[::2] or {arg[0][0], arg[2][0]} != {"<", ">"}):
        raise PatternError(f"{where}: a numeric range needs one lower and one upper bound.")


def _check_anything_but(arg: object, where: str) -> None:
    if isinstance(arg, dict):
        if len(arg) != 1 or next(iter(arg)) not in _STRING_MATCHERS:
            raise PatternError(f"{where}: anything-but takes prefix, suffix or equals-ignore-case.")
        if not isinstance(next(iter(arg.values())), str):
            raise PatternError(f"{where}: anything-but's {next(iter(arg))} takes a string.")
        return
    values = arg if isinstance(arg, list) else [arg]
    if not values or not all(isinstance(v, str) or _is_number(v) for v in values):
        raise PatternError(f"{where}: anything-but takes strings or numbers.")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- matching --------------------------------------------------------------------------------


def _match_object(tree: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    for key, expected in tree.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, dict):
            if isinstance(value, list):
                if not any(isinstance(v, dict) and _match_object(expected, v) for v in value):
                    return False
            elif not isinstance(value, dict) or not _match_object(expected, value):
                return False
        elif not _match_field(expected, value):
            return False
    return True


def _match_field(matchers: Sequence[Any], value: object) -> bool:
    if value is _MISSING:
        return any(_is_exists(m, False) for m in matchers)
    if isinstance(value, dict):
        return False  # a leaf matcher never matches an object, exists included
    values = value if isinstance(value, list) else [value]
    for matcher in matchers:
        if _is_exists(matcher, True):
            if values:
                return True
            continue
        if _is_exists(matcher, False):
            continue
        if any(_match_value(matcher, v) for v in values):
            return True
    return False


def _is_exists(matcher: object, wanted: bool) -> bool:
    return isinstance(matcher, dict) and matcher.get("exists", _MISSING) is wanted


def _match_value(matcher: object, value: object) -> bool:
    if not isinstance(matcher, dict):
        return _equal(matcher, value)
    ((op, arg),) = matcher.items()
    if op == "numeric":
        return _is_number(value) and _in_range(arg, float(value))  # type: ignore[arg-type]
    if op == "anything-but":
        if isinstance(arg, dict):
            return isinstance(value, str) and not _string_match(arg, value)
        excluded = arg if isinstance(arg, list) else [arg]
        return value is not None and not any(_equal(e, value) for e in excluded)
    return isinstance(value, str) and _string_match(matcher, value)


def _string_match(matcher: Mapping[str, Any], value: str) -> bool:
    ((op, arg),) = matcher.items()
    if op == "prefix":
        return value.startswith(arg)
    if op == "suffix":
        return value.endswith(arg)
    return bool(value.casefold() == arg.casefold())  # equals-ignore-case


def _equal(expected: object, value: object) -> bool:
    if _is_number(expected) and _is_number(value):
        return float(expected) == float(value)  # type: ignore[arg-type]
    if isinstance(expected, bool) or isinstance(value, bool):
        return expected is value
    return type(expected) is type(value) and expected == value


def _in_range(arg: Sequence[Any], number: float) -> bool:
    for op, bound in zip(arg[::2], arg[1::2], strict=True):
        ok = {
            "=": number == bound,
            "<": number < bound,
            "<=": number <= bound,
            ">": number > bound,
            ">=": number >= bound,
        }[op]
        if not ok:
            return False
    return True


def canonical(pattern: EventPattern) -> str:
    """The pattern as compact JSON, as it is stored and listed."""
    return json.dumps(pattern.tree, separators=(",", ":"))
