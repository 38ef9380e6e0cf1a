"""Envelope encryption and the keyring file (DESIGN §8; SECURITY items 10 and 14)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from openssm.errors import ConfigError
from openssm.server.secrets import (
    DEFAULT_ALIAS,
    DecryptionError,
    Keyring,
    KeyringFileError,
    MasterKey,
    UnknownKeyError,
)

CANARY = b"canary-SecureString-7f3a9c1e"
ARN_A = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/password"
ARN_B = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/other"
CONTEXT_A = {"PARAMETER_ARN": ARN_A}

# Offsets of the version-1 layout documented in the module docstring.
KEY_ID = slice(1, 17)
WRAP_NONCE = slice(17, 29)
WRAPPED_KEY = slice(29, 77)
VALUE_NONCE = slice(77, 89)
SEALED_VALUE = slice(89, None)


@pytest.fixture
def keyring_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "keyring.json"


@pytest.fixture
def keyring(keyring_path: Path) -> Keyring:
    return Keyring.load_or_create(keyring_path)


def _materials(keyring: Keyring) -> list[bytes]:
    return [key.material for key in keyring.key_ids()]


def _encodings(secret: bytes) -> list[bytes]:
    return [secret, secret.hex().encode(), base64.b64encode(secret)]


def test_encrypt_round_trips_values_of_any_size(keyring: Keyring) -> None:
    for plaintext in (b"", CANARY, "pässwörd ✓".encode(), os.urandom(70_000)):
        blob = keyring.encrypt(plaintext, key_id=None, context=CONTEXT_A)
        assert keyring.decrypt(blob, context=CONTEXT_A) == plaintext


def test_encrypt_blob_has_documented_layout(keyring: Keyring) -> None:
    blob = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    default = keyring.resolve(None)
    assert blob[0] == 1
    assert blob[KEY_ID].hex() == default.key_id.replace("-", "")
    assert len(blob[SEALED_VALUE]) == len(CANARY) + 16


def test_encrypt_uses_fresh_data_key_and_nonces_per_value(keyring: Keyring) -> None:
    first = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    second = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    assert first != second
    for part in (WRAP_NONCE, WRAPPED_KEY, VALUE_NONCE, SEALED_VALUE):
        assert first[part] != second[part]


def test_decrypt_raises_decryption_error_when_context_differs(keyring: Keyring) -> None:
    """A ciphertext copied to another parameter's row must not open there."""
    blob = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    for other in (
        {"PARAMETER_ARN": ARN_B},
        {},
        {**CONTEXT_A, "extra": "x"},
        {"parameter_arn": ARN_A},
    ):
        with pytest.raises(DecryptionError):
            keyring.decrypt(blob, context=other)


def test_decrypt_ignores_context_key_order(keyring: Keyring) -> None:
    blob = keyring.encrypt(CANARY, key_id=None, context={"a": "1", "b": "2"})
    assert keyring.decrypt(blob, context={"b": "2", "a": "1"}) == CANARY


def test_decrypt_rejects_every_single_byte_change(keyring: Keyring) -> None:
    blob = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x01
        expected = UnknownKeyError if position in range(1, 17) else DecryptionError
        with pytest.raises(expected):
            keyring.decrypt(bytes(tampered), context=CONTEXT_A)


def test_decrypt_raises_decryption_error_when_truncated_or_extended(keyring: Keyring) -> None:
    blob = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    for broken in (b"", blob[:1], blob[:104], blob[:-1], blob + b"\x00"):
        with pytest.raises(DecryptionError):
            keyring.decrypt(broken, context=CONTEXT_A)


def test_decrypt_raises_unknown_key_error_when_master_key_is_missing(
    tmp_path: Path, keyring: Keyring
) -> None:
    blob = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    stranger = Keyring.load_or_create(tmp_path / "other" / "keyring.json")
    with pytest.raises(UnknownKeyError, match=keyring.resolve(None).key_id):
        stranger.decrypt(blob, context=CONTEXT_A)


def test_errors_never_contain_plaintext_or_key_material(keyring: Keyring) -> None:
    """SECURITY 14: no secret in any error message."""
    blob = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    messages: list[str] = []
    for call in (
        lambda: keyring.decrypt(blob, context={"PARAMETER_ARN": ARN_B}),
        lambda: keyring.decrypt(blob[:-1], context=CONTEXT_A),
        lambda: keyring.open_secret("not base64!"),
    ):
        with pytest.raises(DecryptionError) as caught:
            call()
        messages.append(str(caught.value))
    text = " ".join(messages).encode()
    for secret in [CANARY, *_materials(keyring)]:
        for encoded in _encodings(secret):
            assert encoded not in text


