"""NextToken values of the Resource Groups listings, in the alphabet their model allows.

The model's NextToken pattern is standard base64 with padding (``[a-zA-Z0-9+/]*={0,2}``),
while ``services/paging.py`` issues URL-safe base64 without padding: these translate one to
the other, so the same integrity-checked tokens serve both APIs. Pure.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from openssm.errors import BadRequestException
from openssm.server.services import paging

MESSAGE = paging.MESSAGE


def encode(kind: str, position: Mapping[str, Any], *, bound_to: str) -> str:
    token = paging.encode_token(kind, position, bound_to=bound_to)
    text = token.replace("-", "+").replace("_", "/")
    return text + "=" * (-len(text) % 4)


def decode(token: str, kind: str, *, bound_to: str) -> dict[str, Any]:
    """The position in a token from ``encode``; BadRequestException for anything else."""
    try:
        base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequestException(MESSAGE) from None
    ours = token.rstrip("=").replace("+", "-").replace("/", "_")
    return paging.decode_token(ours, kind, bound_to=bound_to)
