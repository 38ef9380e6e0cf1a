"""Identifier formats and generators, shaped like AWS's."""

from __future__ import annotations

import secrets
import string
import uuid

_KEY_ALPHABET = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def request_id() -> str:
    return str(uuid.uuid4())


def access_key_id() -> str:
    """`OSSM` + 16 upper-case characters, 20 in all like AWS's `AKIA…` keys."""
    return "OSSM" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))


def managed_instance_id() -> str:
    return "mi-" + secrets.token_hex(9)[:17]


def command_id() -> str:
    return str(uuid.uuid4())
