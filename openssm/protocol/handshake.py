"""The channel handshake (SPEC.md): nonce challenge, Ed25519 signature, freshness.

Pure, and the agent's half only needs the standard library: the caller supplies
keys, nonces and the current time. Both sides build the signed payload with
``signing_payload`` so they can never disagree on it. The server's half
(checking a hello's signature, reading a registration's public key) is in
``verification.py``, which needs cryptography.
"""

from __future__ import annotations

import base64
import math
import secrets
from enum import StrEnum
from typing import Protocol

from openssm.protocol.frames import HelloFrame

PROTOCOL_VERSION = 1
MAX_SKEW_S = 300.0
NONCE_BYTES = 32
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
PAYLOAD_PREFIX = "openssm-agent-v1"

# WebSocket close codes (private range 4000-4999).
CLOSE_PROTOCOL = 4400
CLOSE_AUTH = 4401
CLOSE_DEREGISTERED = 4403


class RejectCode(StrEnum):
    """Values of ``rejected.code``."""

    INVALID_SIGNATURE = "InvalidSignature"
    DEREGISTERED = "Deregistered"
    UNKNOWN_INSTANCE = "UnknownInstance"
    STALE_TIMESTAMP = "StaleTimestamp"
    BAD_NONCE = "BadNonce"
    PROTOCOL_VIOLATION = "ProtocolViolation"


def close_code_for(code: RejectCode) -> int:
    """The WebSocket close code that follows a ``rejected`` frame with `code`."""
    if code is RejectCode.DEREGISTERED:
        return CLOSE_DEREGISTERED
    if code is RejectCode.PROTOCOL_VIOLATION:
        return CLOSE_PROTOCOL
    return CLOSE_AUTH


def new_nonce() -> str:
    """A fresh challenge nonce: base64 of 32 random bytes."""
    return base64.b64encode(secrets.token_bytes(NONCE_BYTES)).decode("ascii")


def signing_payload(instance_id: str, nonce: str, timestamp: float) -> bytes:
    """The exact bytes an agent signs: prefix, instance id, nonce, timestamp (6 decimals)."""
    return f"{PAYLOAD_PREFIX}\n{instance_id}\n{nonce}\n{timestamp:.6f}".encode()


class Signer(Protocol):
    """An Ed25519 private key (the agent's InstanceKey, or cryptography's in tests)."""

    def sign(self, data: bytes, /) -> bytes:
        """The 64-byte Ed25519 signature of `data`."""
        ...


def sign(private_key: Signer, instance_id: str, nonce: str, timestamp: float) -> str:
    """Base64 Ed25519 signature of the signing payload."""
    signature = private_key.sign(signing_payload(instance_id, nonce, timestamp))
    return base64.b64encode(signature).decode("ascii")


def is_fresh(timestamp: float, now: float, max_skew_s: float = MAX_SKEW_S) -> bool:
    """|timestamp - now| <= max_skew_s, and the timestamp is a real number."""
    return math.isfinite(timestamp) and abs(timestamp - now) <= max_skew_s


def build_hello(private_key: Signer, instance_id: str, nonce: str, now: float) -> HelloFrame:
    """The agent's answer to a challenge, signed over `now` rounded to microseconds."""
    timestamp = round(now, 6)
    return HelloFrame(
        protocol=PROTOCOL_VERSION,
        instance_id=instance_id,
        nonce=nonce,
        timestamp=timestamp,
        signature=sign(private_key, instance_id, nonce, timestamp),
    )


def encode_public_key(raw: bytes) -> str:
    """Base64 of the raw 32-byte public key, as registration sends it."""
    return base64.b64encode(raw).decode("ascii")
