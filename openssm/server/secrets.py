"""Envelope encryption of secrets at rest: SecureString values and access-key secrets.

Owns the keyring file (named 256-bit master keys) and the ciphertext format. It knows
nothing about parameters, SQL or KMS's API: a service passes an encryption context such
as ``{"PARAMETER_ARN": arn}`` and stores the bytes it gets back.

Every value gets a fresh random 256-bit data key. The value is sealed with AES-256-GCM
under the data key, and the data key is sealed (wrapped) with AES-256-GCM under the
named master key, each layer with its own random 96-bit nonce. Ciphertext layout,
version 1 (fixed-width except the tail)::

    offset  bytes   field
    0       1       version, 0x01
    1       16      master key id, the UUID's 16 raw bytes
    17      12      wrap nonce
    29      48      data key sealed under the master key (32 bytes + 16-byte GCM tag)
    77      12      value nonce
    89      n + 16  value sealed under the data key (n bytes + 16-byte GCM tag)

Both layers authenticate the same AAD: bytes 0-16 (version and key id) followed by the
encryption context as sorted, compact, ASCII-only JSON. So a changed header, any flipped
byte, or a blob copied to a row with another context fails to decrypt. The layers need no
separate labels because they use different keys.

Random nonces under one master key stay within NIST SP 800-38D's collision bound for
about 2**32 wraps; a deployment writing more SecureStrings than that should add keys.

The keyring file is JSON, ``{"version": 1, "keys": [{"key_id", "aliases", "material"}]}``
with base64 material. It is written to a temp file created 0600 with O_EXCL|O_NOFOLLOW,
fsynced, then renamed over the target, under an flock on ``<name>.lock`` so processes
sharing the file never drop each other's keys. Loading refuses a symlink, a non-regular
file, a file owned by another user, a file readable by group or others, and a directory
others can write to. Losing this file loses every secret sealed under it: back it up.

File I/O here blocks; async callers wrap ``add_key`` in ``asyncio.to_thread``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import fcntl
import json
import os
import re
import stat
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from openssm import arns
from openssm.errors import ConfigError, OpenSSMError

DEFAULT_ALIAS = "alias/aws/ssm"
ACCESS_KEY_PURPOSE = "access-key"

_VERSION = 1
_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER = 1 + 16
_WRAPPED = _KEY_BYTES + _TAG_BYTES
_VALUE_AT = _HEADER + _NONCE_BYTES + _WRAPPED + _NONCE_BYTES
_MIN_BLOB = _VALUE_AT + _TAG_BYTES
_FILE_VERSION = 1

_ALIAS_RE = re.compile(r"alias/[A-Za-z0-9/_-]{1,250}")
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_SHOWN_KEY_ID_CHARS = 300


class UnknownKeyError(OpenSSMError):
    """A key id, alias or ARN names no key in the keyring (the API answers InvalidKeyId)."""


class DecryptionError(OpenSSMError):
    """A ciphertext is truncated, tampered with, or bound to another context."""


class KeyringFileError(ConfigError):
    """The keyring file is unsafe to trust or is not a keyring."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterKey:
    key_id: str
    aliases: tuple[str, ...]
    material: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _UUID_RE.fullmatch(self.key_id) or self.key_id != self.key_id.lower():
            raise ValueError(f"master key id {self.key_id!r} is not a lower-case UUID")
        for alias in self.aliases:
            _check_alias(alias)
        if len(self.material) != _KEY_BYTES:
            raise ValueError(f"master key {self.key_id} material is not {_KEY_BYTES} bytes")


@dataclass(frozen=True, slots=True)
class _Index:
    """An immutable snapshot of the keys; replaced whole so readers never need a lock."""

    keys: tuple[MasterKey, ...]
    by_id: Mapping[str, MasterKey]
    by_alias: Mapping[str, MasterKey]
    aead_by_raw_id: Mapping[bytes, AESGCM]
    raw_ids: Mapping[str, bytes]

    @classmethod
    def of(cls, keys: Sequence[MasterKey]) -> _Index:
        by_alias: dict[str, MasterKey] = {}
        for key in keys:
            for alias in key.aliases:
                if by_alias.setdefault(alias, key) is not key:
                    raise ValueError(f"alias {alias} names two master keys")
        raw_ids = {key.key_id: uuid.UUID(key.key_id).bytes for key in keys}
        return cls(
            keys=tuple(keys),
            by_id={key.key_id: key for key in keys},
            by_alias=by_alias,
            aead_by_raw_id={raw_ids[key.key_id]: AESGCM(key.material) for key in keys},
            raw_ids=raw_ids,
        )


