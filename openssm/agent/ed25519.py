"""Ed25519 signing for the agent: OpenSSL's, through the libcrypto already in the process,
else PyNaCl's.

Why two: the agent signs one hello per connection, and what it loads to do so stays
resident. Python's ssl module (which asyncio imports) has already mapped OpenSSL's
libcrypto, so signing with it through ctypes adds about 0.6 MB to the idle agent;
PyNaCl adds about 1.2 MB, cryptography about 8 MB (bench/agent_rss.py). OpenSSL is
reached through the ``_ssl`` extension's own handle, so it is exactly the library
already loaded, never a second copy found on disk. Where that is not possible (an
interpreter with OpenSSL linked in statically, or before 1.1.1) or the result of a
known-answer test is wrong, PyNaCl (a dependency of the base install) signs instead.

The private key is its 32-byte seed (RFC 8032 §5.1.5); both backends derive the
public key and sign from it alone.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Protocol

from openssm.errors import OpenSSMError

log = logging.getLogger("openssm.agent")

SEED_BYTES = 32
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
# OpenSSL's NID_ED25519 (obj_mac.h), fixed since Ed25519 arrived in 1.1.1.
_NID_ED25519 = 1087
# RFC 8032 §7.1 TEST 2: a one-byte message, checked before a backend is trusted.
_TEST_SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
_TEST_MESSAGE = bytes.fromhex("72")
_TEST_SIGNATURE = bytes.fromhex(
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)


class Ed25519(Protocol):
    """Ed25519 over a 32-byte seed."""

    name: str

    def public_key(self, seed: bytes) -> bytes:
        """The raw 32-byte public key of `seed`."""
        ...

    def sign(self, seed: bytes, data: bytes) -> bytes:
        """The 64-byte signature of `data` by `seed`'s key."""
        ...


class SigningFailed(OpenSSMError, RuntimeError):
    """The library refused to sign; nothing the caller can fix."""


class LibcryptoEd25519:
    """OpenSSL's EVP interface (1.1.1 and later), called through ctypes."""

    name = "OpenSSL libcrypto"

    def __init__(self, library: ctypes.CDLL) -> None:
        """Binds the functions used; AttributeError when `library` lacks one."""
        pointer, size, size_p = ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)
        self._new_key = library.EVP_PKEY_new_raw_private_key
        self._new_key.argtypes = [ctypes.c_int, pointer, ctypes.c_char_p, size]
        self._new_key.restype = pointer
        self._free_key = library.EVP_PKEY_free
        self._free_key.argtypes = [pointer]
        self._free_key.restype = None
        self._raw_public = library.EVP_PKEY_get_raw_public_key
        self._raw_public.argtypes = [pointer, ctypes.c_char_p, size_p]
        self._raw_public.restype = ctypes.c_int
        self._new_context = library.EVP_MD_CTX_new
        self._new_context.argtypes = []
        self._new_context.restype = pointer
        self._free_context = library.EVP_MD_CTX_free
        self._free_context.argtypes = [pointer]
        self._free_context.restype = None
        self._sign_init = library.EVP_DigestSignInit
        self._sign_init.argtypes = [pointer, pointer, pointer, pointer, pointer]
        self._sign_init.restype = ctypes.c_int
        self._sign = library.EVP_DigestSign
        self._sign.argtypes = [pointer, ctypes.c_char_p, size_p, ctypes.c_char_p, size]
        self._sign.restype = ctypes.c_int

    @classmethod
    def of_ssl_module(cls) -> LibcryptoEd25519 | None:
        """The libcrypto Python's ``_ssl`` extension is linked with, or None if unreachable."""
        try:
            import _ssl

            return cls(ctypes.CDLL(_ssl.__file__))
        except (ImportError, AttributeError, OSError):
            # No ssl module, one built into the interpreter (no __file__), OpenSSL linked in
            # statically (its symbols hidden), or older than 1.1.1.
            return None

    def _key(self, seed: bytes) -> int:
        if len(seed) != SEED_BYTES:
            raise ValueError(f"an Ed25519 seed is {SEED_BYTES} bytes, not {len(seed)}")
        key: int | None = self._new_key(_NID_ED25519, None, seed, SEED_BYTES)
        if not key:
            raise SigningFailed("OpenSSL could not load the Ed25519 key")
        return key

    def public_key(self, seed: bytes) -> bytes:
        key = self._key(seed)
        try:
            out = ctypes.create_string_buffer(PUBLIC_KEY_BYTES)
            size = ctypes.c_size_t(PUBLIC_KEY_BYTES)
            if self._raw_public(key, out, ctypes.byref(size)) != 1:
                raise SigningFailed("OpenSSL could not derive the Ed25519 public key")
            return out.raw[: size.value]
        finally:
            self._free_key(key)

    def sign(self, seed: bytes, data: bytes) -> bytes:
        key = self._key(seed)
        context: int | None = None
        try:
            context = self._new_context()
            if not context or self._sign_init(context, None, None, None, key) != 1:
                raise SigningFailed("OpenSSL could not start an Ed25519 signature")
            out = ctypes.create_string_buffer(SIGNATURE_BYTES)
            size = ctypes.c_size_t(SIGNATURE_BYTES)
            if self._sign(context, out, ctypes.byref(size), data, len(data)) != 1:
                raise SigningFailed("OpenSSL could not sign")
            return out.raw[: size.value]
        finally:
            if context:
                self._free_context(context)
            self._free_key(key)


class NaclEd25519:
    """libsodium's, through PyNaCl."""

    name = "PyNaCl"

    def public_key(self, seed: bytes) -> bytes:
        from nacl.signing import SigningKey

        return bytes(SigningKey(seed).verify_key)

    def sign(self, seed: bytes, data: bytes) -> bytes:
        from nacl.signing import SigningKey

        return SigningKey(seed).sign(data).signature


def passes_known_answer(backend: Ed25519) -> bool:
    """RFC 8032's test vector comes out exactly: the backend is wired and computes right."""
    try:
        return backend.sign(_TEST_SEED, _TEST_MESSAGE) == _TEST_SIGNATURE
    except (SigningFailed, ctypes.ArgumentError):
        return False


def choose(libcrypto: Ed25519 | None) -> Ed25519:
    """`libcrypto` when it is there and computes right, else PyNaCl's."""
    if libcrypto is not None and passes_known_answer(libcrypto):
        return libcrypto
    log.debug("signing with PyNaCl: the ssl module's OpenSSL offers no usable Ed25519")
    return NaclEd25519()


def load() -> Ed25519:
    """OpenSSL's Ed25519 when reachable and correct, else PyNaCl's."""
    return choose(LibcryptoEd25519.of_ssl_module())
