"""Parsing a document's ``parameters`` block into ParameterDefs.

Refused here, as InvalidDocumentContent naming the parameter and attribute:
names outside letters, digits and ``_``; types the schema version does not
allow; unknown attribute keys and attributes that mean nothing for the type
(say ``minItems`` on a String), so a typo cannot silently drop a check; bad
regular expressions; and defaults that do not have the parameter's type or
break its own constraints. A default holding an ``{{ssm:…}}`` reference is
checked once resolved, at render time; a default that is nothing but one such
reference may be given for a parameter of any type (AWS's own example gives a
StringList ``"{{ssm:RunCommand:2}}"``), since its type is only known once
resolved. ``{{ssm-secure:…}}`` is refused in defaults (AWS allows only String
and StringList Parameter Store references there).

``interpolationType`` is accepted with its one value, ``ENV_VAR`` (on AWS the
agent then also passes the value to the step as an environment variable).
openssm keeps it only in the stored Content: DescribeDocument has no field for
it and ParameterDef does not carry it.
"""

from __future__ import annotations

import re
from typing import Any

from openssm.documents.errors import DocumentContentError, DocumentParameterError, child_path
from openssm.documents.parameters import (
    ParameterDef,
    ParameterType,
    check_value,
    coerce_value,
    default_as_wire,
    pattern_problem,
)
from openssm.documents.placeholders import REFERENCE_RE, find_parameter_references

PARAMETER_NAME_RE = re.compile(r"[a-zA-Z0-9_]{1,128}")
DISPLAY_TYPES = ("textfield", "textarea")
INTERPOLATION_TYPES = ("ENV_VAR",)

_S, _SL, _B, _I, _SM, _ML = ParameterType
# Which optional attributes each type accepts (besides the _COMMON_ATTRIBUTES).
_ATTRIBUTES: dict[str, frozenset[ParameterType]] = {
    "allowedValues": frozenset({_S, _SL, _I}),
    "allowedPattern": frozenset({_S, _SL}),
    # For a StringMap the limit applies to the value as compact JSON text (parameters.py).
    "minChars": frozenset({_S, _SL, _SM}),
    "maxChars": frozenset({_S, _SL, _SM}),
    "minItems": frozenset({_SL, _ML}),
    "maxItems": frozenset({_SL, _ML}),
}
_COMMON_ATTRIBUTES = frozenset(
    {"type", "description", "default", "displayType", "interpolationType"}
)


