"""Canary secrets: a unique value stored as a SecureString, then looked for where it must not be."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from types_boto3_ssm.client import SSMClient


def forms(secret: str) -> list[bytes]:
    """The canary as it could leak: UTF-8, UTF-16 (SQLite's other text encoding), base64, hex."""
    raw = secret.encode()
    return [
        raw,
        secret.encode("utf-16-le"),
        base64.b64encode(raw),
        raw.hex().encode(),
    ]


def assert_absent(secret: str, blob: bytes, where: str) -> None:
    for form in forms(secret):
        assert form not in blob, f"the canary leaked into {where} as {form[:20]!r}"


def command_lines() -> bytes:
    """Every process's command line on this host, as /proc shows it to others."""
    found: list[bytes] = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(path.read_bytes())
        except OSError:
            continue  # the process ended while we looked
    return b"\n".join(found)


def put_canary(ssm: SSMClient, folder: str) -> tuple[str, str]:
    """A fresh canary stored as a SecureString under ``folder``: (its name, its value)."""
    canary = f"canary-{uuid.uuid4().hex}"
    name = f"/{folder}/{uuid.uuid4().hex[:8]}/secret"
    ssm.put_parameter(Name=name, Value=canary, Type="SecureString")
    return name, canary
