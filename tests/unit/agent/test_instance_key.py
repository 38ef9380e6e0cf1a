"""The agent's Ed25519 key: RFC 8032 signatures, and key files OpenSSL and cryptography read."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from openssm.agent.instance_key import InstanceKey, KeyFormatError
from openssm.protocol import handshake, verification


def test_the_server_verifies_what_the_agent_signs() -> None:
    key = InstanceKey.generate()
    hello = handshake.build_hello(key, "mi-0123456789abcdef0", "nonce", 1767225600.5)
    verdict = verification.check_hello(
        hello, expected_nonce="nonce", public_key_bytes=key.public_bytes, now=1767225600.0
    )
    assert verdict is None
    registered = verification.decode_public_key(handshake.encode_public_key(key.public_bytes))
    assert registered == key.public_bytes


def test_generated_keys_differ() -> None:
    assert len({InstanceKey.generate().public_bytes for _ in range(20)}) == 20


def test_repr_shows_no_key_material() -> None:
    key = InstanceKey(bytes(range(32)))
    assert repr(key) == "InstanceKey(<private>)"


def test_key_file_is_the_pkcs8_pem_cryptography_reads_and_writes() -> None:
    """Agents registered before PyNaCl signed wrote their key with cryptography."""
    theirs = Ed25519PrivateKey.generate()
    pem = theirs.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    ours = InstanceKey.from_pem(pem)
    assert ours.sign(b"payload") == theirs.sign(b"payload")
    assert ours.to_pem() == pem
    back = load_pem_private_key(ours.to_pem(), password=None)
    assert isinstance(back, Ed25519PrivateKey)
    assert back.private_bytes_raw() == theirs.private_bytes_raw()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_a_key_made_by_openssl_loads(tmp_path: Path) -> None:
    path = tmp_path / "instance.key"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    key = InstanceKey.from_pem(path.read_bytes())
    public = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    assert public.endswith(key.public_bytes)


RSA_PKCS8_START = base64.b64encode(bytes.fromhex("308204be020100300d06092a864886f70d0101010500"))


@pytest.mark.parametrize(
    ("pem", "fragment"),
    [
        (b"\xff\xfe", "not PEM text"),
        (
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            "PKCS#8",
        ),
        (
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
            "PKCS#8",
        ),
        (b"-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----\n", "base64"),
        (
            b"-----BEGIN PRIVATE KEY-----\n" + RSA_PKCS8_START + b"\n-----END PRIVATE KEY-----\n",
            "not an Ed25519 key",
        ),
        (InstanceKey(bytes(32)).to_pem().replace(b"MC4CAQAw", b"MC8CAQAw"), "damaged"),
    ],
)
def test_a_key_file_it_cannot_use_says_why(pem: bytes, fragment: str) -> None:
    with pytest.raises(KeyFormatError, match=fragment):
        InstanceKey.from_pem(pem)


def test_a_seed_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="32 bytes"):
        InstanceKey(bytes(31))
