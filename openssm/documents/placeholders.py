"""The ``{{ … }}`` placeholders: document parameters and Parameter Store references.

Two kinds share one syntax, optional spaces inside the braces allowed:

- ``{{ name }}``: a document parameter (letters, digits, ``_``);
- ``{{ssm:/path/name}}`` and ``{{ssm-secure:/path/name}}``: a Parameter Store
  parameter, optionally with a ``:version`` or ``:label`` selector.

Every substitution is a single left-to-right pass over the *template* text
(``re.sub``), so text that came from a value is never scanned again: a value
holding ``{{ other }}`` or ``{{ssm:/x}}`` stays literal (SECURITY item 13).

Interpolation rules (AWS's agent behaves this way for whole-string
placeholders; the embedded cases are our decision, documented here):

- A string that is exactly one placeholder becomes the value with its type:
  a StringList stays a list, an Integer an int, a StringMap a dict.
- A list element that is exactly a StringList placeholder is spliced into the
  list, so ``runCommand: ["set -e", "{{ commands }}"]`` stays a flat list.
- A placeholder inside longer text is replaced by the value as text: Booleans
  as ``true``/``false``, StringLists joined with ``,`` (Parameter Store's
  StringList spelling, and no new script lines), maps as compact JSON.
- Names that are not parameters stay as written, so Go or Jinja templates
  inside scripts (``{{ .State.Running }}``, ``{{ item }}``) pass through.
- Only values are interpolated, never mapping keys.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openssm.documents.errors import DocumentParameterError, child_path

_REF = r"[A-Za-z0-9_./-]+(?::[A-Za-z0-9_.-]+)?"
REFERENCE_RE = re.compile(r"\{\{\s*(ssm-secure|ssm):(" + _REF + r")\s*\}\}")
PLACEHOLDER_RE = re.compile(
    r"\{\{\s*(?:(?P<kind>ssm-secure|ssm):(?P<ref>"
    + _REF
    + r")|(?P<name>[A-Za-z0-9_]{1,128}))\s*\}\}"
)

Resolver = Callable[[str], str | None]
"""Looks up a Parameter Store name (with any ``:selector``); None when it does not exist."""


@dataclass(frozen=True, slots=True, order=True)
class Reference:
    """One ``{{ssm:…}}`` or ``{{ssm-secure:…}}`` reference."""

    name: str
    is_secure: bool = False

    @property
    def text(self) -> str:
        kind = "ssm-secure" if self.is_secure else "ssm"
        return "{{" + f"{kind}:{self.name}" + "}}"


def find_parameter_references(obj: object) -> set[Reference]:
    """Every Parameter Store reference in a value, a values map or any JSON data."""
    return {
        Reference(match.group(2), match.group(1) == "ssm-secure")
        for text in _strings(obj)
        for match in REFERENCE_RE.finditer(text)
    }


def placeholder_names(obj: object) -> set[str]:
    """Document parameter names used as ``{{ name }}`` anywhere in JSON data."""
    return {
        match.group("name")
        for text in _strings(obj)
        for match in PLACEHOLDER_RE.finditer(text)
        if match.group("name")
    }


def resolve_references(
    values: Mapping[str, Sequence[str]],
    resolver: Resolver,
    *,
    secure_resolver: Resolver | None = None,
) -> dict[str, list[str]]:
    """Replace references inside parameter values, once.

    ``{{ssm:…}}`` goes through ``resolver``. ``{{ssm-secure:…}}`` goes through
    ``secure_resolver``, or stays literal when it is None (the display form).
    A reference the resolver cannot find raises DocumentParameterError naming it.
    """
    table = ReferenceTable(resolver, secure_resolver)
    return {
        name: [table.substitute(item, child_path(name, index)) for index, item in enumerate(items)]
        for name, items in values.items()
    }


class ReferenceTable:
    """Resolves each distinct reference at most once per render."""

    def __init__(self, resolver: Resolver, secure_resolver: Resolver | None) -> None:
        self._resolver = resolver
        self._secure_resolver = secure_resolver
        self._cache: dict[Reference, str | None] = {}

    def lookup(self, ref: Reference, path: str) -> str | None:
        """The value, or None when the reference must stay literal (secure, display form)."""
        resolver = self._secure_resolver if ref.is_secure else self._resolver
        if resolver is None:
            return None
        if ref not in self._cache:
            self._cache[ref] = resolver(ref.name)
            if self._cache[ref] is None:
                raise DocumentParameterError(
                    f"Parameter Store parameter '{ref.name}' referenced as {ref.text} "
                    f"at {path} was not found",
                    path=path,
                )
        return self._cache[ref]

    def substitute(self, text: str, path: str) -> str:
        def replace(match: re.Match[str]) -> str:
            ref = Reference(match.group(2), match.group(1) == "ssm-secure")
            value = self.lookup(ref, path)
            return match.group(0) if value is None else value

        return REFERENCE_RE.sub(replace, text)


def interpolate(
    template: Any,
    values: Mapping[str, Any],
    *,
    references: ReferenceTable | None = None,
    path: str = "",
) -> Any:
    """Substitute ``{{ name }}`` (and references, when a table is given) in JSON data."""
    if isinstance(template, dict):
        return {
            key: interpolate(item, values, references=references, path=child_path(path, key))
            for key, item in template.items()
        }
    if isinstance(template, list):
        out: list[Any] = []
        for index, item in enumerate(template):
            spliced = _whole_parameter(item, values)
            if isinstance(spliced, list) and all(isinstance(i, str) for i in spliced):
                out.extend(spliced)
            else:
                item_path = child_path(path, index)
                out.append(interpolate(item, values, references=references, path=item_path))
        return out
    if isinstance(template, str):
        return _interpolate_text(template, values, references, path)
    return template


def _interpolate_text(
    text: str, values: Mapping[str, Any], references: ReferenceTable | None, path: str
) -> Any:
    whole = PLACEHOLDER_RE.fullmatch(text)
    if whole is not None and whole.group("name") in values:
        return copy.deepcopy(values[whole.group("name")])

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name:
            return as_text(values[name]) if name in values else match.group(0)
        if references is None:
            return match.group(0)
        ref = Reference(match.group("ref"), match.group("kind") == "ssm-secure")
        value = references.lookup(ref, path)
        return match.group(0) if value is None else value

    return PLACEHOLDER_RE.sub(replace, text)


def _whole_parameter(item: object, values: Mapping[str, Any]) -> object:
    if not isinstance(item, str):
        return None
    whole = PLACEHOLDER_RE.fullmatch(item)
    if whole is None or whole.group("name") not in values:
        return None
    return values[whole.group("name")]


def as_text(value: object) -> str:
    """A parameter value as it reads inside longer text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list) and all(isinstance(i, str) for i in value):
        return ",".join(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _strings(obj: object) -> Iterator[str]:
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, Mapping):
        for item in obj.values():
            yield from _strings(item)
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from _strings(item)
