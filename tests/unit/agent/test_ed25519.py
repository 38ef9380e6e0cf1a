"""The agent's two Ed25519 backends compute RFC 8032 exactly, and OpenSSL's is used only when it
does."""

from __future__ import annotations

import ctypes
import ctypes.util
import secrets

import pytest

from openssm.agent import ed25519
from openssm.agent.ed25519 import Ed25519, LibcryptoEd25519, NaclEd25519, SigningFailed

LIBCRYPTO = LibcryptoEd25519.of_ssl_module()
BACKENDS = [
    pytest.param(
        LIBCRYPTO,
        id="libcrypto",
        marks=pytest.mark.skipif(
            LIBCRYPTO is None, reason=("this interpreter's ssl module does not expose OpenSSL")
        ),
    ),
    pytest.param(NaclEd25519(), id="pynacl"),
]

# RFC 8032 §7.1: TEST 1 and TEST 3.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_signs_as_rfc_8032_says(
    backend: Ed25519, seed: str, public: str, message: str, signature: str
) -> None:
    assert backend.public_key(bytes.fromhex(seed)).hex() == public
    assert backend.sign(bytes.fromhex(seed), bytes.fromhex(message)).hex() == signature


@pytest.mark.skipif(LIBCRYPTO is None, reason="this interpreter's ssl module does not expose it")
def test_both_backends_agree_on_random_keys_and_messages() -> None:
    assert LIBCRYPTO is not None
    nacl = NaclEd25519()
    for size in (0, 1, 64, 4096):
        seed, message = secrets.token_bytes(32), secrets.token_bytes(size)
        assert LIBCRYPTO.public_key(seed) == nacl.public_key(seed)
        assert LIBCRYPTO.sign(seed, message) == nacl.sign(seed, message)


@pytest.mark.skipif(LIBCRYPTO is None, reason="this interpreter's ssl module does not expose it")
def test_openssl_is_used_when_the_ssl_module_reaches_it() -> None:
    assert ed25519.load().name == "OpenSSL libcrypto"


def test_a_seed_of_the_wrong_length_is_refused_before_openssl_sees_it() -> None:
    if LIBCRYPTO is None:
        pytest.skip("this interpreter's ssl module does not expose OpenSSL")
    with pytest.raises(ValueError, match="32 bytes"):
        LIBCRYPTO.sign(bytes(31), b"data")


class _Miscomputing:
    """A backend wired to the wrong function: it answers, but not with Ed25519."""

    name = "wrong"

    def public_key(self, seed: bytes) -> bytes:
        return bytes(32)

    def sign(self, seed: bytes, data: bytes) -> bytes:
        return bytes(64)


class _Refusing(_Miscomputing):
    def sign(self, seed: bytes, data: bytes) -> bytes:
        raise SigningFailed("OpenSSL could not sign")


@pytest.mark.parametrize(
    "broken", [None, _Miscomputing(), _Refusing()], ids=["missing", "miscomputing", "refusing"]
)
def test_pynacl_signs_when_openssl_is_missing_or_wrong(broken: Ed25519 | None) -> None:
    assert isinstance(ed25519.choose(broken), NaclEd25519)


def test_a_library_without_ed25519_is_not_bound() -> None:
    libc = ctypes.util.find_library("c")
    assert libc is not None
    with pytest.raises(AttributeError):
        LibcryptoEd25519(ctypes.CDLL(libc))
