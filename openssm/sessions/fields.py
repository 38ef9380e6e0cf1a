"""Lenient reading of the JSON bodies of data-channel payloads: one place that decides what a
missing member, a number sent as a string or a hostile document become.

Pure; raises only ``DataChannelError``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from openssm import jsontext
from openssm.errors import DataChannelError

# Far deeper than any session payload nests; a deeper one is hostile.
MAX_DEPTH = 16


def json_object(data: bytes | str, what: str) -> Mapping[str, Any]:
    """The JSON object in ``data``; DataChannelError when it is not JSON or not an object."""
    try:
        value = jsontext.loads(data, max_depth=MAX_DEPTH)
    except (ValueError, RecursionError) as exc:
        raise DataChannelError(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise DataChannelError(f"{what} is not a JSON object")
    return value


def text_member(body: Mapping[str, Any], key: str, default: str = "") -> str:
    """A member as text: strings as they are, other JSON values in their JSON form."""
    value = body.get(key)
    if value is None:
        return default
    return value if isinstance(value, str) else json.dumps(value)


def int_member(body: Mapping[str, Any], key: str, what: str, default: int | None = None) -> int:
    """A member as an integer, from a number or a numeric string; ``default`` when it is
    missing or unusable, DataChannelError when there is no default."""
    value = body.get(key)
    if isinstance(value, bool):
        value = None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    if default is None:
        raise DataChannelError(f"{what} has no usable {key} (got {value!r})")
    return default


def compact(body: Mapping[str, Any]) -> bytes:
    """JSON as AWS's peers write it: no spaces, UTF-8."""
    return json.dumps(body, separators=(",", ":")).encode("utf-8")
