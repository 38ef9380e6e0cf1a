"""Document Content as text: parse JSON or YAML, re-serialize, hash.

AWS keeps Content exactly as submitted and hashes those bytes, so the stored
text is the source of truth; the parsed dict is derived from it. This module
only turns text into plain JSON data (dict/list/str/int/float/bool/None) and
back. What the data must look like is ``schema.py``'s job.

Parsing is strict where YAML and JSON are loose, because an ambiguous document
would run differently on the server and the agent:

- duplicate mapping keys are refused (both formats);
- YAML anchors and aliases are refused (alias bombs; no AWS document needs them);
- YAML timestamps stay strings, so any document converts to JSON;
- mapping keys must be strings, floats finite, nesting at most ``MAX_DEPTH``;
- integer literals longer than CPython's conversion limit are refused, not crashed on;
- strings (keys too) must be encodable UTF-8 without NUL: a lone surrogate can't be
  hashed or stored, PostgreSQL text can't hold NUL, and no script line or argument can.
"""

from __future__ import annotations

import hashlib
import json
import math
from enum import StrEnum
from typing import Any, Protocol

import yaml

from openssm import jsontext
from openssm.documents.errors import DocumentContentError, child_path

HASH_TYPE = "Sha256"
MAX_DEPTH = 50
_LONG_NUMBER = "a number has too many digits (at most 4300)"


class DocumentFormat(StrEnum):
    JSON = "JSON"
    YAML = "YAML"
    TEXT = "TEXT"


def document_hash(content: str) -> str:
    """SHA-256 hex digest of Content as stored (the DocumentDescription ``Hash``)."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def parse_content(content: str, document_format: DocumentFormat | str) -> dict[str, Any]:
    """Parse Content into a JSON-compatible dict, or raise DocumentContentError."""
    fmt = _format(document_format)
    if fmt is DocumentFormat.JSON:
        data = _load_json(content)
    elif fmt is DocumentFormat.YAML:
        data = _load_yaml(content)
    else:
        raise DocumentContentError(
            "DocumentFormat TEXT is only for opaque document types; "
            "Command, Policy and Session documents must be JSON or YAML"
        )
    if not isinstance(data, dict):
        raise DocumentContentError(
            f"the document must be a {fmt.value} object at the top level, not {_kind(data)}"
        )
    _check_plain(data, "", 0)
    return data


def serialize_content(data: dict[str, Any], document_format: DocumentFormat | str) -> str:
    """Render parsed data as JSON (2-space indent) or block-style YAML."""
    fmt = _format(document_format)
    if fmt is DocumentFormat.JSON:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt is DocumentFormat.YAML:
        text: str = yaml.dump(
            data,
            Dumper=_BlockDumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=100,
        )
        return text
    raise DocumentContentError("cannot convert a document to DocumentFormat TEXT")


def convert_content(
    content: str,
    source_format: DocumentFormat | str,
    target_format: DocumentFormat | str,
) -> str:
    """GetDocument with another DocumentFormat: same format returns the text untouched."""
    if _format(source_format) is _format(target_format):
        return content
    return serialize_content(parse_content(content, source_format), target_format)


def _format(value: DocumentFormat | str) -> DocumentFormat:
    try:
        return DocumentFormat(value)
    except ValueError:
        raise DocumentContentError(
            f"unknown DocumentFormat {value!r}; expected JSON, YAML or TEXT"
        ) from None


# --- JSON ---------------------------------------------------------------------------------


def _load_json(content: str) -> object:
    try:
        # One level past MAX_DEPTH: _check_plain then names the path where nesting went too deep.
        return jsontext.loads(
            content,
            max_depth=MAX_DEPTH + 1,
            object_pairs_hook=_json_object,
            parse_constant=_json_constant,
        )
    except jsontext.JsonTooDeep:
        raise DocumentContentError(f"JSON nesting deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise DocumentContentError(
            f"JSON not well-formed at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError:
        # int() refuses literals past sys.get_int_max_str_digits(); nothing else raises it here.
        raise DocumentContentError(_LONG_NUMBER) from None


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise DocumentContentError(f"duplicate key {key!r} in a JSON object")
        obj[key] = value
    return obj


def _json_constant(name: str) -> float:
    raise DocumentContentError(f"JSON constant {name} is not allowed")


# --- YAML ---------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases, duplicate keys or timestamp objects."""

    # The composer recurses once per level: stop it one level past MAX_DEPTH (so _check_plain
    # names the path), long before the interpreter's recursion limit.
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call] # stub lacks types
            raise DocumentContentError(
                f"YAML not well-formed{_where(event.start_mark)}: "
                "aliases (*name) are not allowed in documents"
            )
        if self._depth > MAX_DEPTH + 1:
            raise DocumentContentError(f"YAML nesting deeper than {MAX_DEPTH} levels")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, str) and key in seen:
                raise yaml.MarkedYAMLError(
                    problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
                )
            if isinstance(key, str):
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_text(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _load_yaml(content: str) -> object:
    try:
        return yaml.load(content, Loader=_StrictLoader)  # noqa: S506 - _StrictLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        where = _where(exc.problem_mark or exc.context_mark)
        problem = exc.problem or exc.context or "invalid YAML"
        raise DocumentContentError(f"YAML not well-formed{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise DocumentContentError(f"YAML not well-formed: {exc}") from None
    except ValueError:
        # SafeLoader's int constructor: a literal past sys.get_int_max_str_digits().
        raise DocumentContentError(_LONG_NUMBER) from None


class _Mark(Protocol):
    line: int
    column: int


def _where(mark: _Mark | None) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings as ``|`` blocks so scripts stay readable."""


# YAML 1.1 line breaks besides \n: written raw in a plain or block scalar, the loader folds
# them into spaces or newlines, so a script would change on the way JSON → YAML.
_OTHER_BREAKS = ("\r", "\x85", "\u2028", "\u2029")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style: str | None = None
    if any(mark in value for mark in _OTHER_BREAKS):
        style = '"'  # double-quoted escapes them (\r, \N, \L, \P)
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


# --- shared -------------------------------------------------------------------------------


def _check_plain(value: object, path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise DocumentContentError(f"nesting deeper than {MAX_DEPTH} levels at {path}", path=path)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise DocumentContentError(
                    f"mapping key {key!r} at {path or 'the top level'} must be a string",
                    path=path,
                )
            _check_text(key, f"a mapping key at {path or 'the top level'}", path)
            _check_plain(item, child_path(path, key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_plain(item, child_path(path, index), depth + 1)
    elif isinstance(value, str):
        _check_text(value, path, path)
    elif isinstance(value, float) and not math.isfinite(value):
        raise DocumentContentError(f"{path} is not a finite number", path=path)
    elif value is not None and not isinstance(value, str | int | float | bool):
        raise DocumentContentError(
            f"{path} holds a {type(value).__name__}, which JSON cannot represent", path=path
        )


def _check_text(text: str, subject: str, path: str) -> None:
    # Never quotes the text: the message must stay printable and encodable itself.
    if "\x00" in text:
        raise DocumentContentError(f"{subject} contains the NUL character (U+0000)", path=path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DocumentContentError(
            f"{subject} contains a lone UTF-16 surrogate (\\ud800-\\udfff), "
            "which is not a character",
            path=path,
        ) from None


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return f"a {type(value).__name__}"
