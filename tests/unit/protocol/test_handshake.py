"""The channel handshake of SPEC.md: payload, Ed25519 signatures, nonce and freshness checks
(the agent's half in handshake.py, the server's in verification.py)."""

from __future__ import annotations

import base64

import msgspec
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openssm.protocol import handshake, verification
from openssm.protocol.handshake import RejectCode

INSTANCE = "mi-0123456789abcdef0"
NOW = 1767225600.0


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def test_signing_payload_is_the_spec_format() -> None:
    payload = handshake.signing_payload(INSTANCE, "bm9uY2U=", 1767225600.5)
    assert payload == b"openssm-agent-v1\nmi-0123456789abcdef0\nbm9uY2U=\n1767225600.500000"


def test_new_nonce_is_base64_of_32_random_bytes() -> None:
    nonces = {handshake.new_nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(base64.b64decode(n, validate=True)) == 32 for n in nonces)


def test_verify_accepts_own_signature(key: Ed25519PrivateKey) -> None:
    signature = handshake.sign(key, INSTANCE, "n", NOW)
    assert verification.verify(raw_public(key), signature, INSTANCE, "n", NOW)


@pytest.mark.parametrize(
    ("instance_id", "nonce", "timestamp"),
    [("mi-00000000000000000", "n", NOW), (INSTANCE, "other", NOW), (INSTANCE, "n", NOW + 1e-6)],
    ids=["other-instance", "other-nonce", "other-timestamp"],
)
def test_verify_refuses_signature_over_different_payload(
    key: Ed25519PrivateKey, instance_id: str, nonce: str, timestamp: float
) -> None:
    signature = handshake.sign(key, INSTANCE, "n", NOW)
    assert not verification.verify(raw_public(key), signature, instance_id, nonce, timestamp)


def test_verify_refuses_other_key(key: Ed25519PrivateKey) -> None:
    signature = handshake.sign(key, INSTANCE, "n", NOW)
    other = raw_public(Ed25519PrivateKey.generate())
    assert not verification.verify(other, signature, INSTANCE, "n", NOW)


@pytest.mark.parametrize(
    "signature", ["", "not base64!", base64.b64encode(b"short").decode(), "é"], ids=repr
)
def test_verify_refuses_malformed_signature(key: Ed25519PrivateKey, signature: str) -> None:
    assert not verification.verify(raw_public(key), signature, INSTANCE, "n", NOW)


def test_verify_refuses_a_payload_that_is_not_unicode_text(key: Ed25519PrivateKey) -> None:
    signature = handshake.sign(key, INSTANCE, "nonce", NOW)
    assert not verification.verify(raw_public(key), signature, "mi-\ud800", "nonce", NOW)


def test_verify_refuses_malformed_public_key(key: Ed25519PrivateKey) -> None:
    signature = handshake.sign(key, INSTANCE, "n", NOW)
    assert not verification.verify(b"\x00" * 31, signature, INSTANCE, "n", NOW)


@pytest.mark.parametrize(
    ("timestamp", "fresh"),
    [
        (NOW, True),
        (NOW - 300, True),
        (NOW + 300, True),
        (NOW - 300.001, False),
        (NOW + 301, False),
        (float("nan"), False),
        (float("inf"), False),
    ],
)
def test_is_fresh_allows_300_seconds_of_skew(timestamp: float, fresh: bool) -> None:
    assert handshake.is_fresh(timestamp, NOW) is fresh


def test_check_hello_accepts_a_fresh_signed_hello(key: Ed25519PrivateKey) -> None:
    hello = handshake.build_hello(key, INSTANCE, "nonce", NOW + 0.1234567)
    assert hello.timestamp == round(NOW + 0.1234567, 6)
    assert hello.protocol == handshake.PROTOCOL_VERSION
    assert (
        verification.check_hello(
            hello, expected_nonce="nonce", public_key_bytes=raw_public(key), now=NOW
        )
        is None
    )


