"""Document parameter definitions (ParameterDef) and the values callers supply for them.

A definition is one entry of a document's ``parameters`` map (parsed by
``parameter_defs.py``). Values arrive in
AWS's wire shape, ``{name: [str, ...]}`` (SendCommand, CreateAssociation,
StartSession); ``validate_parameters`` applies defaults and turns them into typed
``ParamValue``s or raises DocumentParameterError naming the parameter.

Decisions where AWS is silent or loose:

- Types by schema: 1.2 and Session 1.0 documents allow String and StringList;
  2.0 and 2.2 (Command and Policy) allow all six types.
- Wire values: String, Integer and Boolean take exactly one item; Integer must
  be a plain decimal, Boolean ``true``/``false`` in any case; StringMap is one
  item holding a JSON object; MapList is either one item holding a JSON array
  of objects or one JSON object per item.
- Constraints apply per item for StringList (``allowedValues``,
  ``allowedPattern``, ``minChars``/``maxChars``); ``allowedPattern`` must match
  the whole value (Java ``matches()`` semantics, as the AWS service checks it).
- ``minChars``/``maxChars`` on a StringMap count the characters of the value as
  compact JSON, the text it becomes inside a step (``placeholders.as_text``),
  so a caller's spacing neither helps nor hurts and a default counts alike.
- Defaults take the same path as supplied values (``default_as_wire``), so they
  are typed and checked exactly alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from openssm import jsontext
from openssm.documents.errors import DocumentParameterError
from openssm.documents.patterns import compile_allowed_pattern
from openssm.documents.placeholders import as_text


class ParameterType(StrEnum):
    STRING = "String"
    STRING_LIST = "StringList"
    BOOLEAN = "Boolean"
    INTEGER = "Integer"
    STRING_MAP = "StringMap"
    MAP_LIST = "MapList"


BASIC_TYPES = frozenset({ParameterType.STRING, ParameterType.STRING_LIST})
ALL_TYPES = frozenset(ParameterType)

ParamValue = str | int | bool | list[str] | dict[str, Any] | list[dict[str, Any]]


_S, _SL, _B, _I, _SM, _ML = ParameterType


@dataclass(frozen=True, slots=True, kw_only=True)
class ParameterDef:
    name: str
    type: ParameterType
    description: str = ""
    has_default: bool = False
    default: Any = None
    allowed_values: tuple[str, ...] | None = None
    allowed_pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    min_chars: int | None = None
    max_chars: int | None = None
    display_type: str | None = None

    @property
    def is_required(self) -> bool:
        return not self.has_default

    @property
    def wire_type(self) -> str:
        """DescribeDocument's ``DocumentParameter.Type`` only knows String and StringList."""
        return "StringList" if self.type in (_SL, _ML) else "String"

    @property
    def default_text(self) -> str | None:
        """``DocumentParameter.DefaultValue``: the default as one string, or None."""
        if not self.has_default:
            return None
        if isinstance(self.default, str):
            return self.default
        return json.dumps(self.default, ensure_ascii=False)


def validate_parameters(
    defs: Iterable[ParameterDef], supplied: Mapping[str, Sequence[str]]
) -> dict[str, ParamValue]:
    """Typed values for every defined parameter: supplied ones checked, the rest defaulted."""
    by_name = {d.name: d for d in defs}
    return {
        name: check_value(by_name[name], coerce_value(by_name[name], items))
        for name, items in with_defaults(by_name.values(), supplied).items()
    }