class Keyring:
    """Named master keys loaded from one file, and the envelope encryption that uses them."""

    def __init__(self, path: Path, keys: Sequence[MasterKey]) -> None:
        self._path = path
        self._index = _Index.of(keys)
        self._write_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Keyring(path={str(self._path)!r}, key_ids={list(self._index.by_id)!r})"

    @classmethod
    def load_or_create(cls, path: Path, *, extra_aliases: Sequence[str] = ()) -> Keyring:
        """Load the keyring at ``path``, creating it with ``alias/aws/ssm`` on first start.

        Each alias in ``extra_aliases`` that the file lacks gets a new key, persisted.
        """
        for alias in extra_aliases:
            _check_alias(alias)
        _prepare_dir(path.parent)
        with _file_lock(path):
            on_disk = _read_keys(path)
            keys = list(on_disk) if on_disk is not None else [_new_key(DEFAULT_ALIAS)]
            known = {alias for key in keys for alias in key.aliases}
            for alias in dict.fromkeys(extra_aliases):
                if alias not in known:
                    keys.append(_new_key(alias))
            if on_disk is None or len(keys) != len(on_disk):
                _write_keys(path, keys)
        return cls(path, keys)

    def key_ids(self) -> list[MasterKey]:
        """Every master key, in creation order."""
        return list(self._index.keys)

    def resolve(self, key_id: str | None) -> MasterKey:
        """Find a key by alias, bare key UUID or KMS ARN; ``None`` means ``alias/aws/ssm``."""
        return _resolve(self._index, key_id)

    def add_key(self, alias: str) -> MasterKey:
        """Create a master key named ``alias`` and persist it before returning it.

        Keys another process added to the file meanwhile are kept and loaded too.
        """
        _check_alias(alias)
        with self._write_lock, _file_lock(self._path):
            on_disk = _read_keys(self._path)
            if on_disk is None:
                raise KeyringFileError(f"keyring {self._path} disappeared; restore it from backup")
            keys = _merge(on_disk, self._index.keys, self._path)
            if any(alias in key.aliases for key in keys):
                raise ValueError(f"alias {alias} already names a master key")
            key = _new_key(alias)
            keys.append(key)
            _write_keys(self._path, keys)
            self._index = _Index.of(keys)
        return key

    def encrypt(self, plaintext: bytes, *, key_id: str | None, context: Mapping[str, str]) -> bytes:
        """Seal ``plaintext`` under a fresh data key wrapped by the named master key."""
        index = self._index
        master = _resolve(index, key_id)
        header = bytes([_VERSION]) + index.raw_ids[master.key_id]
        aad = header + _canonical(context)
        data_key = AESGCM.generate_key(bit_length=_KEY_BYTES * 8)
        wrap_nonce = os.urandom(_NONCE_BYTES)
        value_nonce = os.urandom(_NONCE_BYTES)
        wrapped = index.aead_by_raw_id[header[1:]].encrypt(wrap_nonce, data_key, aad)
        sealed = AESGCM(data_key).encrypt(value_nonce, plaintext, aad)
        return b"".join((header, wrap_nonce, wrapped, value_nonce, sealed))

    def decrypt(self, blob: bytes, *, context: Mapping[str, str]) -> bytes:
        """Open a blob from ``encrypt``; ``context`` must equal the one it was sealed with.

        Raises UnknownKeyError when the blob's master key is not in the keyring and
        DecryptionError for anything malformed or not authentic.
        """
        if len(blob) < _MIN_BLOB or blob[0] != _VERSION:
            raise DecryptionError("not an openssm ciphertext: unknown version or truncated")
        raw_id = bytes(blob[1:_HEADER])
        unwrapper = self._index.aead_by_raw_id.get(raw_id)
        if unwrapper is None:
            raise UnknownKeyError(
                f"ciphertext names master key {uuid.UUID(bytes=raw_id)}, not in the keyring"
            )
        aad = bytes(blob[:_HEADER]) + _canonical(context)
        wrap_nonce = blob[_HEADER : _HEADER + _NONCE_BYTES]
        wrapped = blob[_HEADER + _NONCE_BYTES : _VALUE_AT - _NONCE_BYTES]
        value_nonce = blob[_VALUE_AT - _NONCE_BYTES : _VALUE_AT]
        try:
            data_key = unwrapper.decrypt(wrap_nonce, wrapped, aad)
            return AESGCM(data_key).decrypt(value_nonce, blob[_VALUE_AT:], aad)
        except InvalidTag as exc:
            raise DecryptionError(
                "ciphertext failed authentication: tampered, or sealed with another context"
            ) from exc

    def seal_secret(self, plaintext: str, *, bound_to: str | None = None) -> str:
        """Encrypt an access-key secret for a text column, under ``alias/aws/ssm``.

        Pass the access key id as ``bound_to`` so a secret copied to another key's row
        fails to open.
        """
        blob = self.encrypt(plaintext.encode(), key_id=None, context=_secret_context(bound_to))
        return base64.b64encode(blob).decode("ascii")

    def open_secret(self, token: str, *, bound_to: str | None = None) -> str:
        """Decrypt a ``seal_secret`` token; ``bound_to`` must match the one it was sealed with."""
        try:
            blob = base64.b64decode(token, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptionError("sealed secret is not valid base64") from exc
        return self.decrypt(blob, context=_secret_context(bound_to)).decode()


def _resolve(index: _Index, key_id: str | None) -> MasterKey:
    name = DEFAULT_ALIAS if key_id is None else key_id
    arn = arns.parse(name)
    if arn is not None:
        kind, _, rest = arn.resource.partition("/")
        if arn.service == "kms" and kind == "key" and _UUID_RE.fullmatch(rest):
            name = rest
        elif arn.service == "kms" and kind == "alias":
            name = arn.resource
        else:
            name = ""
    if name.startswith("alias/"):
        found = index.by_alias.get(name)
    else:
        found = index.by_id.get(name.lower()) if _UUID_RE.fullmatch(name) else None
    if found is None:
        shown = (name if key_id is None else key_id)[:_SHOWN_KEY_ID_CHARS]
        raise UnknownKeyError(f"key {shown!r} is not in the keyring")
    return found


def _secret_context(bound_to: str | None) -> dict[str, str]:
    context = {"purpose": ACCESS_KEY_PURPOSE}
    if bound_to is not None:
        context["bound_to"] = bound_to
    return context


def _canonical(context: Mapping[str, str]) -> bytes:
    return json.dumps(dict(context), sort_keys=True, separators=(",", ":")).encode("ascii")


def _check_alias(alias: str) -> None:
    if not _ALIAS_RE.fullmatch(alias):
        raise ValueError(
            f"alias {alias[:_SHOWN_KEY_ID_CHARS]!r} must be 'alias/' followed by 1-250 of "
            "A-Z a-z 0-9 / _ -"
        )


def _new_key(alias: str) -> MasterKey:
    return MasterKey(
        key_id=str(uuid.uuid4()),
        aliases=(alias,),
        material=AESGCM.generate_key(bit_length=_KEY_BYTES * 8),
    )


def _merge(
    on_disk: Sequence[MasterKey], in_memory: Sequence[MasterKey], path: Path
) -> list[MasterKey]:
    """Union by key id, disk order first; the same id with other material is corruption."""
    merged = {key.key_id: key for key in on_disk}
    for key in in_memory:
        if merged.setdefault(key.key_id, key) != key:
            raise KeyringFileError(f"keyring {path} changed key {key.key_id} under us")
    return list(merged.values())


# --- the keyring file ---------------------------------------------------------------------


def _prepare_dir(directory: Path) -> None:
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True)
    st = directory.stat()
    if not stat.S_ISDIR(st.st_mode):
        raise KeyringFileError(f"keyring directory {directory} is not a directory")
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        raise KeyringFileError(
            f"keyring directory {directory} is writable by group or others, who could "
            f"replace the keyring; fix with: chmod 700 {directory}"
        )


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    lock_path = path.with_name(path.name + ".lock")
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(lock_path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise KeyringFileError(f"keyring lock {lock_path} is a symlink; remove it") from exc
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_keys(path: Path) -> list[MasterKey] | None:
    """The keys in ``path``, or None if it does not exist; refuses anything unsafe."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise KeyringFileError(
                f"keyring {path} is a symlink, which openssm never follows; "
                "replace it with the real file (owned by this user, chmod 600)"
            ) from exc
        raise
    with os.fdopen(fd, "rb") as file:
        st = os.fstat(file.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise KeyringFileError(f"keyring {path} is not a regular file")
        if st.st_uid != os.geteuid():
            raise KeyringFileError(
                f"keyring {path} is owned by uid {st.st_uid}, not this process's "
                f"uid {os.geteuid()}; fix with: chown {os.geteuid()} {path}"
            )
        if st.st_mode & 0o077:
            raise KeyringFileError(
                f"keyring {path} has mode {stat.S_IMODE(st.st_mode):o} and is open to "
                f"group or others; fix with: chmod 600 {path}"
            )
        raw = file.read()
    return _decode_keys(raw, path)


def _decode_keys(raw: bytes, path: Path) -> list[MasterKey]:
    # Messages name the file and the entry, never the content: it holds key material.
    try:
        doc = json.loads(raw)
        if doc.get("version") != _FILE_VERSION:
            raise KeyringFileError(f"keyring {path} has unsupported version")
        keys = [
            MasterKey(
                key_id=entry["key_id"],
                aliases=tuple(entry["aliases"]),
                material=base64.b64decode(entry["material"], validate=True),
            )
            for entry in doc["keys"]
        ]
        _Index.of(keys)
    except KeyringFileError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyringFileError(f"keyring {path} is malformed ({type(exc).__name__})") from None
    if not keys:
        raise KeyringFileError(f"keyring {path} holds no keys")
    return keys


def _write_keys(path: Path, keys: Sequence[MasterKey]) -> None:
    doc = {
        "version": _FILE_VERSION,
        "keys": [
            {
                "key_id": key.key_id,
                "aliases": list(key.aliases),
                "material": base64.b64encode(key.material).decode("ascii"),
            }
            for key in keys
        ],
    }
    data = json.dumps(doc, indent=2).encode("ascii") + b"\n"
    tmp = path.with_name(f".{path.name}.{os.urandom(8).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
