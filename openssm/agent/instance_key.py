"""The instance's Ed25519 key: made at registration, kept 0600, signing each channel hello.

The signing is ``ed25519.py``'s (OpenSSL through ctypes, else PyNaCl), not
cryptography's, whose module carries a whole OpenSSL of its own and costs the
idle agent about 8 MB of RSS. The server, which has cryptography anyway,
verifies the signatures.

The key file is PKCS#8 PEM ("BEGIN PRIVATE KEY", RFC 8410), the form
cryptography and ``openssl genpkey -algorithm ed25519`` write, so keys written
by earlier agents and by OpenSSL load unchanged.
"""

from __future__ import annotations

import base64
import binascii
import secrets

from openssm.agent import ed25519
from openssm.agent.ed25519 import SEED_BYTES, Ed25519
from openssm.errors import OpenSSMError

# DER of PKCS#8 PrivateKeyInfo v1 for Ed25519 up to the 32-byte seed (RFC 8410 §7): SEQUENCE,
# version 0, AlgorithmIdentifier {1.3.101.112}, OCTET STRING holding an OCTET STRING of 32.
_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_ED25519_OID = bytes.fromhex("06032b6570")
_PEM_BEGIN = "-----BEGIN PRIVATE KEY-----"
_PEM_END = "-----END PRIVATE KEY-----"


class KeyFormatError(OpenSSMError, ValueError):
    """The bytes are not an unencrypted PKCS#8 Ed25519 private key; the message says which."""


class InstanceKey:
    """An Ed25519 private key: ``sign`` for the handshake, ``public_bytes`` for registration.

    ``backend`` computes (``ed25519.load()`` picks one when it is not given)."""

    __slots__ = ("_backend", "_seed", "public_bytes")

    def __init__(self, seed: bytes, backend: Ed25519 | None = None) -> None:
        if len(seed) != SEED_BYTES:
            raise KeyFormatError(f"an Ed25519 private key is {SEED_BYTES} bytes, not {len(seed)}")
        self._seed = seed
        self._backend = backend or ed25519.load()
        # The raw 32-byte public key, as registration sends it.
        self.public_bytes = self._backend.public_key(seed)

    def __repr__(self) -> str:
        return "InstanceKey(<private>)"

    @classmethod
    def generate(cls, backend: Ed25519 | None = None) -> InstanceKey:
        """A new key from the operating system's random source (RFC 8032: 32 random bytes)."""
        return cls(secrets.token_bytes(SEED_BYTES), backend)

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature of `data` (RFC 8032)."""
        return self._backend.sign(self._seed, data)

    def to_pem(self) -> bytes:
        der = _PKCS8_PREFIX + self._seed
        body = base64.encodebytes(der).decode("ascii")
        return f"{_PEM_BEGIN}\n{body}{_PEM_END}\n".encode("ascii")

    @classmethod
    def from_pem(cls, pem: bytes, backend: Ed25519 | None = None) -> InstanceKey:
        """The key in `pem`; KeyFormatError when it is damaged, encrypted or not Ed25519."""
        try:
            text = pem.decode("ascii").strip()
        except UnicodeDecodeError:
            raise KeyFormatError("the key file is not PEM text") from None
        if not (text.startswith(_PEM_BEGIN) and text.endswith(_PEM_END)):
            raise KeyFormatError("the key file is not an unencrypted PKCS#8 private key")
        try:
            body = "".join(text[len(_PEM_BEGIN) : -len(_PEM_END)].split())
            der = base64.b64decode(body, validate=True)
        except binascii.Error:
            raise KeyFormatError("the key file's base64 is damaged") from None
        if _ED25519_OID not in der:
            raise KeyFormatError("the key is not an Ed25519 key")
        if len(der) != len(_PKCS8_PREFIX) + SEED_BYTES or not der.startswith(_PKCS8_PREFIX):
            raise KeyFormatError("the Ed25519 key's encoding is damaged")
        return cls(der[len(_PKCS8_PREFIX) :], backend)
