"""What of a call's input and output may go into its record: secrets never do.

The walk follows the operation's shapes in botocore's model, the way CloudTrail writes a
record: member names in camelCase, and every member whose shape the model marks
``sensitive`` (a parameter's value, SendCommand's Parameters, …) or that holds a credential by
its nature (an activation code, a session token) replaced by HIDDEN, wherever it is. A member
the model does not know is left out rather than copied, so nothing unexamined reaches a record.

Responses are kept small, as CloudTrail keeps them: only what a write answered, a few levels
deep, long lists cut.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from typing import Any

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
# Members that carry a secret although their shapes are not marked sensitive in the model.
_SECRET_MEMBER_NAMES = frozenset(
    {
        "ActivationCode",
        "TokenValue",
        "SecretAccessKey",
        "SessionToken",
        "Password",
        "Value",  # a parameter's value wherever the model names it (PutParameter's is sensitive)
    }
)
# Value is also a tag's value, which is no secret; tags stay readable.
_TAG_SHAPES = frozenset({"Tag", "TagList", "KeyValuePair"})
RESPONSE_DEPTH = 3
RESPONSE_LIST_ITEMS = 20


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _scalar(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class Redactor:
    """Redacts the input and output of one service's operations by its model. Pure."""

    def __init__(self, model: Mapping[str, Any]) -> None:
        self._shapes: Mapping[str, Mapping[str, Any]] = model["shapes"]
        self._operations: Mapping[str, Mapping[str, Any]] = model["operations"]

    def request(self, operation: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._redact(operation, "input", body, None)

    def response(self, operation: str, output: Mapping[str, Any]) -> dict[str, Any] | None:
        return self._redact(operation, "output", output, RESPONSE_DEPTH)

    def _redact(
        self, operation: str, side: str, value: Mapping[str, Any], depth: int | None
    ) -> dict[str, Any] | None:
        shape = self._operations.get(operation, {}).get(side, {}).get("shape")
        if shape is None:
            return None
        out = self._walk(value, shape, depth)
        return out if isinstance(out, dict) and out else None

    def _walk(self, value: object, shape_name: str, depth: int | None) -> object:
        shape = self._shapes[shape_name]
        if shape.get("sensitive"):
            return HIDDEN
        kind = shape["type"]
        if kind == "structure":
            if not isinstance(value, Mapping):
                return None
            if depth == 0:
                return None
            inner = None if depth is None else depth - 1
            members: Mapping[str, Mapping[str, Any]] = shape.get("members", {})
            out: dict[str, object] = {}
            for key, item in value.items():
                ref = members.get(key)
                if ref is None or item is None:
                    continue
                if self._is_secret(shape_name, key):
                    out[_camel(key)] = HIDDEN
                    continue
                walked = self._walk(item, ref["shape"], inner)
                if walked is not None:
                    out[_camel(key)] = walked
            return out
        if kind == "list":
            if not isinstance(value, list | tuple):
                return None
            items = value if depth is None else value[:RESPONSE_LIST_ITEMS]
            member = shape["member"]["shape"]
            return [w for w in (self._walk(i, member, depth) for i in items) if w is not None]
        if kind == "map":
            if not isinstance(value, Mapping):
                return None
            item_shape = shape["value"]["shape"]
            return {str(k): self._walk(v, item_shape, depth) for k, v in value.items()}
        return _scalar(value)

    @staticmethod
    def _is_secret(struct: str, member: str) -> bool:
        return member in _SECRET_MEMBER_NAMES and struct not in _TAG_SHAPES