def parse_parameter_defs(
    raw: object, *, allowed_types: frozenset[ParameterType], path: str = "parameters"
) -> tuple[ParameterDef, ...]:
    """Parse a document's ``parameters`` map, raising DocumentContentError on the first fault."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise DocumentContentError(
            f"{path} must be a map of parameter name to definition", path=path
        )
    return tuple(
        _parse_def(name, spec, allowed_types, child_path(path, name)) for name, spec in raw.items()
    )


def _parse_def(
    name: object, spec: object, allowed_types: frozenset[ParameterType], path: str
) -> ParameterDef:
    if not isinstance(name, str) or PARAMETER_NAME_RE.fullmatch(name) is None:
        raise DocumentContentError(
            f"parameter name {name!r} may only use letters, digits and _ (1-128)", path=path
        )
    if not isinstance(spec, dict):
        raise DocumentContentError(f"parameter '{name}' must be a map", path=path)
    ptype = _parse_type(name, spec.get("type"), allowed_types, path)
    for key in spec:
        if key in _COMMON_ATTRIBUTES:
            continue
        if key not in _ATTRIBUTES:
            raise DocumentContentError(
                f"parameter '{name}' has unknown attribute '{key}'", path=child_path(path, key)
            )
        if ptype not in _ATTRIBUTES[key]:
            raise DocumentContentError(
                f"parameter '{name}' of type {ptype.value} cannot have '{key}'",
                path=child_path(path, key),
            )
    defn = ParameterDef(
        name=name,
        type=ptype,
        description=_text(spec, "description", name, path) or "",
        has_default=spec.get("default") is not None,
        default=spec.get("default"),
        allowed_values=_allowed_values(spec, name, path),
        allowed_pattern=_allowed_pattern(spec, name, path),
        min_items=_count(spec, "minItems", name, path),
        max_items=_count(spec, "maxItems", name, path),
        min_chars=_count(spec, "minChars", name, path),
        max_chars=_count(spec, "maxChars", name, path),
        display_type=_display_type(spec, name, path),
    )
    _check_interpolation_type(spec, name, path)
    for low, high in (("minItems", "maxItems"), ("minChars", "maxChars")):
        if low in spec and high in spec and spec[low] > spec[high]:
            raise DocumentContentError(
                f"parameter '{name}' has {low} greater than {high}", path=child_path(path, low)
            )
    if defn.has_default:
        _check_default(defn, child_path(path, "default"))
    return defn


def _parse_type(
    name: str, raw: object, allowed_types: frozenset[ParameterType], path: str
) -> ParameterType:
    type_path = child_path(path, "type")
    if raw is None:
        raise DocumentContentError(f"parameter '{name}' has no type", path=type_path)
    try:
        ptype = ParameterType(str(raw))
    except ValueError:
        raise DocumentContentError(
            f"parameter '{name}' has unknown type {raw!r}", path=type_path
        ) from None
    if ptype not in allowed_types:
        allowed = ", ".join(t.value for t in ParameterType if t in allowed_types)
        raise DocumentContentError(
            f"parameter '{name}' has type {ptype.value}, which this schema version does not "
            f"support (use {allowed})",
            path=type_path,
        )
    return ptype


def _check_default(defn: ParameterDef, path: str) -> None:
    value = defn.default
    references = find_parameter_references(value)
    if any(ref.is_secure for ref in references):
        raise DocumentContentError(
            f"parameter '{defn.name}' cannot default to an ssm-secure reference", path=path
        )
    if isinstance(value, str) and REFERENCE_RE.fullmatch(value):
        return  # typed and checked once resolved, at render time
    expected = {
        _S: isinstance(value, str),
        _SL: isinstance(value, list) and all(isinstance(i, str) for i in value),
        _I: isinstance(value, int) and not isinstance(value, bool),
        _B: isinstance(value, bool),
        _SM: isinstance(value, dict),
        _ML: isinstance(value, list) and all(isinstance(i, dict) for i in value),
    }[defn.type]
    if not expected:
        raise DocumentContentError(
            f"parameter '{defn.name}' has a default that is not of type {defn.type.value}",
            path=path,
        )
    if references:
        return
    try:
        check_value(defn, coerce_value(defn, default_as_wire(defn)))
    except DocumentParameterError as exc:
        raise DocumentContentError(f"default of {exc.detail}", path=path) from None


def _text(spec: dict[str, Any], key: str, name: str, path: str) -> str | None:
    value = spec.get(key)
    if value is not None and not isinstance(value, str):
        raise DocumentContentError(
            f"parameter '{name}' {key} must be a string", path=child_path(path, key)
        )
    return value


def _count(spec: dict[str, Any], key: str, name: str, path: str) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DocumentContentError(
            f"parameter '{name}' {key} must be a whole number of zero or more",
            path=child_path(path, key),
        )
    return value


def _allowed_values(spec: dict[str, Any], name: str, path: str) -> tuple[str, ...] | None:
    raw = spec.get("allowedValues")
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise DocumentContentError(
            f"parameter '{name}' allowedValues must be a non-empty list",
            path=child_path(path, "allowedValues"),
        )
    values: list[str] = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise DocumentContentError(
                f"parameter '{name}' allowedValues may only hold strings and integers",
                path=child_path(path, "allowedValues"),
            )
        values.append(str(value))
    return tuple(values)


def _allowed_pattern(spec: dict[str, Any], name: str, path: str) -> str | None:
    pattern = _text(spec, "allowedPattern", name, path)
    if pattern is None:
        return None
    problem = pattern_problem(pattern)
    if problem is not None:
        where = child_path(path, "allowedPattern")
        raise DocumentContentError(f"{where}: {problem}", path=where)
    return pattern


def _check_interpolation_type(spec: dict[str, Any], name: str, path: str) -> None:
    value = spec.get("interpolationType")
    if value is not None and value not in INTERPOLATION_TYPES:
        raise DocumentContentError(
            f"parameter '{name}' interpolationType must be ENV_VAR",
            path=child_path(path, "interpolationType"),
        )


def _display_type(spec: dict[str, Any], name: str, path: str) -> str | None:
    value = _text(spec, "displayType", name, path)
    if value is not None and value not in DISPLAY_TYPES:
        raise DocumentContentError(
            f"parameter '{name}' displayType must be textfield or textarea",
            path=child_path(path, "displayType"),
        )
    return value