def with_defaults(
    defs: Iterable[ParameterDef], supplied: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """Wire values for every defined parameter; unknown or missing required names raise."""
    by_name = {d.name: d for d in defs}
    for name in supplied:
        if name not in by_name:
            raise DocumentParameterError(
                f"parameter '{name}' is not defined in the document", path=name
            )
    values: dict[str, list[str]] = {}
    for name, defn in by_name.items():
        if name in supplied:
            items = supplied[name]
            if isinstance(items, str) or not all(isinstance(i, str) for i in items):
                raise DocumentParameterError(
                    f"parameter '{name}' must be given as a list of strings", path=name
                )
            values[name] = list(items)
        elif defn.has_default:
            values[name] = default_as_wire(defn)
        else:
            raise DocumentParameterError(
                f"parameter '{name}' is required: it has no default and no value was supplied",
                path=name,
            )
    return values


def default_as_wire(defn: ParameterDef) -> list[str]:
    """A default in the ``[str, ...]`` shape callers supply, so both take one path."""
    value = defn.default
    if isinstance(value, bool):
        return ["true" if value else "false"]
    if isinstance(value, str | int):
        return [str(value)]
    if defn.type is _SL:
        return list(value)
    return [json.dumps(value)]


def coerce_value(defn: ParameterDef, items: Sequence[str]) -> ParamValue:
    """Wire items → the parameter's Python type."""
    name = defn.name
    if defn.type is _SL:
        return list(items)
    if defn.type is _ML:
        return _coerce_map_list(name, items)
    if len(items) != 1:
        raise DocumentParameterError(
            f"parameter '{name}' of type {defn.type.value} takes exactly one value, "
            f"got {len(items)}",
            path=name,
        )
    item = items[0]
    if defn.type is _I:
        if re.fullmatch(r"[+-]?[0-9]{1,18}", item) is None:
            raise DocumentParameterError(f"parameter '{name}' must be an Integer", path=name)
        return int(item)
    if defn.type is _B:
        if item.lower() not in ("true", "false"):
            raise DocumentParameterError(
                f"parameter '{name}' must be a Boolean: true or false", path=name
            )
        return item.lower() == "true"
    if defn.type is _SM:
        parsed = _json_or_none(item)
        if not isinstance(parsed, dict):
            raise DocumentParameterError(
                f"parameter '{name}' of type StringMap must be a JSON object", path=name
            )
        return parsed
    return item


def check_value(defn: ParameterDef, value: ParamValue) -> ParamValue:
    """Enforce allowedValues, allowedPattern and the min/max limits; return the value."""
    name = defn.name
    if isinstance(value, list):
        _check_count(defn, len(value))
        if defn.type is _SL:
            for index, item in enumerate(value):
                _check_scalar(defn, str(item), f"parameter '{name}' item {index + 1}")
    elif isinstance(value, str | int) and defn.type in (_S, _I):
        _check_scalar(defn, str(value), f"parameter '{name}'")
    elif isinstance(value, dict) and (defn.min_chars, defn.max_chars) != (None, None):
        _check_length(defn, as_text(value), f"parameter '{name}' as JSON text")
    return value


def _check_count(defn: ParameterDef, count: int) -> None:
    if defn.min_items is not None and count < defn.min_items:
        raise DocumentParameterError(
            f"parameter '{defn.name}' needs at least {defn.min_items} item(s)", path=defn.name
        )
    if defn.max_items is not None and count > defn.max_items:
        raise DocumentParameterError(
            f"parameter '{defn.name}' takes at most {defn.max_items} item(s)", path=defn.name
        )


def _check_scalar(defn: ParameterDef, text: str, subject: str) -> None:
    path = defn.name
    if defn.allowed_values is not None and text not in defn.allowed_values:
        allowed = ", ".join(defn.allowed_values)
        raise DocumentParameterError(f"{subject} must be one of: {allowed}", path=path)
    if defn.allowed_pattern is not None and (problem := pattern_problem(defn.allowed_pattern)):
        # A version stored before the backtracking check: refuse rather than stall the server.
        raise DocumentParameterError(
            f"parameter '{defn.name}' has an allowedPattern that can't be used: {problem}",
            path=path,
        )
    if defn.allowed_pattern is not None and not compile_allowed_pattern(
        defn.allowed_pattern
    ).fullmatch(text):
        raise DocumentParameterError(
            f"{subject} does not match allowedPattern {defn.allowed_pattern}", path=path
        )
    _check_length(defn, text, subject)


def _check_length(defn: ParameterDef, text: str, subject: str) -> None:
    path = defn.name
    if defn.min_chars is not None and len(text) < defn.min_chars:
        raise DocumentParameterError(
            f"{subject} must have at least {defn.min_chars} character(s)", path=path
        )
    if defn.max_chars is not None and len(text) > defn.max_chars:
        raise DocumentParameterError(
            f"{subject} must have at most {defn.max_chars} character(s)", path=path
        )


def _coerce_map_list(name: str, items: Sequence[str]) -> list[dict[str, Any]]:
    parsed = [_json_or_none(item) for item in items]
    if len(parsed) == 1 and isinstance(parsed[0], list):
        parsed = parsed[0]
    if not all(isinstance(entry, dict) for entry in parsed):
        raise DocumentParameterError(
            f"parameter '{name}' of type MapList must be a JSON array of objects", path=name
        )
    return [entry for entry in parsed if isinstance(entry, dict)]


def _json_or_none(text: str) -> object:
    try:
        return jsontext.loads(text)
    except ValueError:
        return None


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` can't serve as an allowedPattern (``compile_allowed_pattern``), or
    None when it can."""
    try:
        compile_allowed_pattern(pattern)
    except ValueError as exc:
        return str(exc)
    return None
