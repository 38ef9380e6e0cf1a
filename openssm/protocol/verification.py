"""The server's half of the handshake (SPEC.md): is a hello signed, fresh and for our nonce;
is a registration's public key one an honest agent could hold.

Pure; verification uses cryptography, which the server has and the agent does not need.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from openssm.protocol.frames import HelloFrame
from openssm.protocol.handshake import (
    MAX_SKEW_S,
    PROTOCOL_VERSION,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    RejectCode,
    is_fresh,
    signing_payload,
)


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
        # UnicodeEncodeError (a ValueError) when a member holds a lone surrogate: no key signed
        # that payload.
        key.verify(signature, signing_payload(instance_id, nonce, timestamp))
    except (InvalidSignature, ValueError):
        return False
    return True


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
    # surrogatepass: the frame decoder refuses lone surrogates, but a HelloFrame made in code
    # may hold one, which strict UTF-8 refuses to encode; such a nonce is not the one sent.
    sent = hello.nonce.encode("utf-8", "surrogatepass")
    if not secrets.compare_digest(sent, expected_nonce.encode("utf-8", "surrogatepass")):
        return RejectCode.BAD_NONCE
    if not is_fresh(hello.timestamp, now, max_skew_s):
        return RejectCode.STALE_TIMESTAMP
    if not verify(
        public_key_bytes, hello.signature, hello.instance_id, hello.nonce, hello.timestamp
    ):
        return RejectCode.INVALID_SIGNATURE
    return None


# Curve25519's field prime and Edwards constants (RFC 8032 §5.1), for _is_weak_key only.
_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _edwards_add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = _D * x1 * x2 * y1 * y2 % _P
    x3 = (x1 * y2 + y1 * x2) * pow(1 + t, _P - 2, _P) % _P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, _P - 2, _P) % _P
    return x3, y3


def _is_weak_key(raw: bytes) -> bool:
    """True for an encoding no honest Ed25519 key has: non-canonical, off the curve, or a
    point of small order. OpenSSL accepts small-order keys, and against one (the identity, for
    instance) a signature of R = identity, S = 0 verifies for every message, so anyone who knew
    the instance id could open its channel."""
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    if y >= _P:
        return True
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return True
    point = (x, y)
    for _ in range(3):  # times the cofactor 8: a small-order point becomes the identity
        point = _edwards_add(point, point)
    return point == (0, 1)


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
    if _is_weak_key(raw):
        raise ValueError("PublicKey is not a usable Ed25519 public key; generate a new key pair")
    return raw
