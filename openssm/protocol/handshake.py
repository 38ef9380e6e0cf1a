"""The channel handshake (SPEC.md): nonce challenge, Ed25519 signature, freshness.

Pure: the caller supplies keys, nonces and the current time. Both sides build
the signed payload with ``signing_payload`` so they can never disagree on it.
"""

from __future__ import annotations

import base64
import binascii
import math
import secrets
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

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


def sign(private_key: Ed25519PrivateKey, instance_id: str, nonce: str, timestamp: float) -> str:
    """Base64 Ed25519 signature of the signing payload."""
    signature = private_key.sign(signing_payload(instance_id, nonce, timestamp))
    return base64.b64encode(signature).decode("ascii")


def _b64decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return None


def verify(
    public_key_bytes: bytes, signature_b64: str, instance_id: str, nonce: str, timestamp: float
) -> bool:
    """True only when `signature_b64` is `public_key_bytes`'s signature of the payload."""
    signature = _b64decode(signature_b64)
    if signature is None or len(signature) != SIGNATURE_BYTES:
        return False
    if len(public_key_bytes) != PUBLIC_KEY_BYTES:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(public_key_bytes)
        key.verify(signature, signing_payload(instance_id, nonce, timestamp))
    except (InvalidSignature, ValueError):
        return False
    return True


def is_fresh(timestamp: float, now: float, max_skew_s: float = MAX_SKEW_S) -> bool:
    """|timestamp - now| <= max_skew_s, and the timestamp is a real number."""
    return math.isfinite(timestamp) and abs(timestamp - now) <= max_skew_s


def build_hello(
    private_key: Ed25519PrivateKey, instance_id: str, nonce: str, now: float
) -> HelloFrame:
    """The agent's answer to a challenge, signed over `now` rounded to microseconds."""
    timestamp = round(now, 6)
    return HelloFrame(
        protocol=PROTOCOL_VERSION,
        instance_id=instance_id,
        nonce=nonce,
        timestamp=timestamp,
        signature=sign(private_key, instance_id, nonce, timestamp),
    )


def check_hello(
    hello: HelloFrame,
    *,
    expected_nonce: str,
    public_key_bytes: bytes,
    now: float,
    max_skew_s: float = MAX_SKEW_S,
) -> RejectCode | None:
    """The server's checks that need no store: version, nonce, freshness, signature.

    Returns None when the hello is acceptable. Whether the instance exists and is
    still registered is the caller's business (UnknownInstance, Deregistered).
    """
    if hello.protocol != PROTOCOL_VERSION:
        return RejectCode.PROTOCOL_VIOLATION
    if not secrets.compare_digest(hello.nonce.encode(), expected_nonce.encode()):
        return RejectCode.BAD_NONCE
    if not is_fresh(hello.timestamp, now, max_skew_s):
        return RejectCode.STALE_TIMESTAMP
    if not verify(
        public_key_bytes, hello.signature, hello.instance_id, hello.nonce, hello.timestamp
    ):
        return RejectCode.INVALID_SIGNATURE
    return None


def encode_public_key(key: Ed25519PublicKey) -> str:
    """Base64 of the raw 32-byte public key, as registration sends it."""
    raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def decode_public_key(text: str) -> bytes:
    """The raw 32 bytes of a registration ``PublicKey``; ValueError saying why when invalid."""
    raw = _b64decode(text)
    if raw is None:
        raise ValueError("PublicKey is not valid base64")
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(
            f"PublicKey must be {PUBLIC_KEY_BYTES} bytes (raw Ed25519), got {len(raw)}"
        )
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ValueError("PublicKey is not an Ed25519 public key") from exc
    return raw