def test_resolve_raises_unknown_key_error_when_alias_unknown(keyring: Keyring) -> None:
    with pytest.raises(UnknownKeyError, match="alias/nope"):
        keyring.resolve("alias/nope")
    with pytest.raises(UnknownKeyError):
        keyring.encrypt(CANARY, key_id="alias/nope", context=CONTEXT_A)


def test_resolve_accepts_none_alias_bare_id_and_kms_arns(keyring: Keyring) -> None:
    """SSM's KeyId takes a key id, a key ARN, an alias name or an alias ARN."""
    default = keyring.resolve(None)
    assert default.aliases == (DEFAULT_ALIAS,)
    for form in (
        DEFAULT_ALIAS,
        default.key_id,
        default.key_id.upper(),
        f"arn:aws:kms:us-east-1:123456789012:key/{default.key_id}",
        f"arn:aws-cn:kms:cn-north-1:123456789012:key/{default.key_id}",
        "arn:aws:kms:eu-west-1:123456789012:alias/aws/ssm",
    ):
        assert keyring.resolve(form) == default


def test_resolve_rejects_malformed_and_foreign_identifiers(keyring: Keyring) -> None:
    key_id = keyring.resolve(None).key_id
    for form in (
        "",
        "aws/ssm",
        "alias/",
        key_id + "0",
        f"arn:aws:s3:us-east-1:123456789012:key/{key_id}",
        "arn:aws:kms:us-east-1:123456789012:key/alias/aws/ssm",
        f"arn:aws:kms:us-east-1:123456789012:{key_id}",
    ):
        with pytest.raises(UnknownKeyError):
            keyring.resolve(form)


def test_add_key_persists_and_encrypts_under_named_key(
    keyring_path: Path, keyring: Keyring
) -> None:
    added = keyring.add_key("alias/team/payments")
    blob = keyring.encrypt(CANARY, key_id="alias/team/payments", context=CONTEXT_A)
    assert blob[KEY_ID].hex() == added.key_id.replace("-", "")
    reloaded = Keyring.load_or_create(keyring_path)
    assert reloaded.resolve("alias/team/payments") == added
    assert reloaded.decrypt(blob, context=CONTEXT_A) == CANARY


def test_add_key_rejects_duplicate_and_malformed_aliases(keyring: Keyring) -> None:
    for alias in (DEFAULT_ALIAS, "payments", "alias/", "alias/a b", "alias/" + "x" * 251):
        with pytest.raises(ValueError, match="alias"):
            keyring.add_key(alias)
    assert len(keyring.key_ids()) == 1


def test_add_key_keeps_keys_added_by_another_process(keyring_path: Path) -> None:
    """Two servers sharing a keyring file must never drop each other's keys."""
    first = Keyring.load_or_create(keyring_path)
    second = Keyring.load_or_create(keyring_path)
    key_one = first.add_key("alias/one")
    key_two = second.add_key("alias/two")
    assert second.resolve("alias/one") == key_one
    on_disk = Keyring.load_or_create(keyring_path)
    assert {key.key_id for key in on_disk.key_ids()} >= {key_one.key_id, key_two.key_id}


def test_load_or_create_makes_one_default_key_then_extra_aliases(keyring_path: Path) -> None:
    created = Keyring.load_or_create(keyring_path)
    assert [key.aliases for key in created.key_ids()] == [(DEFAULT_ALIAS,)]
    extended = Keyring.load_or_create(keyring_path, extra_aliases=["alias/a", "alias/b"])
    assert extended.resolve(None) == created.resolve(None)
    assert extended.resolve("alias/a") != extended.resolve("alias/b")
    again = Keyring.load_or_create(keyring_path, extra_aliases=["alias/a"])
    assert again.key_ids() == extended.key_ids()


def test_load_or_create_writes_file_0600_in_dir_0700(keyring_path: Path) -> None:
    """SECURITY 10: created with its final mode, no temp files left behind."""
    Keyring.load_or_create(keyring_path)
    assert stat.S_IMODE(keyring_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keyring_path.parent.stat().st_mode) == 0o700
    assert sorted(p.name for p in keyring_path.parent.iterdir()) == [
        "keyring.json",
        "keyring.json.lock",
    ]