def test_check_hello_survives_the_json_round_trip(key: Ed25519PrivateKey) -> None:
    from openssm.protocol.frames import HelloFrame, decode, encode

    hello = handshake.build_hello(key, INSTANCE, "nonce", 1767225600.987654321)
    received = decode(encode(hello))
    assert isinstance(received, HelloFrame)
    assert (
        verification.check_hello(
            received, expected_nonce="nonce", public_key_bytes=raw_public(key), now=NOW
        )
        is None
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"nonce": "replayed"}, RejectCode.BAD_NONCE),
        # A frame made in code can hold a lone surrogate; it is refused, not a crash.
        ({"nonce": "\ud800"}, RejectCode.BAD_NONCE),
        ({"timestamp": NOW - 301}, RejectCode.STALE_TIMESTAMP),
        ({"protocol": 2}, RejectCode.PROTOCOL_VIOLATION),
        ({"instance_id": "mi-fffffffffffffffff"}, RejectCode.INVALID_SIGNATURE),
        ({"signature": base64.b64encode(bytes(64)).decode()}, RejectCode.INVALID_SIGNATURE),
    ],
)
def test_check_hello_rejects(
    key: Ed25519PrivateKey, change: dict[str, object], expected: RejectCode
) -> None:
    hello = msgspec.structs.replace(handshake.build_hello(key, INSTANCE, "nonce", NOW), **change)
    verdict = verification.check_hello(
        hello, expected_nonce="nonce", public_key_bytes=raw_public(key), now=NOW
    )
    assert verdict is expected


def test_stale_hello_with_a_valid_signature_is_still_refused(key: Ed25519PrivateKey) -> None:
    old = handshake.build_hello(key, INSTANCE, "nonce", NOW - 3600)
    verdict = verification.check_hello(
        old, expected_nonce="nonce", public_key_bytes=raw_public(key), now=NOW
    )
    assert verdict is RejectCode.STALE_TIMESTAMP


@pytest.mark.parametrize(
    ("code", "close"),
    [
        (RejectCode.DEREGISTERED, 4403),
        (RejectCode.PROTOCOL_VIOLATION, 4400),
        (RejectCode.INVALID_SIGNATURE, 4401),
        (RejectCode.BAD_NONCE, 4401),
        (RejectCode.STALE_TIMESTAMP, 4401),
        (RejectCode.UNKNOWN_INSTANCE, 4401),
    ],
)
def test_close_code_for_reject_code(code: RejectCode, close: int) -> None:
    assert handshake.close_code_for(code) == close


def test_public_key_round_trips_through_registration_encoding(key: Ed25519PrivateKey) -> None:
    text = handshake.encode_public_key(raw_public(key))
    assert verification.decode_public_key(text) == raw_public(key)


P = 2**255 - 19
SMALL_ORDER = {
    "identity": (1).to_bytes(32, "little"),
    "order 2": (P - 1).to_bytes(32, "little"),
    "order 4": bytes(32),
    "order 4, other sign": bytes(31) + b"\x80",
    "non-canonical": b"\xff" * 31 + b"\x7f",
}


@pytest.mark.parametrize("raw", SMALL_ORDER.values(), ids=SMALL_ORDER.keys())
def test_decode_public_key_refuses_keys_any_signature_could_match(raw: bytes) -> None:
    with pytest.raises(ValueError, match="usable"):
        verification.decode_public_key(base64.b64encode(raw).decode())


def test_the_identity_key_would_verify_a_forged_hello() -> None:
    """Why the check above exists: R = identity, S = 0 verifies for any payload."""
    forged = base64.b64encode((1).to_bytes(32, "little") + bytes(32)).decode()
    assert verification.verify(SMALL_ORDER["identity"], forged, INSTANCE, "nonce", NOW)


def test_decode_public_key_accepts_generated_keys() -> None:
    for _ in range(50):
        key = Ed25519PrivateKey.generate()
        assert verification.decode_public_key(handshake.encode_public_key(raw_public(key)))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("%%%", "base64"), (base64.b64encode(b"x" * 31).decode(), "32 bytes")],
)
def test_decode_public_key_explains_what_is_wrong(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        verification.decode_public_key(text)
