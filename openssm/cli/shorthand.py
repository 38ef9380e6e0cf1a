"""The aws CLI's shorthand for SendCommand's Targets and Parameters, parsed. Pure.

``Key=tag:Env,Values=prod,staging`` is one target (its values ORed). Parameters take
``name=value`` pairs separated by commas; a value may be quoted (``commands='echo a,b'``) or a
list (``commands=[uptime,'df -h']``); JSON (``{"commands": ["uptime"]}``) is accepted too.
"""

from __future__ import annotations

import json

from openssm.errors import OpenSSMError


class ShorthandError(OpenSSMError):
    """Text that is not valid shorthand; the message says what to write instead."""


def parse_target(text: str) -> dict[str, object]:
    if not text.startswith("Key="):
        raise ShorthandError(f"target {text!r}: write Key=<key>,Values=<v1>[,<v2>…]")
    key, sep, values = text[len("Key=") :].partition(",Values=")
    if not sep or not key or not values:
        raise ShorthandError(f"target {text!r}: write Key=<key>,Values=<v1>[,<v2>…]")
    return {"Key": key, "Values": [v for v in _split(values, ",") if v]}


def parse_parameters(text: str) -> dict[str, list[str]]:
    stripped = text.strip()
    if stripped.startswith("{"):
        return _json_parameters(stripped)
    parameters: dict[str, list[str]] = {}
    for pair in _split(stripped, ","):
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ShorthandError(f"parameter {pair!r}: write name=value")
        parameters.setdefault(name.strip(), []).extend(_values(value.strip()))
    return parameters


def _json_parameters(text: str) -> dict[str, list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ShorthandError(f"parameters are not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ShorthandError("parameters in JSON must be an object of lists of strings")
    out: dict[str, list[str]] = {}
    for name, value in data.items():
        items = value if isinstance(value, list) else [value]
        out[str(name)] = [str(item) for item in items]
    return out


def _values(text: str) -> list[str]:
    if text.startswith("[") and text.endswith("]"):
        return [_unquote(item.strip()) for item in _split(text[1:-1], ",") if item.strip()]
    return [_unquote(text)]


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside quotes and brackets."""
    parts: list[str] = []
    current: list[str] = []
    quote = ""
    depth = 0
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth = max(0, depth - 1)
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote:
        raise ShorthandError(f"unclosed quote in {text!r}")
    parts.append("".join(current))
    return parts