def test_load_or_create_decrypts_old_blobs_after_reload(
    keyring_path: Path, keyring: Keyring
) -> None:
    blob = keyring.encrypt(CANARY, key_id=None, context=CONTEXT_A)
    token = keyring.seal_secret("wJalrXUtnFEMI/K7MDENG", bound_to="AKIDEXAMPLE")
    reloaded = Keyring.load_or_create(keyring_path)
    assert reloaded.key_ids() == keyring.key_ids()
    assert reloaded.decrypt(blob, context=CONTEXT_A) == CANARY
    assert reloaded.open_secret(token, bound_to="AKIDEXAMPLE") == "wJalrXUtnFEMI/K7MDENG"


def test_load_or_create_refuses_symlinked_keyring(tmp_path: Path, keyring_path: Path) -> None:
    real = tmp_path / "real" / "keyring.json"
    Keyring.load_or_create(real)
    keyring_path.parent.mkdir(mode=0o700)
    keyring_path.symlink_to(real)
    with pytest.raises(KeyringFileError, match="symlink"):
        Keyring.load_or_create(keyring_path)


def test_load_or_create_refuses_dangling_symlink_without_writing_through(
    tmp_path: Path, keyring_path: Path
) -> None:
    target = tmp_path / "planted"
    keyring_path.parent.mkdir(mode=0o700)
    keyring_path.symlink_to(target)
    with pytest.raises(KeyringFileError, match="symlink"):
        Keyring.load_or_create(keyring_path)
    assert not target.exists()


def test_load_or_create_refuses_group_readable_keyring(keyring_path: Path) -> None:
    Keyring.load_or_create(keyring_path)
    keyring_path.chmod(0o640)
    with pytest.raises(KeyringFileError) as caught:
        Keyring.load_or_create(keyring_path)
    assert str(keyring_path) in str(caught.value)
    assert "chmod 600" in str(caught.value)
    assert isinstance(caught.value, ConfigError)


def test_load_or_create_refuses_directory_writable_by_others(keyring_path: Path) -> None:
    keyring_path.parent.mkdir(mode=0o700)
    keyring_path.parent.chmod(0o777)
    with pytest.raises(KeyringFileError, match="chmod 700"):
        Keyring.load_or_create(keyring_path)
    assert not keyring_path.exists()


def test_load_or_create_reports_malformed_file_without_its_content(keyring_path: Path) -> None:
    keyring = Keyring.load_or_create(keyring_path)
    doc = json.loads(keyring_path.read_bytes())
    doc["keys"][0]["material"] = doc["keys"][0]["material"][:-4]
    keyring_path.write_text(json.dumps(doc))
    with pytest.raises(KeyringFileError, match="malformed") as caught:
        Keyring.load_or_create(keyring_path)
    for encoded in _encodings(keyring.key_ids()[0].material):
        assert encoded not in str(caught.value).encode()


def test_encrypt_blob_never_contains_plaintext_or_key_material(keyring: Keyring) -> None:
    """SECURITY 14: the bytes a database stores hold no canary and no key."""
    blob = keyring.encrypt(CANARY * 4, key_id=None, context=CONTEXT_A)
    assert CANARY not in blob
    for material in _materials(keyring):
        for encoded in _encodings(material):
            assert encoded not in blob


def test_master_key_repr_hides_material(keyring: Keyring) -> None:
    key = keyring.resolve(None)
    for text in (repr(key), str(key), repr(keyring)):
        for encoded in _encodings(key.material):
            assert encoded.decode("latin-1") not in text
            assert repr(key.material) not in text
    assert key.key_id in repr(key)


def test_master_key_rejects_wrong_material_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        MasterKey(
            key_id="0b5c3a3e-5d1f-4b8e-9a55-0d7c3f6a9e21",
            aliases=(DEFAULT_ALIAS,),
            material=b"short",
        )


def test_open_secret_round_trips_and_binds_owner(keyring: Keyring) -> None:
    token = keyring.seal_secret("s3cr3t", bound_to="AKIDEXAMPLE")
    assert token.isascii()
    assert keyring.open_secret(token, bound_to="AKIDEXAMPLE") == "s3cr3t"
    with pytest.raises(DecryptionError):
        keyring.open_secret(token, bound_to="AKIDOTHER")
    with pytest.raises(DecryptionError):
        keyring.open_secret(token)
    unbound = keyring.seal_secret("s3cr3t")
    assert keyring.open_secret(unbound) == "s3cr3t"
    with pytest.raises(DecryptionError):
        keyring.decrypt(base64.b64decode(unbound), context=CONTEXT_A)
