"""Opaque ``NextToken`` values for every paginated operation. Pure.

A token carries a small JSON position (for example the last key a scan looked at) and is bound
to the request that produced it: the operation, the caller's account and region, and whatever
shapes the listing (path, filters). A token altered in any byte, made up, or replayed on a
different listing is refused with InvalidNextToken, as AWS refuses a token it did not issue.

Tokens are integrity-checked, not secret: the check uses a public key, so someone determined
can forge one, but a token only moves a cursor inside a listing the caller is already allowed
to read, scoped by the caller's own account and region.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from openssm import jsontext
from openssm.errors import InvalidNextToken

_VERSION = 1
_KEY = b"openssm.next-token.v1"
_MAC_BYTES = 12
_MAX_TOKEN_CHARS = 4096
MESSAGE = "The specified token is not valid."


def binding(*parts: object) -> str:
    """A digest of what a token is bound to: any JSON-able parts, order-sensitive."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _mac(kind: str, bound_to: str, payload: bytes) -> bytes:
    message = b"\0".join((kind.encode(), bound_to.encode(), payload))
    return hashlib.blake2b(message, key=_KEY, digest_size=_MAC_BYTES).digest()


def encode_token(kind: str, position: Mapping[str, Any], *, bound_to: str) -> str:
    """A NextToken for ``kind`` (the operation) carrying ``position``."""
    payload = json.dumps(
        {"v": _VERSION, "p": position}, sort_keys=True, separators=(",", ":")
    ).encode()
    raw = _mac(kind, bound_to, payload) + payload
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, kind: str, *, bound_to: str) -> dict[str, Any]:
    """The position inside a token from ``encode_token``; anything else is InvalidNextToken."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        raise InvalidNextToken(MESSAGE)
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidNextToken(MESSAGE) from None
    mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, _mac(kind, bound_to, payload)):
        raise InvalidNextToken(MESSAGE)
    try:
        doc = jsontext.loads(payload)
    except ValueError:
        raise InvalidNextToken(MESSAGE) from None
    if not isinstance(doc, dict) or doc.get("v") != _VERSION or not isinstance(doc.get("p"), dict):
        raise InvalidNextToken(MESSAGE)
    position: dict[str, Any] = doc["p"]
    return position
